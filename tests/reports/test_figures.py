"""The report figures against a hand-counted small data set, the protection of small numbers,
the rebuild command, and the query counts of the pages at two sizes.

The data set (Watang Soreang, registered in December 2026 unless said):
- A: physical violence; one woman of 30; one man of 40 (relation: spouse); closed in December;
- B: sexual violence (rape); a girl of 12 with a sensory disability; two perpetrators, a man of
  40 (parent) and a boy of 16 (stranger): a case with two perpetrators;
- C: social protection (not in DTSEN); a man of 70;
- D: physical violence registered and closed in November: outside December.
"""

import datetime

import pytest
import time_machine
from django.core.management import call_command

from reports.models import MonthlyCount
from tests.factories import make_case
from tests.queries import count_get

DEC = datetime.datetime(2026, 12, 3, 10, 0, tzinfo=datetime.UTC)
NOV = datetime.datetime(2026, 11, 10, 10, 0, tzinfo=datetime.UTC)
PAGE = "/reports/{section}/?period=month&year=2026&month=12"
SECTIONS = ["victims", "violence", "social", "services", "quality", "outreach"]


def build(personas):
    with time_machine.travel(NOV, tick=False):
        make_case(
            personas, "closed", victims=[{"full_name": "D Satu", "sex": "F", "estimated_age": 50}]
        )
    with time_machine.travel(DEC, tick=False):
        make_case(
            personas,
            "closed",
            victims=[{"full_name": "A Satu", "sex": "F", "estimated_age": 30}],
            perpetrators=[{"sex": "M", "age": 40}],
            links=[(0, 0, "spouse", True)],
            incident_place="household",
        )
        make_case(
            personas,
            "received",
            violence_types=["sexual"],
            tpks_types=["rape"],
            victims=[
                {
                    "full_name": "B Anak",
                    "sex": "F",
                    "birth_date": datetime.date(2014, 5, 1),
                    "disability_types": ["sensory"],
                }
            ],
            perpetrators=[{"sex": "M", "age": 40}, {"sex": "M", "age": 16, "is_child": True}],
            links=[(0, 0, "parent", False), (1, 0, "stranger", False)],
            incident_place="school",
        )
        make_case(
            personas,
            "received",
            is_violence=False,
            is_social_protection=True,
            violence_types=[],
            social_problems=["not_in_dtsen"],
            victims=[{"full_name": "C Lansia", "sex": "M", "estimated_age": 70}],
        )


def rows(html):
    """{row label: [cells]} of every table row of a report page."""
    import re

    out = {}
    for tr in re.findall(r"<tr>(.*?)</tr>", html, re.S):
        head = re.search(r'<th scope="row">(.*?)</th>', tr, re.S)
        if head:
            label = re.sub(r"\s+", " ", head.group(1)).strip()
            out.setdefault(label, []).append(re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S))
    return out


def first(html, label):
    return rows(html)[label][0]


@pytest.fixture
def data(personas):
    build(personas)
    return personas


def test_figures_match_the_hand_count(data):
    c = data.client("ws.koordinator")
    if True:
        html = c.get(PAGE.format(section="victims")).content.decode()
        assert first(html, "Kasus baru") == ["3"]
        assert first(html, "di antaranya kekerasan") == ["2"]
        assert first(html, "di antaranya perlindungan sosial") == ["1"]
        assert first(html, "Ditutup") == ["1"]  # A; D was closed in November
        assert first(html, "Perempuan") == ["2"] and first(html, "Laki-laki") == ["1"]
        assert first(html, "25-44") == ["1"] and first(html, "6-12") == ["1"]
        assert first(html, "60+") == ["1"] and first(html, "45-59") == ["0"]
        assert "Anak dengan disabilitas" in html
        html = c.get(PAGE.format(section="violence")).content.decode()
        assert first(html, "Fisik") == ["1"] and first(html, "Seksual") == ["1"]
        assert first(html, "Perkosaan") == ["1"]
        assert first(html, "Orang tua") == ["1"] and first(html, "Orang tidak dikenal") == ["1"]
        assert first(html, "Suami/istri") == ["1"]
        # perpetrators: three men, two of 25-44 and one of 13-17
        by_sex = rows(html)["Laki-laki"][0]
        assert by_sex == ["3"]
        assert rows(html)["25-44"][0] == ["2"] and rows(html)["13-17"][0] == ["1"]
        html = c.get(PAGE.format(section="social")).content.decode()
        assert first(html, "Tidak terdaftar di DTSEN") == ["1"]
        nov = c.get("/reports/victims/?period=month&year=2026&month=11").content.decode()
        assert first(nov, "Kasus baru") == ["1"] and first(nov, "Ditutup") == ["1"]
        year = c.get("/reports/victims/?period=year&year=2026").content.decode()
        assert first(year, "Kasus baru") == ["4"] and first(year, "Ditutup") == ["2"]


