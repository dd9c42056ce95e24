"""The intake form: registering a complaint, the "add another" buttons, validation with Indonesian
messages beside the fields and in the summary, nothing typed lost, double submit."""

import datetime
import re
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Membership, Role
from cases.models import AccessLog, Case, CaseEvent, PerpetratorLink, Victim
from tests.form_posts import intake_post

URL = reverse("cases:create")
SIBLINGS = [
    {"full_name": "Nur Aisyah", "sex": "F", "estimated_age": "9", "nik": "7372015002170001"},
    {
        "full_name": "Muhammad Rahmat",
        "sex": "M",
        "birth_date": "2017-03-02",
        "disability_types": ["intellectual"],
        "vulnerable_groups": ["child", "disabled"],
        "accommodations": ["trusted_companion"],
    },
]
STEPFATHER = [
    {
        "name": "Baso Tahir",
        "sex": "M",
        "age": "41",
        "rel_0": "step_parent",
        "rel_1": "step_parent",
        "together_0": "on",
        "together_1": "on",
    }
]


def _post(client, data):
    return client.post(URL, data)


def _html(r):
    return r.content.decode()


def test_form_renders_for_volunteer_with_token_and_labels(personas):
    r = personas.client("ws.relawan").get(URL)
    assert r.status_code == 200
    html = _html(r)
    assert re.search(r'name="intake_token" value="[0-9a-f-]{36}"', html)
    assert "Pengaduan Baru" in html
    assert 'name="add_victim"' in html and 'name="add_perpetrator"' in html
    # Checkbox groups come in a fieldset with a legend.
    assert re.search(r"<fieldset[^>]*>\s*<legend[^>]*>\s*Jenis kekerasan", html)
    # One kelurahan only: no select.
    assert 'name="kelurahan"' not in html


def test_volunteer_registers_two_siblings_stepfather_anonymous_neighbour(personas, master):
    c = personas.client("ws.relawan")
    data = intake_post(
        victims=SIBLINGS,
        perps=STEPFATHER,
        reporter_anonymous="on",
        reporter_name="Ibu Tetangga",
        reporter_contact="0812 0000 1111",
        reporter_wants_feedback="on",
        incident_date="2026-11-20",
        incident_date_approximate="on",
        incident_rt="002",
        incident_rw="004",
        violence_types=["physical", "psychological"],
        **{"gbv_rape": "no", "gbv_sexual_assault": "no", "gbv_physical_assault": "yes"},
    )
    r = _post(c, data)
    assert r.status_code == 302
    case = Case.objects.get()
    assert r["Location"] == reverse("cases:detail", args=[case.pk])
    year = timezone.localdate().year
    assert case.number == f"WS-{year}-0001"
    assert case.status == "received"
    assert case.registered_by == personas["ws.relawan"]
    assert case.kelurahan == master["ws"]
    assert case.reporter_anonymous and case.reporter_name == ""  # never stored
    assert case.gbv_type == "physical_assault"
    assert case.violence_types == ["physical", "psychological"]
    victims = list(case.victims.order_by("position"))
    assert [v.full_name for v in victims] == ["Nur Aisyah", "Muhammad Rahmat"]
    assert victims[1].has_disability and victims[1].is_child
    assert victims[1].kelurahan == master["ws"]
    links = PerpetratorLink.objects.filter(perpetrator__case=case)
    assert {(lk.victim.full_name, lk.relation, lk.lives_together) for lk in links} == {
        ("Nur Aisyah", "step_parent", True),
        ("Muhammad Rahmat", "step_parent", True),
    }
    ev = CaseEvent.objects.get(case=case)
    assert ev.kind == "registered" and ev.actor == personas["ws.relawan"]
    page = _html(c.get(r["Location"]))
    assert case.number in page
    assert "Ibu Tetangga" not in page and "Anonim" in page


def test_add_victim_button_redraws_form_keeping_everything_typed(personas):
    c = personas.client("ws.relawan")
    data = intake_post(victims=[SIBLINGS[0]], perps=STEPFATHER, narrative="Kronologi ABC-123")
    data.pop("save")
    data["add_victim"] = "1"
    r = _post(c, data)
    assert r.status_code == 200
    html = _html(r)
    assert 'name="victims-TOTAL_FORMS" value="2"' in html
    assert 'name="victims-1-full_name"' in html
    assert 'value="Nur Aisyah"' in html and "Kronologi ABC-123" in html
    assert 'value="Baso Tahir"' in html
    # The perpetrator's relation grid grew a row for the new victim.
    assert 'name="perps-0-rel_1"' in html
    # The new victim's name field takes the focus.
    assert re.search(r'<input[^>]*name="victims-1-full_name"[^>]*autofocus', html)
    # Nothing judged, nothing saved.
    assert "error-summary" not in html
    assert Case.objects.count() == 0


