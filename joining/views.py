"""Joining (an admin adds a kelurahan or desa by its region code) and the guided setup its own
coordinator, kasi kesra or lurah completes: short steps, each saved on its own, with a progress
list; no JavaScript needed."""

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import Agency, Kelurahan, Membership, Role
from places.models import Kota, KotaEmblem

from . import access, services
from .forms import (
    ActingHeadForm,
    AgenciesServedForm,
    AgencyForm,
    EmblemForm,
    JoinForm,
    LetterheadForm,
    NumberingForm,
    SignerForm,
)
from .models import ActingHead, AgencyContact, SetupStep

STEPS = [
    ("letterhead", gettext_lazy("Letterhead")),
    ("signers", gettext_lazy("Signers")),
    ("acting", gettext_lazy("Acting head (Plh./Plt.)")),
    ("agencies", gettext_lazy("Agencies served")),
    ("numbering", gettext_lazy("Letter numbers")),
    ("people", gettext_lazy("First people")),
]
STEP_KEYS = [k for k, _label in STEPS]


def _mechanism_url(kel):
    """The mechanism pages (service hours, contact points, deadlines) belong to the mechanism
    app; until it is there the step says where they are set."""
    try:
        return reverse("mechanism:versions", args=[kel.pk])
    except NoReverseMatch:
        return None


@require_http_methods(["GET", "POST"])
def join(request):
    if not access.is_joiner(request.user):
        raise Http404
    form = JoinForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            kel = services.join_place(request.user, **form.cleaned_data)
        except services.Refused as e:
            for reason in e.reasons:
                form.add_error(None, reason)
        else:
            messages.success(
                request,
                _("%(place)s joined (time zone %(zone)s). Its coordinator completes the setup.")
                % {"place": kel, "zone": kel.get_time_zone_display()},
            )
            return redirect("joining:join")
    scope = (request.user.admin_scope or "").strip()
    places = Kelurahan.objects.order_by("region_id")
    if scope:
        places = places.filter(kota_code=scope)
    done = {}
    for kel_id in SetupStep.objects.filter(kelurahan__in=places).values_list(
        "kelurahan_id", flat=True
    ):
        done[kel_id] = done.get(kel_id, 0) + 1
    rows = [{"kel": k, "done": done.get(k.pk, 0)} for k in places]
    return render(
        request,
        "joining/join.html",
        {"form": form, "rows": rows, "steps": len(STEPS)},
        status=400 if form.errors else 200,
    )


@require_GET
def setup_home(request):
    ids = access.setup_kelurahan_ids(request.user)
    if not ids:
        raise Http404
    return redirect("joining:setup", pk=sorted(ids)[0])


def _progress(kel):
    done = set(SetupStep.objects.filter(kelurahan=kel).values_list("step", flat=True))
    return [
        {
            "key": k,
            "label": label,
            "done": k in done,
            "url": reverse("joining:step", args=[kel.pk, k]),
        }
        for k, label in STEPS
    ]


@require_GET
def setup(request, pk):
    kel = access.get_setup_kelurahan(request.user, pk)
    return render(
        request,
        "joining/setup.html",
        {"kel": kel, "progress": _progress(kel), "mechanism_url": _mechanism_url(kel)},
    )


def _members(kel, roles):
    return (
        Membership.objects.active()
        .filter(kelurahan=kel, role__in=list(roles), user__is_active=True)
        .select_related("user")
        .order_by("role", "user__username")
    )


def _agencies(kel):
    return list(
        Agency.objects.filter(kota_code=kel.kota_code, is_active=True)
        .prefetch_related("kelurahan_served")
        .order_by("name")
    )


def _served(agencies, kel):
    whole, here = set(), set()
    for a in agencies:
        ids = {k.pk for k in a.kelurahan_served.all()}
        if not ids:
            whole.add(a.pk)
        elif kel.pk in ids:
            here.add(a.pk)
    return {"whole": whole, "here": here}


@require_http_methods(["GET", "POST"])
def step(request, pk, step):
    kel = access.get_setup_kelurahan(request.user, pk)
    if step not in STEP_KEYS:
        raise Http404
    handler = {
        "letterhead": _step_letterhead,
        "signers": _step_signers,
        "acting": _step_acting,
        "agencies": _step_agencies,
        "numbering": _step_numbering,
        "people": _step_people,
    }[step]
    ctx = handler(request, kel)
    if not isinstance(ctx, dict):
        return ctx  # saved: a redirect
    index = STEP_KEYS.index(step)
    ctx.update(
        {
            "kel": kel,
            "step": step,
            "step_label": dict(STEPS)[step],
            "number": index + 1,
            "total": len(STEPS),
            "progress": _progress(kel),
            "next_url": (
                reverse("joining:step", args=[kel.pk, STEP_KEYS[index + 1]])
                if index + 1 < len(STEPS)
                else reverse("joining:setup", args=[kel.pk])
            ),
        }
    )
    failed = any(getattr(f, "errors", None) for f in ctx.get("forms", []))
    return render(request, f"joining/step_{step}.html", ctx, status=400 if failed else 200)