def test_rebuild_gives_the_numbers_the_engine_kept_and_the_cases_give(data):
    from cases.models import Victim

    kept = sorted(
        MonthlyCount.objects.filter(n__gt=0).values_list(
            "kelurahan_id", "month", "metric", "category", "agency_key", "n"
        )
    )
    call_command("rebuild_report_counts", verbosity=0)
    rebuilt = sorted(
        MonthlyCount.objects.filter(n__gt=0).values_list(
            "kelurahan_id", "month", "metric", "category", "agency_key", "n"
        )
    )
    assert kept == rebuilt
    by_sex = dict(
        MonthlyCount.objects.filter(metric="victim.sex")
        .values_list("category")
        .annotate(__import__("django.db.models", fromlist=["Sum"]).Sum("n"))
    )
    assert by_sex == {
        "F": Victim.objects.filter(sex="F").count(),
        "M": Victim.objects.filter(sex="M").count(),
    }


def test_an_edit_moves_the_figures(data):
    """An intake edit (through the engine) changes the victim's sex: the rows follow."""
    from cases.models import Case
    from cases.services.intake import case_update

    case = Case.objects.get(victims__full_name="C Lansia")
    v = case.victims.get()
    case_update(
        case=case,
        actor=data["ws.koordinator"],
        expected_version=case.version,
        case_data={},
        victims=[(v.pk, {"sex": "F"})],
    )
    f = dict(
        MonthlyCount.objects.filter(
            metric="victim.sex", month=datetime.date(2026, 12, 1)
        ).values_list("category", "n")
    )
    assert f == {"F": 3, "M": 0}


def test_kota_analyst_never_sees_a_small_count(data):
    c = data.client("kota.analis")
    if True:
        html = c.get(PAGE.format(section="victims") + "&place=kota:73.72").content.decode()
        assert first(html, "Kasus baru") == ["&lt;5"]
        assert first(html, "Perempuan") == ["&lt;5"]
        for label, cells in rows(html).items():
            for cell_row in cells:
                for cell in cell_row:
                    assert cell.strip() not in {"1", "2", "3", "4"}, (label, cell)
        # the year: 4 cases, still "<5"; a custom period is not offered (month instead)
        year = c.get("/reports/victims/?period=year&year=2026&place=kota:73.72").content.decode()
        assert first(year, "Kasus baru") == ["&lt;5"]
        custom = c.get("/reports/victims/?period=custom&start=2026-11&end=2026-12").content
        assert "Periode khusus" not in custom.decode()
        # sexual violence and children: not at kelurahan level
        kel = data["ws.koordinator"].memberships.first().kelurahan_id
        html = c.get(PAGE.format(section="violence") + f"&place=kel:{kel}").content.decode()
        assert "Seksual" not in rows(html) and "Perkosaan" not in rows(html)
        html = c.get(PAGE.format(section="violence") + "&place=kec:73.72.03").content.decode()
        assert "Seksual" in rows(html)
        # two-dimension tables stop at kecamatan
        html = c.get(PAGE.format(section="victims") + f"&place=kel:{kel}").content.decode()
        assert "Korban menurut kelompok umur dan jenis kelamin" not in html


def test_rounding_to_five(personas):
    from reports.protect import shown

    assert [shown(n, True) for n in (0, 1, 4, 5, 7, 8, 12, 13)] == [0, "<5", "<5", 5, 5, 10, 10, 15]
    assert shown(3, False) == 3


def test_report_pages_make_a_fixed_number_of_queries(personas):
    def measure():
        out = []
        for who in ("ws.koordinator", "kota.analis"):
            c = personas.client(who)
            for s in SECTIONS:
                out.append(count_get(c, PAGE.format(section=s)))
        return tuple(out)

    with time_machine.travel(DEC, tick=False):
        make_case(personas, "handling")
    small = measure()
    with time_machine.travel(DEC, tick=False):
        for _ in range(3):
            make_case(personas, "closed", victims=2, perpetrators=[{"sex": "M", "age": 30}])
        make_case(personas, "handling", kel="wb", child=True)
    big = measure()
    assert small == big
    assert max(big) <= 12, big


