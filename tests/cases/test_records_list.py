"""The case list (filters, search, pagination, masking, badges) and the constant query counts of
list and case page at two data sizes; duplicates; home panels."""

from django.urls import reverse

from cases.models import AccessLog, CaseEvent, DuplicateFlag
from cases.services.intake import case_update
from tests.factories import make_case
from tests.queries import assert_queries_constant, count_get

LIST = reverse("cases:list")


def _rows(html):
    return html.split("<tbody>")[1].split("</tbody>")[0] if "<tbody>" in html else ""


def test_filters_and_search(personas, master):
    a = make_case(personas, victims=[{"full_name": "Andi Makkawaru"}], danger_now=True)
    b = make_case(
        personas,
        "assessment",
        victims=[{"full_name": "Becce Lamba"}],
        is_violence=False,
        is_social_protection=True,
        violence_types=[],
    )
    s = make_case(personas, victims=[{"full_name": "Cicci Simulasi"}], roleplay=True)
    c = personas.client("ws.koordinator")

    def found(**params):
        body = _rows(c.get(LIST, params).content.decode())
        return {x.number for x in (a, b, s) if f">{x.number}<" in body}

    assert found() == {a.number, b.number, s.number}
    assert found(status="assessment") == {b.number}
    assert found(kind="violence") == {a.number, s.number}
    assert found(kind="social_protection") == {b.number}
    assert found(emergency="yes") == {a.number}
    assert found(roleplay="sim") == {s.number}
    assert found(roleplay="real") == {a.number, b.number}
    assert found(q=a.number) == {a.number}
    assert found(q="becce") == {b.number}
    assert found(q="tidak ada orang ini") == set()
    html = c.get(LIST).content.decode()
    assert "Darurat" in html and "SIMULASI" in html


def test_kelurahan_filter_only_for_users_of_several(personas, master):
    from accounts.models import Membership, Role

    make_case(personas)
    wb = make_case(personas, kel="wb")
    html = personas.client("ws.koordinator").get(LIST).content.decode()
    assert 'name="kelurahan"' not in html
    Membership.objects.create(
        user=personas["ws.koordinator"], kelurahan=master["wb"], role=Role.KOORDINATOR
    )
    c = personas.client("ws.koordinator")
    html = c.get(LIST).content.decode()
    assert 'name="kelurahan"' in html and wb.number in html
    body = _rows(c.get(LIST, {"kelurahan": master["ws"].pk}).content.decode())
    assert wb.number not in body


def test_nik_and_phone_are_masked_in_the_list(personas, master):
    make_case(
        personas,
        victims=[{"full_name": "Andi", "nik": "7372011234567890", "phone": "081234567891"}],
    )
    html = personas.client("ws.koordinator").get(LIST).content.decode()
    assert "7372011234567890" not in html and "081234567891" not in html
    assert "••••••••••••7890" in html and "••••••••7891" in html


def test_pagination_25(personas, master):
    for _ in range(27):
        make_case(personas)
    c = personas.client("ws.koordinator")
    html = c.get(LIST).content.decode()
    assert _rows(html).count("<tr>") == 25 and "Halaman 1" in html and "page=2" in html
    assert "27 kasus" in html
    assert _rows(c.get(LIST, {"page": 2}).content.decode()).count("<tr>") == 2


def _fill(master, personas, n, victims_each=3):
    for i in range(n):
        make_case(
            personas,
            victims=[
                {"full_name": f"Korban {i}-{j}", "nik": f"73720112345{i:03d}{j:02d}"}
                for j in range(victims_each)
            ],
        )


def test_list_query_count_is_constant(personas, master):
    c = personas.client("ws.koordinator")
    _fill(master, personas, 3)
    n = assert_queries_constant(
        lambda: (count_get(c, LIST), count_get(c, LIST, {"q": "Korban"})),
        lambda: _fill(master, personas, 27),
    )
    print(f"\nQUERIES case list (list, search): {n} with 3 cases and with 30")


def _big_case(master, personas):
    ws, actor = master["ws"], personas["ws.relawan"]
    case = make_case(
        personas,
        victims=[{"full_name": f"Korban {j}", "estimated_age": 5 + j} for j in range(6)],
        perpetrators=[{"name": f"Pelaku {k}"} for k in range(3)],
        links=[(k, j, "family", False) for k in range(3) for j in range(6)],
    )
    for n in range(4):
        victims = [(v.pk, {"full_name": v.full_name + f" {n}"}) for v in case.victims.all()]
        perps = [(p.pk, {"name": p.name + f" {n}"}) for p in case.perpetrators.all()]
        links = [(k, j, "parent" if n % 2 else "family", True) for k in range(3) for j in range(6)]
        case_update(
            case=case,
            actor=personas["ws.koordinator"],
            expected_version=case.version,
            case_data={"narrative": f"v{n}"},
            victims=victims,
            perpetrators=perps,
            links=links,
        )
        CaseEvent.objects.create(case=case, kelurahan=ws, kind="visit", actor=actor, note="n")
    return case