def _saved(request, kel, step):
    services.mark_done(kel, step, request.user)
    messages.success(request, _("Saved."))
    index = STEP_KEYS.index(step)
    if index + 1 < len(STEPS):
        return redirect("joining:step", pk=kel.pk, step=STEP_KEYS[index + 1])
    return redirect("joining:setup", pk=kel.pk)


def _step_letterhead(request, kel):
    form = LetterheadForm(request.POST or None, instance=kel)
    if request.method == "POST" and form.is_valid():
        form.save()
        return _saved(request, kel, "letterhead")
    emblem = KotaEmblem.objects.filter(kota_id=kel.kota_code).first()
    return {
        "form": form,
        "forms": [form],
        "emblem": emblem,
        "emblem_url": reverse("joining:emblem", args=[kel.kota_code]),
        "may_upload": access.may_upload_emblem(request.user, kel.kota_code),
    }


def _step_signers(request, kel):
    members = list(_members(kel, [Role.LURAH, Role.KASI_KESRA]))
    forms = [SignerForm(request.POST or None, instance=m, prefix=f"m{m.pk}") for m in members]
    if request.method == "POST" and all(f.is_valid() for f in forms):
        with transaction.atomic():
            for f in forms:
                f.save()
        return _saved(request, kel, "signers")
    return {"forms": forms, "rows": list(zip(members, forms, strict=True))}


def _step_acting(request, kel):
    members = [m.user for m in _members(kel, [Role.KASI_KESRA, Role.KOORDINATOR])]
    form = ActingHeadForm(request.POST or None, kelurahan=kel, members=members)
    if request.method == "POST" and form.is_valid():
        entry = form.save(commit=False)
        entry.kelurahan = kel
        entry.user_id = form.cleaned_data["user"]
        entry.created_by = request.user
        entry.save()
        return _saved(request, kel, "acting")
    return {
        "form": form,
        "forms": [form],
        "entries": list(ActingHead.objects.filter(kelurahan=kel).select_related("user")),
    }


def _step_agencies(request, kel):
    agencies = _agencies(kel)
    contacts = {c.agency_id: c for c in AgencyContact.objects.filter(kelurahan=kel)}
    served = _served(agencies, kel)
    adding = request.method == "POST" and request.POST.get("add") == "1"
    form = AgenciesServedForm(
        request.POST if request.method == "POST" and not adding else None,
        agencies=agencies,
        contacts=contacts,
        served=served,
    )
    new = AgencyForm(request.POST if adding else None, prefix="new")
    if adding and new.is_valid():
        with transaction.atomic():
            agency = new.save(commit=False)
            agency.kota = kel.kota
            agency.kota_code = kel.kota_code
            agency.save()
            agency.kelurahan_served.add(kel)
        messages.success(request, _("The agency was added."))
        return redirect("joining:step", pk=kel.pk, step="agencies")
    if request.method == "POST" and not adding and form.is_valid():
        with transaction.atomic():
            for a in agencies:
                key = f"serves_{a.pk}"
                if key in form.fields:
                    if form.cleaned_data[key]:
                        a.kelurahan_served.add(kel)
                    else:
                        a.kelurahan_served.remove(kel)
                AgencyContact.objects.update_or_create(
                    kelurahan=kel,
                    agency=a,
                    defaults={
                        "name": form.cleaned_data[f"contact_{a.pk}"],
                        "phone": form.cleaned_data[f"phone_{a.pk}"],
                    },
                )
        return _saved(request, kel, "agencies")
    rows = [
        {
            "agency": a,
            "whole": a.pk in served["whole"],
            "serves": form[f"serves_{a.pk}"] if f"serves_{a.pk}" in form.fields else None,
            "contact": form[f"contact_{a.pk}"],
            "phone": form[f"phone_{a.pk}"],
        }
        for a in agencies
    ]
    return {"form": form, "new": new, "forms": [form, new], "rows": rows}


def _step_numbering(request, kel):
    form = NumberingForm(request.POST or None, instance=kel)
    if request.method == "POST" and form.is_valid():
        form.save()
        return _saved(request, kel, "numbering")
    return {"form": form, "forms": [form], "example": kel.letter_number_example()}


def _step_people(request, kel):
    if request.method == "POST":
        return _saved(request, kel, "people")
    return {"forms": [], "people_url": reverse("people")}


@require_http_methods(["GET", "POST"])
def emblem(request, code):
    kota = Kota.objects.filter(pk=code).first()
    if kota is None or not access.sees_emblem(request.user, kota.code):
        raise Http404
    form = EmblemForm(request.POST or None, request.FILES or None)
    may_upload = access.may_upload_emblem(request.user, kota.code)
    if request.method == "POST" and form.is_valid():
        try:
            services.store_emblem(request.user, kota.code, form.cleaned_data["file"])
        except services.Refused as e:
            for reason in e.reasons:
                form.add_error("file", reason)
        else:
            messages.success(request, _("The emblem was saved."))
            return redirect("joining:emblem", code=kota.code)
    current = KotaEmblem.objects.filter(kota=kota).first()
    return render(
        request,
        "joining/emblem.html",
        {"kota": kota, "form": form, "current": current, "may_upload": may_upload},
        status=400 if form.errors else 200,
    )