def test_role_play_behind_the_coordinators_switch(personas):
    with time_machine.travel(DEC, tick=False):
        make_case(personas, "received", roleplay=True)
        make_case(personas, "received")
    c = personas.client("ws.koordinator")
    real = c.get(PAGE.format(section="victims")).content.decode()
    sim = c.get(PAGE.format(section="victims") + "&roleplay=1").content.decode()
    assert first(real, "Kasus baru") == ["1"] and first(sim, "Kasus baru") == ["1"]
    assert "<strong>Simulasi</strong>" in sim and "<strong>Simulasi</strong>" not in real
    # the lurah has no such switch: the parameter is ignored
    lurah = personas.client("ws.lurah").get(PAGE.format(section="victims") + "&roleplay=1")
    assert first(lurah.content.decode(), "Kasus baru") == ["1"]
    assert 'name="roleplay"' not in lurah.content.decode()


def test_agency_officer_sees_only_referrals_to_their_agency(personas):
    from tests.factories import make_referral

    with time_machine.travel(DEC, tick=False):
        for _ in range(6):
            make_referral(personas, "sent")  # to UPTD PPA
    page = "/reports/services/?period=month&year=2026&month=12&place=kota:73.72"
    uptd = personas.client("uptdppa.petugas").get(page).content.decode()
    assert first(uptd, "UPTD PPA") == ["5"]  # 6, rounded
    assert "Layanan yang direncanakan menurut jenis" not in uptd
    dp3a = personas.client("dp3a.petugas").get(page).content.decode()
    assert first(dp3a, "UPTD PPA") == ["0"]
    assert (
        personas.client("uptdppa.petugas").get(page.replace("services", "victims")).status_code
        == 404
    )


def test_trend_line_chart_with_its_table(data):
    """The twelve months ending with the period, as a table and a line chart that carries a
    title, a text summary and every value; the kota analyst's months are protected too."""
    import re

    html = data.client("ws.koordinator").get(PAGE.format(section="victims")).content.decode()
    section = html.split('id="trend-h"', 1)[1].split("</section>", 1)[0]
    months = re.findall(r'<th scope="row">(.*?)</th>', section)
    assert len(months) == 12 and months[-1] == "Des 26" and months[-2] == "Nov 26"
    cells = re.findall(r"<tr><th scope=\"row\">(.*?)</th>(.*?)</tr>", section)
    by_month = {m: re.findall(r"<td[^>]*>(.*?)</td>", rest) for m, rest in cells}
    assert by_month["Des 26"] == ["3", "3"] and by_month["Nov 26"] == ["1", "1"]
    assert by_month["Jan 26"] == ["0", "0"]
    assert section.count("<polyline") == 2
    assert '<title id="trend-chart-t">Kasus baru dan korban per bulan</title>' in section
    assert "tertinggi 3 (Des 26)" in section  # the summary names the peak month
    kota = data.client("kota.analis").get(PAGE.format(section="victims")).content.decode()
    ksection = kota.split('id="trend-h"', 1)[1].split("</section>", 1)[0]
    assert '<td class="text-end">&lt;5</td>' in ksection
    assert not re.search(r'<td class="text-end">[1-4]</td>', ksection)


def test_medians_from_duration_bands(personas):
    """The quality section's medians come from the monthly rows (bands of hours), estimated
    within the band, and follow a change of the case; the bands themselves."""
    from cases.models import Case
    from reports import figures
    from reports.sections import _median

    assert figures.duration_band(None, DEC) == ""
    assert figures.duration_band(DEC, DEC) == "00"
    assert figures.duration_band(DEC, DEC + datetime.timedelta(hours=1, minutes=30)) == "03"
    assert figures.duration_band(DEC, DEC + datetime.timedelta(days=400)) == "26"
    with time_machine.travel(DEC, tick=False):
        cases = [make_case(personas) for _ in range(3)]
    # First contact 1.5, 2.5 and 30 hours after the complaint: the median is in the 2-3 h band.
    for case, hours in zip(cases, (1.5, 2.5, 30), strict=True):
        Case.objects.filter(pk=case.pk).update(
            received_at=DEC, first_contact_at=DEC + datetime.timedelta(hours=hours)
        )
        figures.refresh_case(case.pk)
    body = personas.client("ws.koordinator").get(PAGE.format(section="quality")).content.decode()
    assert "≈ 2.5 jam" in body
    # Estimated within the band: half of three cases is 1.5, the middle of the 2-3 h band.

    class B:
        protected = False
        data = {"m": {"03": 1, "04": 1, "13": 1}}

    assert _median(B, "m") == "≈ 2.5 hours" or _median(B, "m") == "≈ 2.5 jam"
    B.data = {"m": {}}
    assert _median(B, "m") == "–"
    B.protected, B.data = True, {"m": {"03": 4}}
    assert _median(B, "m") == "–"  # fewer than five for a protected reader
    B.data = {"m": {"26": 5}}
    assert "365.0" in str(_median(B, "m"))  # past the last edge: its lower edge, a year