def test_add_perpetrator_button(personas):
    c = personas.client("ws.relawan")
    data = intake_post(victims=[SIBLINGS[0]])
    data.pop("save")
    data["add_perpetrator"] = "1"
    html = _html(_post(c, data))
    assert 'name="perps-TOTAL_FORMS" value="1"' in html
    assert 'name="perps-0-name"' in html
    assert Case.objects.count() == 0


def _assert_refused(r, message, *kept):
    assert r.status_code == 200
    html = _html(r)
    summary = html.split('id="error-summary"')[1].split("</div>")[0]
    assert message in summary, summary
    # Beside the field too (crispy's invalid-feedback), not only in the summary.
    assert html.count(message) >= 2
    for text in kept:
        assert text in html
    assert Case.objects.count() == 0


def test_nik_must_have_16_digits(personas):
    data = intake_post(victims=[{**SIBLINGS[0], "nik": "737201500217000"}])
    r = _post(personas.client("ws.relawan"), data)
    _assert_refused(r, "NIK harus tepat 16 angka.", 'value="737201500217000"', "Nur Aisyah")
    html = _html(r)
    assert re.search(r'aria-describedby="[^"]*id_victims-0-nik_error', html)
    assert 'aria-invalid="true"' in html
    assert 'href="#id_victims-0-nik"' in html