def test_case_page_query_count_is_constant(personas, master):
    c = personas.client("ws.koordinator")
    small = make_case(personas, child=True)  # like the big case's victims
    big = _big_case(master, personas)
    other = make_case(personas, victims=[{"full_name": "Korban 0 0"}])
    DuplicateFlag.objects.create(case=big, other=other, kelurahan=master["ws"], reason="nik")
    n_small = count_get(c, reverse("cases:detail", args=[small.pk]))
    n_big = count_get(c, reverse("cases:detail", args=[big.pk]))
    print(f"\nQUERIES case page: small case {n_small}, big case {n_big}")
    html = c.get(reverse("cases:detail", args=[big.pk])).content.decode()
    assert "Korban 5 0 1 2 3" in html and html.count("<li><time") >= 5
    assert n_small == n_big


def test_duplicates_flagged_on_both_cases_and_each_check_logged(personas, master):
    first = make_case(personas, victims=[{"full_name": "Nur Aisyah", "nik": "7372015002170001"}])
    by_name = make_case(personas, victims=[{"full_name": "Rahmat", "birth_date": "2017-03-02"}])
    other_kel = make_case(
        personas,
        kel="wb",
        victims=[{"full_name": "Nur A", "nik": "7372015002170001"}],
    )
    second = make_case(
        personas,
        victims=[
            {"full_name": "Nur A.", "nik": "7372015002170001"},
            {"full_name": "rahmat", "birth_date": "2017-03-02"},
        ],
    )
    flags = set(DuplicateFlag.objects.values_list("case_id", "other_id", "reason"))
    assert flags == {
        (second.pk, first.pk, "nik"),
        (first.pk, second.pk, "nik"),
        (second.pk, by_name.pk, "name_birth"),
        (by_name.pk, second.pk, "name_birth"),
    }
    assert not DuplicateFlag.objects.filter(case=other_kel).exists()
    assert AccessLog.objects.filter(action="duplicate_check").count() == 4
    for log in AccessLog.objects.filter(action="duplicate_check"):
        assert "7372" not in log.detail and "Nur" not in log.detail
    c = personas.client("ws.koordinator")
    for case, other in ((first, second), (second, first)):
        html = c.get(reverse("cases:detail", args=[case.pk])).content.decode()
        assert "Kemungkinan duplikat" in html
        assert reverse("cases:detail", args=[other.pk]) in html


def test_home_panels(personas, master):
    case = make_case(personas)
    html = personas.client("ws.relawan").get(reverse("home")).content.decode()
    assert "Pengaduan terbaru saya" in html and case.number in html
    assert reverse("cases:create") in html
    html = personas.client("ws.koordinator").get(reverse("home")).content.decode()
    assert "Kasus terbaru" in html and case.number in html
    html = personas.client("wb.koordinator").get(reverse("home")).content.decode()
    assert case.number not in html


def test_navigation_lists_the_case_pages(personas):
    for who in ("ws.relawan", "ws.koordinator"):
        html = personas.client(who).get(reverse("home")).content.decode()
        assert f'href="{LIST}"' in html and f'href="{reverse("cases:create")}"' in html
    html = personas.client("ws.koordinator").get(reverse("home")).content.decode()
    assert f'href="{reverse("cases:access_log")}"' in html
    html = personas.client("dp3a.petugas").get(reverse("home")).content.decode()
    assert f'href="{LIST}"' not in html


def test_search_finds_a_name_however_it_is_written(personas, master):
    from cases.search import normalize_name

    assert normalize_name("  HJ. Sitti   Ma'ruf-Aminah ") == "hj sitti maruf aminah"
    case = make_case(personas, victims=[{"full_name": "Hj. Sitti Ma'ruf"}])
    c = personas.client("ws.koordinator")
    for q in ("sitti maruf", "HJ SITTI", "hj. sitti ma'ruf", "ruf"):
        html = c.get(LIST, {"q": q}).content.decode()
        assert case.number in html, q
    assert case.number in c.get(LIST, {"q": case.number.lower()}).content.decode()
    assert case.number not in c.get(LIST, {"q": "siti marif"}).content.decode()


def test_filter_fields_kept_per_selection_and_language(personas, master):
    """The filter fields are rendered once per language and selection and kept
    (cases/views/filters.py): each request still shows its own selection, and a typed search
    term or a bad value is shown but never kept."""
    import re

    from cases.views import filters

    filters.forget()
    c = personas.client("ws.koordinator")

    def selected(html, name):
        select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
        return re.findall(r'<option value="([^"]*)"[^>]*selected', select)

    first = c.get(LIST, {"status": "handling"}).content.decode()
    assert selected(first, "status") == ["handling"]
    again = c.get(LIST, {"status": "handling"}).content.decode()
    assert selected(again, "status") == ["handling"]
    other = c.get(LIST, {"status": "closed", "kind": "violence"}).content.decode()
    assert selected(other, "status") == ["closed"]
    assert selected(other, "kind") == ["violence"]
    assert len(filters._kept) == 2
    # A search term is shown in the box and not kept; a bad value shows its error.
    searched = c.get(LIST, {"q": "Andi Makkawaru"}).content.decode()
    assert 'value="Andi Makkawaru"' in searched
    assert not any("Andi" in html for html in filters._kept.values())
    bad = c.get(LIST, {"status": "nonsense"})
    assert "nonsense" in bad.content.decode()
    assert len(filters._kept) == 2
    # The language is part of what is kept.
    assert {key[0] for key in filters._kept} == {"id"}
