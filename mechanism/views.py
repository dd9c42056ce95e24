"""Pages of the mechanism (not the admin): the versions of a place, the draft editor, start
trial, enact (the head of the place), a version's page with its change log. Who may do what is
mechanism/access.py; what is allowed in which state is mechanism/services.py."""

from __future__ import annotations

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Kelurahan

from . import access, services
from .forms import DraftForm, EnactForm
from .models import ChangeLog, Version


def _refused(request, e: services.Refused) -> None:
    for reason in e.reasons:
        messages.error(request, reason)


@require_GET
def index(request):
    """The places whose mechanism the user keeps; with one place, its versions."""
    ids = access.places(request.user)
    if not ids:
        raise Http404
    places = list(Kelurahan.objects.filter(pk__in=ids, is_active=True).order_by("name"))
    if len(places) == 1:
        return redirect("mechanism:versions", places[0].code)
    return render(request, "mechanism/index.html", {"places": places})


@require_GET
def versions(request, code):
    kel = access.kelurahan_or_404(request.user, code)
    rows = list(
        Version.objects.filter(kelurahan=kel).select_related("kelurahan").order_by("-number")
    )
    return render(
        request,
        "mechanism/versions.html",
        {
            "kelurahan": kel,
            "rows": rows,
            "has_draft": any(v.state == Version.State.DRAFT for v in rows),
            "governing": next(
                (v for v in rows if v.state == Version.State.ENACTED),
                next((v for v in rows if v.state == Version.State.TRIAL), None),
            ),
        },
    )


@require_POST
def new_draft(request, code):
    kel = access.kelurahan_or_404(request.user, code)
    try:
        version = services.create_draft(kelurahan=kel, actor=request.user)
    except services.Refused as e:
        _refused(request, e)
        return redirect("mechanism:versions", kel.code)
    messages.success(request, _("Draft version %(n)s made.") % {"n": version.number})
    return redirect("mechanism:edit", kel.code, version.number)


@require_GET
def detail(request, code, number):
    version = access.version_or_404(request.user, code, number)
    changes = ChangeLog.objects.filter(version=version).select_related("by").order_by("at", "pk")
    return render(
        request,
        "mechanism/detail.html",
        {
            "kelurahan": version.kelurahan,
            "v": version,
            "changes": changes,
            "deadlines": _deadline_rows(version),
            "hours": _hour_rows(version),
            "agencies": list(version.handover_agencies.order_by("name")),
            "may_enact": access.can_enact(request.user, version.kelurahan_id),
        },
    )


def _deadline_rows(version):
    from cases.procedure_print import deadline_in_words

    from .forms import clock_keys, default_of
    from .models import Deadline

    rows = []
    for key, label in clock_keys():
        d = version.deadline(key)
        rows.append((label, deadline_in_words(d or Deadline(default_of(key))), d is None))
    return rows


def _hour_rows(version):
    from .models import Weekday

    return [(day.label, version.hours_on(day.value)) for day in Weekday]


@require_http_methods(["GET", "POST"])
def edit(request, code, number):
    version = access.version_or_404(request.user, code, number)
    if request.method == "POST":
        form = DraftForm(request.POST)
        if form.is_valid():
            try:
                services.update_draft(
                    version_id=version.pk, actor=request.user, data=form.changes()
                )
            except services.Refused as e:
                for reason in e.reasons:
                    form.add_error(None, reason)
            else:
                messages.success(request, _("The draft is saved."))
                return redirect(version.get_absolute_url())
        status = 400 if form.errors else 200
    else:
        if not version.editable:
            messages.error(request, services._not_editable(version).reasons[0])
            return redirect(version.get_absolute_url())
        form = DraftForm(initial=DraftForm.initial_from(version))
        status = 200
    return render(
        request,
        "mechanism/edit.html",
        {"kelurahan": version.kelurahan, "v": version, "form": form},
        status=status,
    )


@require_POST
def start_trial(request, code, number):
    version = access.version_or_404(request.user, code, number)
    try:
        services.start_trial(version_id=version.pk, actor=request.user)
    except services.Refused as e:
        _refused(request, e)
    else:
        messages.success(
            request,
            _("Version %(n)s is on trial: new cases run on it until a version is enacted.")
            % {"n": version.number},
        )
    return redirect(version.get_absolute_url())


@require_http_methods(["GET", "POST"])
def enact(request, code, number):
    version = access.version_or_404(request.user, code, number)
    head = version.kelurahan.head_title
    if request.method == "POST":
        form = EnactForm(request.POST, request.FILES)
        if form.is_valid():
            d = form.cleaned_data
            try:
                services.enact(
                    version_id=version.pk,
                    actor=request.user,
                    sk_number=d["sk_number"],
                    sk_date=d["sk_date"],
                    title=d["title"],
                    scan=d.get("scan"),
                )
            except services.Refused as e:
                for reason in e.reasons:
                    form.add_error(None, reason)
            else:
                messages.success(request, _("Version %(n)s is enacted.") % {"n": version.number})
                return redirect(version.get_absolute_url())
        status = 400 if form.errors else 200
    else:
        if not access.can_enact(request.user, version.kelurahan_id):
            messages.error(request, _("Only the %(head)s enacts the mechanism.") % {"head": head})
            return redirect(version.get_absolute_url())
        form = EnactForm(initial={"title": version.title})
        status = 200
    return render(
        request,
        "mechanism/enact.html",
        {"kelurahan": version.kelurahan, "v": version, "form": form, "head": head},
        status=status,
    )


@require_GET
def scan(request, code, number):
    version = access.version_or_404(request.user, code, number)
    if not version.scan:
        raise Http404
    ext = version.scan.name.rsplit(".", 1)[-1]
    return FileResponse(
        version.scan.open("rb"),
        as_attachment=True,
        filename=f"SK-{version.kelurahan.code}-v{version.number}.{ext}",
    )


@require_GET
def procedure_pdf(request, code, number):
    """The printed procedure (annex of the SK) of this version: DRAF until enacted."""
    from cases import procedure_print

    version = access.version_or_404(request.user, code, number)
    data = procedure_print.stored_procedure_pdf(version.kelurahan, version)
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="alur-penanganan-{version.kelurahan.code}-v{version.number}.pdf"'
    )
    return response
