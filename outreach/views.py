"""The outreach-activities log: list, record, page with photos, photo upload and download."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Kelurahan
from attachments.validation import clean_upload
from cases.access import log_access
from lbk.paging import page_of

from .access import get_activity, readable_kelurahan, recording_kelurahan
from .forms import ActivityForm, PhotoForm
from .models import Activity, Photo


@require_GET
def activity_list(request):
    ids = readable_kelurahan(request.user)
    if not ids:
        raise Http404
    qs = Activity.objects.filter(kelurahan_id__in=ids).select_related("kelurahan")
    page = page_of(qs, request.GET.get("page"), 25)
    return render(
        request,
        "outreach/list.html",
        {"page_obj": page, "may_record": bool(recording_kelurahan(request.user))},
    )


@require_http_methods(["GET", "POST"])
def activity_new(request):
    ids = recording_kelurahan(request.user)
    if not ids:
        raise Http404
    kels = list(Kelurahan.objects.filter(pk__in=ids).order_by("name"))
    choices = [(k.pk, str(k)) for k in kels]
    form = ActivityForm(request.POST or None, kelurahan_choices=choices)
    if request.method == "POST" and form.is_valid():
        activity = form.save(commit=False)
        activity.kelurahan_id = form.cleaned_data.get("kelurahan") or kels[0].pk
        activity.recorded_by = request.user
        activity.save()
        messages.success(request, _("The activity was recorded."))
        return redirect("outreach:detail", pk=activity.pk)
    return render(request, "outreach/new.html", {"form": form})


@require_GET
def activity_detail(request, pk):
    activity = get_activity(request.user, pk)
    may_record = activity.kelurahan_id in recording_kelurahan(request.user)
    return render(
        request,
        "outreach/detail.html",
        {
            "a": activity,
            "photos": list(activity.photos.all()),
            "photo_form": PhotoForm() if may_record else None,
        },
    )


@require_POST
def photo_add(request, pk):
    activity = get_activity(request.user, pk, record=True)
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            clean = clean_upload(form.cleaned_data["file"], settings.ATTACHMENT_MAX_BYTES)
            if not clean.content_type.startswith("image/"):
                raise ValidationError(_("Send a photo (JPEG, PNG, WebP)."))
        except ValidationError as e:
            form.add_error("file", e)
        else:
            with transaction.atomic():
                photo = Photo(
                    activity=activity,
                    kelurahan_id=activity.kelurahan_id,
                    original_name=clean.name,
                    content_type=clean.content_type,
                    size=len(clean.content),
                    sha256=clean.sha256,
                    caption=form.cleaned_data["caption"],
                    consent_confirmed=True,
                    uploaded_by=request.user,
                )
                photo.file.save(clean.name, ContentFile(clean.content), save=False)
                photo.save()
            messages.success(request, _("The photo was added."))
            return redirect("outreach:detail", pk=activity.pk)
    return render(
        request,
        "outreach/detail.html",
        {"a": activity, "photos": list(activity.photos.all()), "photo_form": form},
        status=400,
    )


@require_GET
def photo_download(request, pk):
    photo = Photo.objects.filter(pk=pk, kelurahan_id__in=readable_kelurahan(request.user)).first()
    if photo is None:
        raise Http404
    log_access(
        request, "outreach_photo", kelurahan_id=photo.kelurahan_id, detail=f"photo:{photo.pk}"
    )
    response = FileResponse(
        photo.file.open("rb"), filename=photo.original_name, content_type=photo.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
