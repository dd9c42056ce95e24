"""Case files through the storage API, on the local folder and on S3-compatible object storage
(moto's server on loopback): upload, access-checked download, letters, printed procedures; the
bucket's objects private and encrypted, and no URL of a stored file ever handed out."""

import hashlib

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from attachments.models import Attachment
from cases.models import AccessLog
from tests.factories import make_case, make_referral
from tests.servers import s3_client
from tests.uploads import PDF_BYTES, png_bytes, upload


def _objects(s3_endpoint, bucket):
    resp = s3_client(s3_endpoint).list_objects_v2(Bucket=bucket)
    return {o["Key"] for o in resp.get("Contents", [])}


@pytest.fixture
def no_urls(monkeypatch, storage_backend):
    """Any call of the case-file storage's url() fails the test: no signed or public URL of a
    stored file reaches a page (static files keep theirs)."""

    def refuse(name, *args, **kwargs):
        raise AssertionError(f"storage URL asked for {name}")

    default_storage._setup()
    monkeypatch.setattr(default_storage._wrapped, "url", refuse)


@pytest.fixture
def case(master, personas):
    return make_case(personas, "assessment")


def test_s3_settings_keep_objects_private_and_encrypted():
    from lbk.storage import s3_storage

    conf = s3_storage(bucket="b", endpoint_url="https://s3.example.id", region="ap-southeast-3")
    opts = conf["OPTIONS"]
    assert conf["BACKEND"] == "storages.backends.s3.S3Storage"
    assert opts["querystring_auth"] is False  # never a signed URL
    assert opts["default_acl"] == "private"
    assert opts["file_overwrite"] is False  # written once, as on disk
    assert opts["object_parameters"] == {"ServerSideEncryption": "AES256"}
    kms = s3_storage(bucket="b", encryption="aws:kms", kms_key_id="key-1")["OPTIONS"]
    assert kms["object_parameters"] == {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "key-1"}


def test_attachment_upload_and_download_through_the_views(
    storage_backend, personas, case, no_urls, request
):
    c = personas.client("ws.pendamping")
    url = reverse("attachments:case", kwargs={"case_pk": case.pk})
    r = c.post(url, {"file": upload("visum korban.pdf", PDF_BYTES), "description": ""})
    assert r.status_code == 302, r.content[:500]
    att = Attachment.objects.get()
    assert default_storage.exists(att.file.name)
    if storage_backend == "s3":
        endpoint = request.getfixturevalue("s3_endpoint")
        bucket = request.getfixturevalue("s3_bucket")
        key = f"posko/{att.file.name}"
        assert key in _objects(endpoint, bucket)
        s3 = s3_client(endpoint)
        head = s3.head_object(Bucket=bucket, Key=key)
        assert head["ServerSideEncryption"] == "AES256"
        grants = s3.get_object_acl(Bucket=bucket, Key=key)["Grants"]
        assert [g["Permission"] for g in grants] == ["FULL_CONTROL"]  # the owner only
        assert all("URI" not in g["Grantee"] for g in grants)  # no AllUsers / AuthenticatedUsers
    # The download goes through the access check and is logged; the bytes are the upload's.
    r = c.get(reverse("attachments:download", args=[att.pk]))
    assert r.status_code == 200
    assert b"".join(r.streaming_content) == PDF_BYTES
    assert AccessLog.objects.filter(action="attachment_download", case=case).count() == 1
    # The case page and the attachments page name no storage URL (no_urls would fail).
    assert c.get(url).status_code == 200
    assert c.get(reverse("cases:detail", args=[case.pk])).status_code == 200
    # Outsiders: 404, as on the local folder.
    for name in ("ws.pendamping2", "wb.koordinator", "uptdppa.petugas", "admin"):
        assert (
            personas.client(name).get(reverse("attachments:download", args=[att.pk])).status_code
            == 404
        )
    # A photo too (re-encoded without metadata before it is stored).
    r = c.post(url, {"file": upload("foto.png", png_bytes()), "description": "foto"})
    assert r.status_code == 302
    assert Attachment.objects.count() == 2


def test_letter_stored_once_and_downloaded_with_its_sha256(
    storage_backend, master, personas, settings, no_urls, request
):

    settings.SITE_URL = "https://posko.example.id"
    referral = make_referral(personas, "sent")
    referral.refresh_from_db()
    assert referral.pdf.name.startswith("letters/")
    assert default_storage.exists(referral.pdf.name)
    if storage_backend == "s3":
        keys = _objects(
            request.getfixturevalue("s3_endpoint"), request.getfixturevalue("s3_bucket")
        )
        assert f"posko/{referral.pdf.name}" in keys
    r = personas.client("uptdppa.petugas").get(reverse("referrals:letter", args=[referral.pk]))
    assert r.status_code == 200
    assert hashlib.sha256(r.content).hexdigest() == referral.pdf_sha256
    assert (
        personas.client("dp3a.petugas")
        .get(reverse("referrals:letter", args=[referral.pk]))
        .status_code
        == 404
    )


def test_printed_procedure_rendered_once_and_kept_in_storage(
    storage_backend, personas, monkeypatch, no_urls
):
    from cases import procedure_print

    calls = []
    real = procedure_print.render_procedure_pdf

    def counting(kel, version=None):
        calls.append(kel.pk)
        return real(kel, version)

    monkeypatch.setattr(procedure_print, "render_procedure_pdf", counting)
    c = personas.client("ws.koordinator")
    first = c.get(reverse("cases:procedure_pdf"))
    second = personas.client("ws.relawan").get(reverse("cases:procedure_pdf"))
    assert first.status_code == second.status_code == 200
    assert first.content.startswith(b"%PDF") and first.content == second.content
    assert len(calls) == 1  # the second node (or request) reads the stored copy
    from lbk.storage import walk

    assert [n for n in walk(default_storage) if n.startswith("procedures/WS/")]
