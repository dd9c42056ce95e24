"""Letters through the outbox: approval numbers the letter in its short transaction; the letter
task renders and stores the PDF after the commit ("store_letter", through the engine); only then
is the referral sent to an agency with users. Consent withdrawn in between narrows the letter."""

import hashlib
import io

import pypdf
from django.urls import reverse

from cases.models import CaseEvent, Consent
from cases.services.procedure import case_advance
from notifications.models import Notification
from outbox.models import OutboxItem
from referrals import letters, services
from referrals.models import Referral, State
from tests.factories import make_referral, worked


def text_of(data):
    reader = pypdf.PdfReader(io.BytesIO(data))
    return " ".join(" ".join(p.extract_text() for p in reader.pages).split())


def test_the_letter_is_ready_after_the_commit_with_one_hash_on_every_download(
    master, personas, django_capture_on_commit_callbacks
):
    r = make_referral(personas, "requested", fields=["full_name"])
    staff = personas.client("ws.kasikesra")
    officer = personas.client("uptdppa.petugas")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        resp = staff.post(reverse("referrals:step", args=[r.pk, "approve"]))
    assert resp.status_code == 302
    # Committed: numbered, frozen, no PDF yet; the agency has nothing; the page says so.
    r.refresh_from_db()
    assert r.state == State.APPROVED and r.letter_number and not r.pdf_sha256
    row = OutboxItem.objects.get(kind="letter", target_id=r.pk)
    assert row.state == OutboxItem.State.PENDING
    assert not Notification.objects.filter(user=personas["uptdppa.petugas"]).exists()
    detail = reverse("referrals:detail", args=[r.pk])
    assert "sedang disiapkan" in staff.get(detail).content.decode()
    assert officer.get(detail).status_code == 404
    assert staff.get(reverse("referrals:letter", args=[r.pk])).status_code == 404

    for cb in callbacks:  # the commit's callbacks: the letter task (immediate backend)
        cb()
    r.refresh_from_db()
    assert r.pdf_sha256 and r.state == State.SENT
    row.refresh_from_db()
    assert row.state == OutboxItem.State.DONE and row.result == "stored" and row.attempts == 1
    events = list(CaseEvent.objects.filter(case=r.case).values_list("action", flat=True))
    assert events[-3:] == ["approve", "store_letter", "send"]
    assert Notification.objects.filter(user=personas["uptdppa.petugas"]).count() == 1
    page = staff.get(detail).content.decode()
    assert "sedang disiapkan" not in page and reverse("referrals:letter", args=[r.pk]) in page

    downloads = [
        c.get(reverse("referrals:letter", args=[r.pk])).content
        for c in (staff, officer, staff, personas.client("ws.pendamping"))
    ]
    assert {hashlib.sha256(d).hexdigest() for d in downloads} == {r.pdf_sha256}
    assert r.victim.full_name in text_of(downloads[0])
    # A second task for the same row does nothing; the letter is stored once.
    worked()
    assert Referral.objects.get(pk=r.pk).pdf_sha256 == r.pdf_sha256
    assert CaseEvent.objects.filter(case=r.case, action="store_letter").count() == 1


def test_consent_withdrawn_between_approval_and_rendering(master, personas):
    r = make_referral(personas, "approved", fields=["full_name", "address"], letter=False)
    assert r.letter_with_consent and r.letter_shared_fields == ["full_name", "address"]
    assert not r.pdf_sha256
    share = Consent.objects.get(victim=r.victim, purpose="share")
    case_advance(
        case=r.case,
        action="withdraw_consent",
        actor=personas["ws.pendamping"],
        data={"consent": share, "note": "Korban menarik persetujuan"},
    )
    r = worked(r)
    # Stored, narrowed to what needs no consent, and not sent to the agency.
    assert r.pdf_sha256 and r.letter_shared_fields == [] and not r.letter_with_consent
    assert r.state == State.APPROVED
    text = text_of(letters.read_letter(r))
    assert r.victim.full_name not in text and r.victim.address not in text
    assert r.victim.display_initials in text
    assert not Notification.objects.filter(user=personas["uptdppa.petugas"]).exists()
    # The companion is told.
    told = Notification.objects.get(kind="letter_narrowed")
    assert told.user == personas["ws.pendamping"] and r.case.number in told.text
    store = CaseEvent.objects.get(case=r.case, action="store_letter")
    assert store.actor == r.signer


def test_no_letter_for_a_referral_cancelled_before_it_was_ready(master, personas):
    r = make_referral(personas, "approved", letter=False)
    services.referral_advance(
        referral=r, action="cancel", actor=personas["ws.lurah"], data={"reason": "Salah instansi"}
    )
    r = worked(r)
    assert r.state == State.CANCELLED and r.letter_number and not r.pdf_sha256
    assert OutboxItem.objects.get(kind="letter").result == "obsolete"


def test_the_companion_cannot_record_sending_before_the_letter_is_stored(master, personas):
    r = make_referral(personas, "approved", agency="police", letter=False)
    steps = {s.action for s in services.wf.REFERRAL.available_steps(r, personas["ws.pendamping"])}
    assert "send" not in steps
    r = worked(r)
    steps = {s.action for s in services.wf.REFERRAL.available_steps(r, personas["ws.pendamping"])}
    assert "send" in steps
    assert Notification.objects.filter(kind="referral_approved", user=personas["ws.pendamping"])
