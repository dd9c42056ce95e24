"""The only place that writes attachments."""

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from cases.models import CaseEvent

from .models import Attachment
from .validation import clean_upload


@transaction.atomic
def attachment_add(*, case, uploaded, description, actor) -> Attachment:
    """Check, clean (photo metadata removed) and store a file; note it on the timeline.

    Raises ValidationError (Indonesian message) when the file is refused.
    """
    clean = clean_upload(uploaded, settings.ATTACHMENT_MAX_BYTES)
    att = Attachment(
        case=case,
        kelurahan_id=case.kelurahan_id,
        original_name=clean.name,
        content_type=clean.content_type,
        size=len(clean.content),
        sha256=clean.sha256,
        description=description,
        uploaded_by=actor,
    )
    att.file.save(clean.name, ContentFile(clean.content), save=False)
    att.save()
    CaseEvent.objects.create(
        case=case,
        kelurahan_id=case.kelurahan_id,
        kind=CaseEvent.Kind.ATTACHMENT,
        action="attachment_add",
        actor=actor,
        # Ids only: the description and the name may be personal data.
        data={"attachment": att.pk},
    )
    return att
