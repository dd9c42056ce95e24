"""The public pages (no login, no cookie, no-store: public/middleware.py) and the coordinator's
"Masuk dari publik" queue."""

from __future__ import annotations

import functools

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.db.models import OuterRef, Subquery
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Kelurahan
from accounts.security import client_ip
from lbk.paging import page_of

from . import access, hours, services
from .forms import (
    HONEYPOT,
    DeclineForm,
    MessageForm,
    StatusForm,
    SubmissionForm,
    TokenProblem,
    new_token,
    read_token,
)
from .models import KotaEmergencyNumbers, Submission

LANGS = ("id", "en")
# The public form's fields hold at most ~1,700 characters: a bigger POST is not read.
MAX_POST_BYTES = 32 * 1024
# The status form's token names no kelurahan.
STATUS_TOKEN = 0


def public_page(view=None, *, own_token=False):
    """No login, the language from the URL. `own_token`: the view's form carries the signed
    token instead of the CSRF cookie (CSRF-exempt; a POST without the token gets 403). The
    other public views take no POST at all (Django's CSRF check answers one with 403)."""
    if view is None:
        return functools.partial(public_page, own_token=own_token)

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        lang = request.POST.get("lang") or request.GET.get("lang") or "id"
        lang = lang if lang in LANGS else "id"
        with translation.override(lang):
            request.LANGUAGE_CODE = lang
            request.public_lang = lang
            try:
                response = view(request, *args, **kwargs)
            except Http404:
                # A public page even when nothing is found: the quick exit first, no cookie.
                return render(request, "public/not_found.html", _ctx(request), status=404)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
            return response

    if own_token:
        return login_not_required(csrf_exempt(wrapper))
    return login_not_required(wrapper)


def _no_token(request):
    """A POST without the form's token (never from our page): refused like a missing CSRF
    token, nothing read from it."""
    return render(request, "public/forbidden.html", _ctx(request), status=403)


def exit_url() -> str:
    return settings.PUBLIC_EXIT_URL


def _kelurahan(code) -> Kelurahan:
    kel = Kelurahan.objects.filter(code__iexact=str(code)[:6], is_active=True).first()
    if kel is None:
        raise Http404
    return kel


def emergency_numbers(kel: Kelurahan) -> list[dict]:
    """The kota's emergency numbers (defaults when not configured), then the posko's phone."""
    conf = KotaEmergencyNumbers.objects.filter(kota_id=kel.kota_code).first()
    conf = conf or KotaEmergencyNumbers()
    rows = []
    if conf.runs_112:
        rows.append((_("Emergency (all services)"), "112", "tel"))
    rows += [
        (_("Police"), conf.police, "tel"),
        (_("Ambulance"), conf.ambulance, "tel"),
        (_("SAPA (women and children), phone"), conf.sapa_phone, "tel"),
        (_("SAPA (women and children), WhatsApp"), conf.sapa_whatsapp, "wa"),
    ]
    if conf.police_ppa:
        rows.append((_("Police PPA unit (women and children)"), conf.police_ppa, "tel"))
    if kel.phone:
        rows.append((_("Posko phone (service hours only)"), kel.phone, "tel"))
    # Every number a tel: link (WhatsApp's too: the phone offers the app for it); no link to
    # another host, so the quick exit stays the only external URL of the public pages.
    out = []
    for label, number, _how in rows:
        digits = "".join(ch for ch in number if ch.isdigit() or ch == "+")
        out.append({"label": label, "number": _pretty(number), "href": f"tel:{digits}"})
    return out


def _pretty(number: str) -> str:
    if number.startswith("08111") and len(number) == 11:
        return f"{number[:5]}-{number[5:8]}-{number[8:]}"
    return number


def _ctx(request, kel=None, **extra):
    lang = getattr(request, "public_lang", "id")
    return {
        "kel": kel,
        "lang": lang,
        "other_lang": "en" if lang == "id" else "id",
        "exit_url": exit_url(),
        "hours": hours.describe(kel) if kel else [],
        **extra,
    }


@public_page
@require_GET
def chooser(request):
    groups: dict[str, list] = {}
    for kel in Kelurahan.objects.filter(is_active=True).order_by("kecamatan", "name"):
        groups.setdefault(kel.kecamatan, []).append(kel)
    return render(request, "public/chooser.html", _ctx(request, groups=sorted(groups.items())))


def _form_page(request, kel, form, status=200, problem=""):
    return render(
        request,
        "public/form.html",
        _ctx(
            request,
            kel,
            form=form,
            token=new_token(kel.pk),
            problem=problem,
            numbers=emergency_numbers(kel),
        ),
        status=status,
    )


