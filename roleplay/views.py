"""Pages of the role-play sessions: the list, a new session, a session's page (participants,
scenario cards, its cases and simulation referrals, reminders computed on load, notes), the
debrief page and PDF, and "apply" of a correction note. Who may do what is roleplay/access.py;
what is allowed in which state is roleplay/services.py."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Kelurahan
from accounts.roles import roles_of
from referrals.access import sim_referrals

from . import access, scenarios, services
from . import debrief as debrief_mod
from .forms import NoteForm, ParticipantForm, SessionForm
from .models import Note, Participant, Session


def _refused(request, e: services.Refused) -> None:
    for reason in e.reasons:
        messages.error(request, reason)


def _place(request) -> Kelurahan:
    ids = access.places(request.user)
    if not ids:
        raise Http404
    code = request.GET.get("kelurahan") or request.POST.get("kelurahan")
    qs = Kelurahan.objects.filter(pk__in=ids, is_active=True).order_by("name")
    kel = qs.filter(code=code).first() if code else qs.first()
    if kel is None:
        raise Http404
    return kel


@require_GET
def index(request):
    """The sessions the user runs (their kelurahan's) or takes part in (while they run): for
    whoever may be cast, a kelurahan member or an agency officer."""
    roles = roles_of(request.user)
    if not roles.by_kelurahan and not roles.agency_ids:
        raise Http404
    ids = access.places(request.user)
    part = Participant.objects.filter(
        user=request.user, session__state=Session.State.RUNNING
    ).values("session_id")
    rows = list(
        Session.objects.filter(Q(kelurahan_id__in=ids) | Q(pk__in=part)).order_by("-held_on", "-pk")
    )
    return render(request, "roleplay/index.html", {"rows": rows, "may_create": bool(ids)})


@require_http_methods(["GET", "POST"])
def new(request):
    kel = _place(request)
    form = SessionForm(request.POST or None, kelurahan=kel)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            d = form.cleaned_data
            try:
                session = services.create_session(actor=request.user, kelurahan=kel, **d)
            except services.Refused as e:
                for reason in e.reasons:
                    form.add_error(None, reason)
            else:
                messages.success(request, _("The session is made: add its participants."))
                return redirect(session)
        status = 400
    return render(request, "roleplay/new.html", {"form": form, "kelurahan": kel}, status=status)


@require_GET
def detail(request, pk):
    session = access.session_or_404(request.user, pk)
    cases = list(session.cases.order_by("pk"))
    played = {c.scenario for c in cases}
    ctx = {
        "s": session,
        "participants": list(
            session.participants.select_related("user", "agency").order_by("role", "pk")
        ),
        "cases": cases,
        "cards": [c for c in scenarios.CARDS if c.key not in played],
        "all_cards": scenarios.CARDS,
        "referrals": list(sim_referrals(request.user, session.pk).select_related("case", "agency")),
        "reminders": debrief_mod.reminders(session),
        "participant_form": ParticipantForm(kelurahan=session.kelurahan)
        if session.may_run and session.state != Session.State.ENDED
        else None,
        "note_form": NoteForm(session=session) if session.state == Session.State.RUNNING else None,
        "now": timezone.now(),
    }
    with timezone.override(session.kelurahan.tzinfo):
        return render(request, "roleplay/detail.html", ctx)


@require_POST
def participants(request, pk):
    session = access.session_or_404(request.user, pk, run=True)
    form = ParticipantForm(request.POST, kelurahan=session.kelurahan)
    if form.is_valid():
        d = form.cleaned_data
        more = {
            "role": d["role"],
            "agency": d.get("agency"),
            "sex": d["sex"],
            "age_group": d["age_group"],
            "with_disability": d["with_disability"],
        }
        try:
            if d.get("user"):
                services.add_participant(
                    actor=request.user, session_id=session.pk, user=d["user"], **more
                )
                messages.success(request, _("Participant added."))
            else:
                p, code = services.invite(
                    actor=request.user, session_id=session.pk, full_name=d["full_name"], **more
                )
                messages.success(
                    request,
                    _(
                        "Account %(user)s made. Hand over this one-time code (shown once): "
                        '%(code)s. With it the person sets a password under "I have a code".'
                    )
                    % {"user": p.user.username, "code": code},
                )
        except services.Refused as e:
            for reason in e.reasons:
                form.add_error(None, reason)
    if form.errors:
        return render(
            request,
            "roleplay/participant_form.html",
            {"s": session, "form": form},
            status=400,
        )
    return redirect(session)


def _simple(request, pk, fn, done: str):
    session = access.session_or_404(request.user, pk, run=True)
    try:
        fn(actor=request.user, session_id=session.pk)
    except services.Refused as e:
        _refused(request, e)
    else:
        messages.success(request, done)
    return redirect(session)


@require_POST
def start(request, pk):
    return _simple(request, pk, services.start, _("The session runs: the clock is compressed."))


@require_POST
def end(request, pk):
    return _simple(
        request,
        pk,
        services.end,
        _("The session has ended: session roles ended and it counts in the outreach log."),
    )


@require_POST
def open_card(request, pk):
    session = access.session_or_404(request.user, pk, run=True)
    try:
        case = services.open_card(
            actor=request.user, session_id=session.pk, key=request.POST.get("card", "")
        )
    except services.Refused as e:
        _refused(request, e)
    else:
        messages.success(request, _("Role-play case %(n)s opened.") % {"n": case.number})
    return redirect(session)


@require_POST
def note(request, pk):
    session = access.session_or_404(request.user, pk)
    form = NoteForm(request.POST, session=session)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.add_note(
                actor=request.user,
                session_id=session.pk,
                step=d["step"],
                target=d["target"],
                text=d["text"],
                clock_key=d.get("clock_key") or "",
                proposed=form.proposed(),
                case=d.get("case"),
            )
        except services.Refused as e:
            for reason in e.reasons:
                form.add_error(None, reason)
    if form.errors:
        return render(request, "roleplay/note_form.html", {"s": session, "form": form}, status=400)
    messages.success(request, _("Correction note saved."))
    return redirect(session)


def _debrief_ctx(session):
    return {"s": session, **debrief_mod.build(session), "T": Note.Target}


@require_GET
def debrief(request, pk):
    session = access.session_or_404(request.user, pk, run=True)
    # Times in the place's own zone (WIB, WITA or WIT), as read out in the room.
    with timezone.override(session.kelurahan.tzinfo):
        return render(request, "roleplay/debrief.html", _debrief_ctx(session))


@require_GET
def debrief_pdf(request, pk):
    from lbk import pdf

    session = access.session_or_404(request.user, pk, run=True)
    with timezone.override(session.kelurahan.tzinfo):
        html = render_to_string("roleplay/debrief_pdf.html", _debrief_ctx(session))
    response = HttpResponse(pdf.render_pdf(html), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="evaluasi-simulasi-{session.pk}.pdf"'
    return response


@require_POST
def apply(request, note_id):
    n = Note.objects.filter(pk=note_id).first()
    if n is None:
        raise Http404
    session = access.session_or_404(request.user, n.session_id, run=True)
    try:
        version = services.apply_note(actor=request.user, note_id=n.pk)
    except services.Refused as e:
        _refused(request, e)
    else:
        messages.success(
            request,
            _("Applied to draft version %(n)s; the note is in its change log.")
            % {"n": version.number},
        )
    return redirect("roleplay:debrief", session.pk)
