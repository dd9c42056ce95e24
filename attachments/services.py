"""The only place that writes attachments: the case procedure's "attach" step, fired through the
engine (cases/engine.py), so a closed case takes no new file and the same upload sent twice is
stored once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.base import ContentFile

from cases import engine, workflow

from .models import Attachment
from .validation import clean_upload

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile

    from accounts.models import User
    from cases.engine import Ctx
    from cases.models import Case


def attachment_add(
    *, case: Case, uploaded: UploadedFile, description: str, actor: User
) -> Attachment:
    """Check, clean (photo metadata removed) and store a file; note it on the timeline.

    Raises ValidationError (Indonesian message) when the file is refused, TransitionRefused when
    the case takes no file now, AlreadyDone when this upload form was already stored.
    """
    clean = clean_upload(uploaded, settings.ATTACHMENT_MAX_BYTES)
    data = {"clean": clean, "description": description}
    att = engine.fire(workflow.CASE, case, "attach", actor, data).outcome.result
    assert isinstance(att, Attachment)  # what the "attach" effect creates
    return att


def store_attachment(ctx: Ctx[Case]) -> Attachment:
    """The effect of "attach" (called by the engine, the case locked)."""
    case, clean = ctx.subject, ctx.data["clean"]
    att = Attachment(
        case=case,
        kelurahan_id=case.kelurahan_id,
        original_name=clean.name,
        content_type=clean.content_type,
        size=len(clean.content),
        sha256=clean.sha256,
        description=ctx.data["description"],
        uploaded_by=ctx.actor,
    )
    att.file.save(clean.name, ContentFile(clean.content), save=False)
    att.save()
    return att