@public_page(own_token=True)
@require_http_methods(["GET", "POST"])
def form(request, code):
    kel = _kelurahan(code)
    if request.method == "GET":
        return _form_page(request, kel, SubmissionForm())
    if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_POST_BYTES:
        # Far beyond what the form's limits allow (no attachments): not read at all.
        return _form_page(
            request, kel, SubmissionForm(), status=413, problem=_("The form is too long.")
        )
    if not request.POST.get("token"):
        return _no_token(request)
    form = SubmissionForm(request.POST)
    valid = form.is_valid()
    if request.POST.get(HONEYPOT):
        # Filled only by robots: nothing is stored; a person sees a neutral request to retry.
        data = request.POST.copy()
        data[HONEYPOT] = ""
        form = SubmissionForm(data)
        form.is_valid()
        return _form_page(request, kel, form, status=400, problem=_("Please check the form."))
    try:
        nonce = read_token(request.POST.get("token", ""), kel.pk)
    except TokenProblem as e:
        return _form_page(request, kel, form, status=400, problem=str(e))
    if not valid:
        return _form_page(request, kel, form, status=400)
    if services.over_address_limit("submit", client_ip(request)):
        return render(
            request,
            "public/limited.html",
            _ctx(request, kel, numbers=emergency_numbers(kel)),
            status=429,
        )
    sub, sub_code, pin = services.submit(kelurahan=kel, data=form.submission_data(), nonce=nonce)
    return render(
        request,
        "public/sent.html",
        _ctx(
            request,
            kel,
            code=sub_code,
            pin=pin,
            again=sub_code is None,
            danger=sub.danger_now,
            numbers=emergency_numbers(kel),
        ),
    )


@public_page
@require_GET
def emergency(request, code):
    """Never limited: the numbers are always there."""
    kel = _kelurahan(code)
    return render(
        request, "public/emergency.html", _ctx(request, kel, numbers=emergency_numbers(kel))
    )


@public_page
@require_GET
def privacy(request, code):
    kel = _kelurahan(code)
    return render(
        request,
        "public/privacy.html",
        _ctx(request, kel, erase_days=services.ERASE_AFTER_DAYS),
    )


def _status_page(request, form, status=200, problem=""):
    return render(
        request,
        "public/status.html",
        _ctx(request, form=form, token=new_token(STATUS_TOKEN), problem=problem),
        status=status,
    )


@public_page(own_token=True)
@require_http_methods(["GET", "POST"])
def status(request):
    """The status check: code and PIN by POST only (never in a URL)."""
    if request.method == "GET":
        return _status_page(request, StatusForm())
    if not request.POST.get("token"):
        return _no_token(request)
    form = StatusForm(request.POST)
    try:
        read_token(request.POST["token"], STATUS_TOKEN, min_age=0)
    except TokenProblem as e:
        return _status_page(request, form, status=400, problem=str(e))
    if not form.is_valid():
        return _status_page(request, form, status=400)
    if services.over_address_limit("status", client_ip(request)):
        return render(request, "public/limited.html", _ctx(request), status=429)
    sub = services.check_status(form.cleaned_data["code"], form.cleaned_data["pin"])
    if sub is None:
        return _status_page(
            request,
            StatusForm(),
            status=400,
            problem=_(
                "The code and PIN do not match a report, or the code is locked for a while. "
                "Check them and try again later."
            ),
        )
    msgs = [m.shown_text() for m in sub.messages.all() if m.shown_text()]
    return render(
        request,
        "public/status_result.html",
        _ctx(request, sub.kelurahan, state=sub.public_status(), msgs=msgs),
    )


# ---------------------------------------------------------------------------------------------
# The coordinator's side