def test_future_dates_refused(personas):
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    later = (timezone.localtime() + datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    data = intake_post(
        victims=[{"full_name": "Nur Aisyah", "birth_date": tomorrow}],
        incident_date=tomorrow,
        received_at=later,
    )
    r = _post(personas.client("ws.relawan"), data)
    html = _html(r)
    msg = "Tanggal tidak boleh di masa depan."
    _assert_refused(r, msg, f'value="{tomorrow}"', f'value="{later}"')
    summary = html.split('id="error-summary"')[1].split("</div>")[0]
    assert summary.count(msg) == 3  # received, incident, birth


def test_birth_date_after_incident_refused(personas):
    data = intake_post(
        victims=[{"full_name": "Nur Aisyah", "birth_date": "2020-05-01"}],
        incident_date="2019-01-01",
    )
    r = _post(personas.client("ws.relawan"), data)
    _assert_refused(r, "Tanggal lahir sesudah tanggal kejadian.", 'value="2020-05-01"')


def test_no_victim_refused(personas):
    data = intake_post(victims=[{"full_name": ""}], narrative="Hanya kronologi 777")
    r = _post(personas.client("ws.relawan"), data)
    html = _html(r)
    assert r.status_code == 200
    assert "Catat paling sedikit satu korban" in html
    assert "Hanya kronologi 777" in html
    assert Case.objects.count() == 0


@pytest.mark.parametrize(
    "victim",
    [
        {"full_name": "Nenek Tua", "estimated_age": "121"},
        {"full_name": "Nenek Tua", "birth_date": "1890-01-01"},
    ],
)
def test_age_over_120_refused(personas, victim):
    r = _post(personas.client("ws.relawan"), intake_post(victims=[victim]))
    _assert_refused(r, "Usia di atas 120 tahun tidak mungkin.", "Nenek Tua")


def test_tpks_types_need_sexual_violence(personas):
    data = intake_post(tpks_types=["rape"], violence_types=["physical"])
    r = _post(personas.client("ws.relawan"), data)
    _assert_refused(r, "Jenis kekerasan seksual hanya berlaku", 'value="rape"')
    data["violence_types"] = ["physical", "sexual"]
    assert _post(personas.client("ws.relawan"), data).status_code == 302
    assert Case.objects.get().tpks_types == ["rape"]


def test_a_kind_is_required(personas):
    data = intake_post(kinds=[], violence_types=[])
    r = _post(personas.client("ws.relawan"), data)
    _assert_refused(r, "Pilih paling sedikit satu jenis")


def test_either_risk_question_makes_an_emergency(personas):
    c = personas.client("ws.relawan")
    _post(c, intake_post(danger_now="yes"))
    _post(c, intake_post(injured_needs_care="yes"))
    _post(c, intake_post())
    assert [x.is_emergency for x in Case.objects.order_by("seq")] == [True, True, False]


@pytest.mark.parametrize(
    "answers,expected",
    [
        ({}, ""),
        ({"gbv_rape": "no", "gbv_psychological": "no"}, "none"),
        (
            {"gbv_rape": "no", "gbv_sexual_assault": "yes", "gbv_psychological": "yes"},
            "sexual_assault",
        ),
        ({"gbv_denial": "yes", "gbv_forced_marriage": "yes"}, "forced_marriage"),
    ],
)
def test_gbvims_type_is_the_first_yes_in_order(personas, answers, expected):
    _post(personas.client("ws.relawan"), intake_post(**answers))
    assert Case.objects.get().gbv_type == expected


def test_social_protection_case_with_dtsen_and_wg(personas):
    data = intake_post(
        kinds=["social_protection"],
        violence_types=[],
        social_problems=["not_in_dtsen", "aid_stopped"],
        victims=[
            {
                "full_name": "Daeng Sompa",
                "estimated_age": "67",
                "dtsen_status": "yes",
                "dtsen_decile": "2",
                "assistance": ["pkh"],
                "wg_walking": "3",
                "wg_seeing": "1",
            }
        ],
    )
    assert _post(personas.client("ws.relawan"), data).status_code == 302
    case = Case.objects.get()
    assert case.is_social_protection and not case.is_violence
    v = case.victims.get()
    assert (v.dtsen_status, v.dtsen_decile, v.assistance) == ("yes", 2, ["pkh"])
    assert v.has_disability and v.wg_walking == "3"


def test_dtsen_decile_only_when_registered(personas):
    data = intake_post(victims=[{"full_name": "A", "dtsen_status": "no", "dtsen_decile": "3"}])
    _assert_refused(_post(personas.client("ws.relawan"), data), "Desil hanya dicatat")


def test_double_submit_creates_one_case(personas):
    c = personas.client("ws.relawan")
    token = uuid.uuid4()
    data = intake_post(token=token)
    r1 = _post(c, data)
    r2 = _post(c, data)
    assert Case.objects.count() == 1
    assert r1["Location"] == r2["Location"]
    assert Case.objects.get().intake_token == token


def test_role_play_case_has_its_own_series_and_banner(personas):
    c = personas.client("ws.relawan")
    _post(c, intake_post())
    r = _post(c, intake_post(is_roleplay="on"))
    year = timezone.localdate().year
    sim = Case.objects.get(is_roleplay=True)
    assert sim.number == f"WS-SIM-{year}-0001"
    html = _html(c.get(r["Location"]))
    assert "SIMULASI" in html and "simulasi-banner" in html


def test_several_kelurahan_give_a_select_limited_to_them(personas, master):
    user = personas["ws.koordinator"]
    Membership.objects.create(user=user, kelurahan=master["wb"], role=Role.RELAWAN)
    c = personas.client("ws.koordinator")
    html = _html(c.get(URL))
    assert 'name="kelurahan"' in html
    assert "Watang Bacukiki" in html and "Watang Soreang" in html
    r = _post(c, intake_post(kelurahan=""))
    _assert_refused(r, "tidak boleh kosong")
    r = _post(c, intake_post(kelurahan="999"))
    assert r.status_code == 200 and Case.objects.count() == 0
    r = _post(c, intake_post(kelurahan=str(master["wb"].pk)))
    assert r.status_code == 302
    assert Case.objects.get().number.startswith("WB-")


def test_intake_form_is_closed_to_agency_and_admin(personas):
    for who in ("dp3a.petugas", "uptdppa.petugas", "dinsos.petugas", "admin"):
        c = personas.client(who)
        assert c.get(URL).status_code == 404, who
        assert c.post(URL, intake_post()).status_code == 404, who
    assert Case.objects.count() == 0


def test_possible_duplicate_is_not_revealed_while_typing(personas, master):
    c = personas.client("ws.relawan")
    c.post(URL, intake_post(victims=[SIBLINGS[0]]), follow=True)
    # A second complaint about the same NIK, first with an error: the re-shown form says nothing
    # about the other case.
    data = intake_post(victims=[{**SIBLINGS[0], "estimated_age": "500"}])
    html = _html(_post(c, data))
    first = Case.objects.get()
    assert first.number not in html and "duplikat" not in html.lower()


def test_abandoned_form_uses_no_number(personas):
    c = personas.client("ws.relawan")
    _post(c, intake_post(victims=[{"full_name": "X", "nik": "1"}]))
    _post(c, intake_post())
    year = timezone.localdate().year
    assert Case.objects.get().number == f"WS-{year}-0001"


def test_registration_is_logged_as_a_duplicate_check_without_personal_data(personas):
    _post(personas.client("ws.relawan"), intake_post(victims=[SIBLINGS[0]]))
    log = AccessLog.objects.get(action="duplicate_check")
    assert log.user == personas["ws.relawan"]
    assert SIBLINGS[0]["nik"] not in log.detail and "Nur" not in log.detail
    assert Victim.objects.count() == 1
