"""Attachment pages: the list and upload form of a case, and the access-checked download."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from cases.access import FULL, get_case_for_user, log_access
from cases.engine import ALREADY_DONE_MESSAGE, AlreadyDone, TransitionRefused
from cases.page import Section
from lbk.paging import page_of

from .forms import AttachmentForm
from .models import Attachment
from .services import attachment_add

ATTACHMENTS_PAGE = 25


def _list(case):
    return (
        Attachment.objects.filter(case=case)
        .select_related("uploaded_by")
        .order_by("-uploaded_at", "-pk")
    )


def case_prefetches():
    """The case's files, fetched with the case page."""
    from django.db.models import Prefetch

    qs = Attachment.objects.select_related("uploaded_by").order_by("-uploaded_at")
    return [Prefetch("attachments", queryset=qs)]


def case_page_section(request, case):
    """The attachments section of the case page: FULL access only (not the volunteer)."""
    if getattr(case, "access_level", None) != FULL:
        return []
    return [
        Section(
            id="lampiran",
            title=gettext_lazy("Attachments"),
            template="attachments/_section.html",
            context={
                "attachments": list(case.attachments.all()),
                "attachment_form": AttachmentForm(),
                "case": case,
            },
            order=80,
        )
    ]


@require_http_methods(["GET", "POST"])
def case_attachments(request, case_pk):
    case = get_case_for_user(request, case_pk, action="attachments", need=FULL)
    form = AttachmentForm()
    if request.method == "POST":
        form = AttachmentForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                attachment_add(
                    case=case,
                    uploaded=form.cleaned_data["file"],
                    description=form.cleaned_data["description"],
                    actor=request.user,
                )
            except AlreadyDone:
                messages.info(request, ALREADY_DONE_MESSAGE)
                return redirect("attachments:case", case_pk=case.pk)
            except TransitionRefused as refused:
                for reason in refused.reasons:
                    form.add_error(None, reason)
            except ValidationError as exc:
                form.add_error("file", exc)
            else:
                messages.success(request, _("The file has been attached."))
                return redirect("attachments:case", case_pk=case.pk)
    page = page_of(_list(case), request.GET.get("page"), ATTACHMENTS_PAGE)
    return render(
        request,
        "attachments/case.html",
        {
            "case": case,
            "attachments": page.object_list,
            "page_obj": page,
            "attachment_form": form,
            "is_roleplay": case.is_roleplay,
        },
        status=400 if form.errors else 200,
    )


@require_GET
def download(request, pk):
    case_id = Attachment.objects.filter(pk=pk).values_list("case_id", flat=True).first()
    if case_id is None:
        raise Http404
    # 404 for anyone without the full record (the volunteer, other kelurahan, agencies, admin).
    case = get_case_for_user(request, case_id, need=FULL, log=False)
    att = Attachment.objects.get(pk=pk)
    log_access(request, "attachment_download", case=case, detail=f"attachment:{att.pk}")
    response = FileResponse(
        att.file.open("rb"),
        as_attachment=True,
        filename=att.original_name,
        content_type=att.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