@require_GET
def queue(request):
    kel_ids = access.coordinator_kelurahan(request.user)
    if not kel_ids:
        raise Http404
    show = request.GET.get("show", "open")
    qs = Submission.objects.filter(kelurahan_id__in=kel_ids).select_related("kelurahan")
    open_states = [Submission.State.RECEIVED, Submission.State.READ]
    if show == "done":
        qs = qs.exclude(state__in=open_states).order_by("-decided_at", "-pk")
    else:
        show = "open"
        # The due time is the verify_public clock row's (cases.ClockRun), in the same query.
        from cases.models import ClockRun

        due = ClockRun.objects.running().filter(submission=OuterRef("pk")).values("due_at")[:1]
        qs = (
            qs.filter(state__in=open_states)
            .annotate(clock_due=Subquery(due))
            .order_by("-danger_now", "clock_due", "pk")
        )
    page = page_of(qs, request.GET.get("page"), 25)
    locked = Submission.objects.filter(
        kelurahan_id__in=kel_ids, locked_until__gt=services.timezone.now()
    ).count()
    places = list(Kelurahan.objects.filter(pk__in=kel_ids).order_by("name"))
    # The list shows no content, but it is a read of the queue: logged like every read.
    from cases.access import log_access

    log_access(request, "public_queue_view", kelurahan_id=kel_ids[0], detail=f"show={show}")
    return render(
        request,
        "public/queue.html",
        {
            "page": page,
            "show": show,
            "locked_count": locked,
            "places": places,
            "querystring": f"show={show}",
        },
    )


@require_GET
def detail(request, pk):
    sub = access.get_submission_for(request, pk)
    may_act = access.is_coordinator(request.user, sub.kelurahan_id)
    return render(
        request,
        "public/detail.html",
        {
            "sub": sub,
            "may_act": may_act,
            "sees_contact": access.sees_contact(request.user, sub),
            "decline_form": DeclineForm(),
            "message_form": MessageForm(),
            "messages_sent": list(sub.messages.select_related("by")),
        },
    )


STEPS = ("read", "register", "decline", "message", "unlock")


@require_POST
def step(request, pk, action):
    if action not in STEPS:
        raise Http404
    sub = access.get_submission_for(request, pk, act=True)
    try:
        if action == "read":
            services.mark_read(sub, request.user)
            messages.success(request, _("Marked as read: the sender sees that the posko read it."))
        elif action == "register":
            sub = services.start_registration(sub.pk, request.user)
            return redirect(reverse("cases:create") + f"?publik={sub.pk}")
        if action == "decline":
            form = DeclineForm(request.POST)
            if not form.is_valid():
                raise services.Refused(_("Choose the reason and explain it in a few words."))
            services.decline(
                sub.pk, request.user, form.cleaned_data["reason"], form.cleaned_data["note"]
            )
            messages.success(request, _("The submission was declined."))
        elif action == "message":
            form = MessageForm(request.POST)
            if not form.is_valid():
                raise services.Refused(_("Choose a message."))
            services.add_message(
                sub.pk,
                request.user,
                form.cleaned_data["template"],
                form.cleaned_data["text"],
                form.cleaned_data["confirm_free"],
            )
            messages.success(request, _("The message is shown to the sender with the status."))
        elif action == "unlock":
            services.unlock(sub.pk, request.user)
            messages.success(request, _("The code is unlocked."))
    except services.Refused as e:
        messages.error(request, str(e))
    return redirect("public:detail", sub.pk)


def intake_starter(request, places):
    """cases' intake form started from a submission (?publik=<id>): the coordinator's own,
    open, with the token given by "register"; its fields prefilled, channel "formulir publik"."""
    pk = request.GET.get("publik")
    if not pk:
        return None
    try:
        sub = access.get_submission_for(request, pk, act=True)
    except Http404:
        return None
    if not sub.is_open or sub.intake_token is None or sub.kelurahan not in places:
        return None
    from cases.vocab import Channel

    kinds = ["violence"] if sub.kind == Submission.Kind.VIOLENCE else ["social_protection"]
    narrative = sub.text
    if sub.place:
        where = _("Where")
        narrative = f"{narrative}\n\n{where}: {sub.place}".strip()
    contact = sub.contact_value
    if sub.contact_when:
        contact = f"{contact} ({sub.contact_when})".strip()
    initial = {
        "intake_token": sub.intake_token,
        "kinds": kinds,
        "channel": Channel.PUBLIC_FORM,
        "received_at": services.timezone.localtime(sub.received_at).replace(
            second=0, microsecond=0
        ),
        "narrative": narrative,
        "danger_now": "yes" if sub.danger_now else "no",
        "reporter_anonymous": sub.is_anonymous,
        "reporter_kind": "self" if sub.affected == Submission.Affected.SELF else "other",
        "reporter_contact": "" if sub.is_anonymous else contact[:100],
        "kelurahan": str(sub.kelurahan_id),
    }
    return initial


@require_GET
def poster(request, code):
    kel = _kelurahan(code)
    if not access.may_print_poster(request.user, kel.pk):
        raise Http404
    from .poster import render_poster

    pdf = render_poster(kel)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="poster-layanan-{kel.code.lower()}.pdf"'
    return response
