"""Case records: intake form, case list, case page, intake corrections and the access log.

Every view that touches a case fetches it through cases.access.get_case_for_user (which logs the
read and answers 404 to outsiders); lists start from Case.objects.visible_to(user).
"""

import uuid
from datetime import timedelta

from django.contrib import messages
from django.db.models import Q, prefetch_related_objects
from django.forms.utils import ErrorDict, ErrorList
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from accounts.home import register as register_home_panel
from accounts.models import KELURAHAN_ROLES, KELURAHAN_WIDE_ROLES, Kelurahan, Role, User
from accounts.roles import roles_of
from accounts.security import client_ip
from lbk.paging import COUNT_LIMIT, bounded_count, counted_ids, page_of
from lbk.sql import Prepared, rows_of

from .. import clocks, page, vocab
from ..access import FULL, can_see_confidential, get_case_for_user, log_access
from ..engine import ALREADY_DONE_MESSAGE, AlreadyDone, TransitionRefused
from ..forms.intake import (
    KINDS,
    AccessLogFilterForm,
    CaseFilterForm,
    CaseForm,
    PerpetratorFormSet,
    VictimFormSet,
    check_victim_dates,
)
from ..models import (
    AccessLog,
    Case,
    CaseEvent,
    Perpetrator,
    PerpetratorLink,
    Victim,
)
from ..search import normalize_number, search_condition
from ..services.intake import StaleEdit, case_register, case_update
from ..workflow import CASE, actor_roles
from .filters import filter_fields
from .rows import Words, case_row

PAGE_SIZE = 25
# A search counts its matches up to one page: past that it says "more than 25, narrow the
# search". Counting further cost more than the page itself (a frequent first name: 100 matches
# meant probing thousands of victims at 100,000 cases) and told the user nothing more to do.
SEARCH_COUNT_LIMIT = PAGE_SIZE
LOG_PAGE_SIZE = 50


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def intake_kelurahan(user):
    """The kelurahan where the user may register complaints (any kelurahan role)."""
    ids = roles_of(user).kelurahan_with(*KELURAHAN_ROLES)
    return list(Kelurahan.objects.filter(pk__in=ids, is_active=True).order_by("name"))


def can_edit_intake(user, case):
    """Whether the user may correct this case's intake now: the "edit_intake" step of the
    procedure table says who (full-access users; the registering volunteer until a companion
    is assigned) and the engine's rules say when (never on a closed case)."""
    return any(s.action == "edit_intake" for s in CASE.available_steps(case, user))


def may_ever_edit_intake(user, case):
    """Whether the user's role allows intake corrections on this case at all (any state)."""
    step = CASE.by_action["edit_intake"][0]
    return bool(step.roles & actor_roles(case, user))


def _victim_labels(victims):
    labels = []
    for i, f in enumerate(victims.forms, start=1):
        if f.is_bound:
            name = (f.data.get(f"{f.prefix}-full_name") or "").strip()
        else:
            name = f.instance.full_name if f.instance.pk else ""
        label = _("victim %(n)s") % {"n": i}
        labels.append(f"{label} ({name})" if name else label)
    return labels


def _with_extra_form(data, prefix):
    data = data.copy()
    key = f"{prefix}-TOTAL_FORMS"
    try:
        total = int(data.get(key, 0))
    except ValueError:
        total = 0
    data[key] = str(min(total + 1, 20))
    return data


def _quiet(*forms):
    """Re-render typed data without judging it (the "add another" buttons)."""
    for f in forms:
        if hasattr(f, "forms"):
            f._errors = []
            f._non_form_errors = ErrorList()
            for sub in f.forms:
                sub._errors = ErrorDict()
        else:
            f._errors = ErrorDict()


def _build_forms(data, *, case=None, kelurahan_choices=(), initial=None):
    case_form = CaseForm(
        data,
        instance=case or Case(),
        kelurahan_choices=kelurahan_choices,
        editing=case is not None,
        initial=initial,
    )
    victim_qs = case.victims.all() if case else Victim.objects.none()
    victims = VictimFormSet(data, prefix="victims", queryset=victim_qs)
    link_initial = {}
    perp_qs = Perpetrator.objects.none()
    if case is not None:
        perp_qs = case.perpetrators.all()
        victim_index = {v.pk: i for i, v in enumerate(victim_qs)}
        for pi, p in enumerate(perp_qs.prefetch_related("links")):
            link_initial[pi] = {
                victim_index[link.victim_id]: (link.relation, link.lives_together)
                for link in p.links.all()
                if link.victim_id in victim_index
            }
    perps = PerpetratorFormSet(
        data,
        prefix="perps",
        queryset=perp_qs,
        victim_labels=_victim_labels(victims),
        link_initial=link_initial,
    )
    return case_form, victims, perps


def _validate(case_form, victims, perps):
    ok = [case_form.is_valid(), victims.is_valid(), perps.is_valid()]
    if case_form.is_valid():
        check_victim_dates(victims, case_form.cleaned_data.get("incident_date"))
    return all(ok) and victims.is_valid()


def _collected(victims, perps):
    """(victims, perpetrators, links) from valid formsets, skipping empty extra forms."""
    victim_rows, index_map = [], {}
    for i, f in enumerate(victims.forms):
        if f.instance.pk or f.has_changed():
            index_map[i] = len(victim_rows)
            victim_rows.append((f.instance.pk, f.victim_data()))
    perp_rows, links = [], []
    for f in perps.forms:
        if not (f.instance.pk or f.has_changed()):
            continue
        pi = len(perp_rows)
        perp_rows.append((f.instance.pk, f.perpetrator_data()))
        for vi, (rel, together) in f.link_data().items():
            if vi in index_map:
                links.append((pi, index_map[vi], rel, together))
    return victim_rows, perp_rows, links


def _focus_new_form(victims, perps, prefix):
    """After an "add another" button, the new person's first field takes the focus."""
    formset, field = (victims, "full_name") if prefix == "victims" else (perps, "name")
    if formset.forms:
        formset.forms[-1].fields[field].widget.attrs["autofocus"] = True


def _form_page(request, template, case_form, victims, perps, status=200, **extra):
    if extra.get("focus"):
        _focus_new_form(victims, perps, extra["focus"])
    ctx = {
        "form": case_form,
        "victims": victims,
        "perps": perps,
        **extra,
    }
    return render(request, template, ctx, status=status)


# --------------------------------------------------------------------------------------------
# Intake
# --------------------------------------------------------------------------------------------


# Other apps start an intake from their own record (the public channel: a submission the
# coordinator registers): starter(request, places) -> the form's initial values, or None. The
# record is linked when the case is saved (the "case.registered" reaction), never here.
INTAKE_STARTERS: list = []


def _intake_initial(request, places):
    for starter in INTAKE_STARTERS:
        found = starter(request, places)
        if found:
            return found
    return {"intake_token": uuid.uuid4()}


@require_http_methods(["GET", "POST"])
def case_create(request):
    places = intake_kelurahan(request.user)
    if not places:
        raise Http404
    if request.method == "GET":
        case_form, victims, perps = _build_forms(
            None, kelurahan_choices=places, initial=_intake_initial(request, places)
        )
        return _form_page(request, "cases/intake_form.html", case_form, victims, perps)

    data = request.POST
    # A double submit of a form that was already saved: show the case it created.
    token = data.get("intake_token")
    if token:
        try:
            existing = Case.objects.filter(intake_token=uuid.UUID(token)).first()
        except ValueError:
            existing = None
        if existing is not None and existing.registered_by_id == request.user.pk:
            return redirect("cases:detail", existing.pk)
    for button, prefix in (("add_victim", "victims"), ("add_perpetrator", "perps")):
        if button in data:
            case_form, victims, perps = _build_forms(
                _with_extra_form(data, prefix), kelurahan_choices=places
            )
            _quiet(case_form, victims, perps)
            return _form_page(
                request, "cases/intake_form.html", case_form, victims, perps, focus=prefix
            )

    case_form, victims, perps = _build_forms(data, kelurahan_choices=places)
    if not _validate(case_form, victims, perps):
        return _form_page(request, "cases/intake_form.html", case_form, victims, perps)
    if len(places) == 1:
        kelurahan = places[0]
    else:
        kelurahan = next(k for k in places if str(k.pk) == case_form.cleaned_data["kelurahan"])
    victim_rows, perp_rows, links = _collected(victims, perps)
    result = case_register(
        kelurahan=kelurahan,
        actor=request.user,
        case_data=case_form.case_data(),
        victims=[d for _pk, d in victim_rows],
        perpetrators=[d for _pk, d in perp_rows],
        links=links,
        token=case_form.cleaned_data.get("intake_token"),
        is_roleplay=bool(case_form.cleaned_data.get("is_roleplay")),
        ip=client_ip(request),
    )
    if result.created:
        messages.success(
            request, _("Complaint registered with number %(number)s.") % {"number": result.case}
        )
    return redirect("cases:detail", result.case.pk)


@require_http_methods(["GET", "POST"])
def case_edit(request, pk):
    action = "edit" if request.method == "POST" else "edit_view"
    case = get_case_for_user(request, pk, action=action)
    if not may_ever_edit_intake(request.user, case):
        raise Http404
    ctx = {"case": case, "is_roleplay": case.is_roleplay, "editing": True}
    if request.method == "GET" and not can_edit_intake(request.user, case):
        for reason in CASE.pending_reasons(case, request.user, CASE.by_action["edit_intake"][0]):
            messages.error(request, reason)
        return redirect("cases:detail", case.pk)
    if request.method == "GET":
        case_form, victims, perps = _build_forms(None, case=case)
        return _form_page(request, "cases/intake_form.html", case_form, victims, perps, **ctx)

    data = request.POST
    blocked = CASE.blocking_reasons(case, request.user, "edit_intake")
    if blocked:
        # A closed case is read-only: say so before reading the form (what was typed stays).
        case_form, victims, perps = _build_forms(data, case=case)
        _validate(case_form, victims, perps)
        for reason in blocked:
            case_form.add_error(None, reason)
        return _form_page(
            request, "cases/intake_form.html", case_form, victims, perps, status=400, **ctx
        )
    for button, prefix in (("add_victim", "victims"), ("add_perpetrator", "perps")):
        if button in data:
            case_form, victims, perps = _build_forms(_with_extra_form(data, prefix), case=case)
            _quiet(case_form, victims, perps)
            return _form_page(
                request, "cases/intake_form.html", case_form, victims, perps, focus=prefix, **ctx
            )
    case_form, victims, perps = _build_forms(data, case=case)
    if not _validate(case_form, victims, perps):
        return _form_page(request, "cases/intake_form.html", case_form, victims, perps, **ctx)
    victim_rows, perp_rows, links = _collected(victims, perps)
    try:
        case_update(
            case=case,
            actor=request.user,
            expected_version=case_form.cleaned_data.get("version"),
            case_data=case_form.case_data(),
            victims=victim_rows,
            perpetrators=perp_rows,
            links=links,
            ip=client_ip(request),
        )
    except AlreadyDone:
        messages.info(request, ALREADY_DONE_MESSAGE)
        return redirect("cases:detail", case.pk)
    except TransitionRefused as refused:
        # Refused by the procedure (e.g. the case was closed meanwhile): keep what was typed.
        for reason in refused.reasons:
            case_form.add_error(None, reason)
        return _form_page(
            request, "cases/intake_form.html", case_form, victims, perps, status=400, **ctx
        )
    except StaleEdit as exc:
        # Keep everything typed; carry the current version so that saving again, after
        # checking the other change, is a deliberate decision.
        current = Case.objects.only("version").get(pk=case.pk)
        data = data.copy()
        data["version"] = str(current.version)
        case_form, victims, perps = _build_forms(data, case=case)
        _validate(case_form, victims, perps)
        case_form.add_error(None, exc.message)
        return _form_page(
            request, "cases/intake_form.html", case_form, victims, perps, stale=True, **ctx
        )
    messages.success(request, _("The case record was updated."))
    return redirect("cases:detail", case.pk)


# --------------------------------------------------------------------------------------------
# List
# --------------------------------------------------------------------------------------------


# The columns the rows show (cases/views/rows.py), not the whole record.
LIST_FIELDS = (
    "id",
    "number",
    "status",
    "danger_now",
    "injured_needs_care",
    "is_roleplay",
    "registered_at",
    "kelurahan__name",
)


def _list_query(ids):
    """The case list's rows for these ids: the columns shown, other apps' columns (the
    "Dirujuk" badge), the latest risk, the victims and the running clocks, in one query."""
    return clocks.with_latest_risk(
        page.annotate_list(
            Case.objects.filter(pk__in=ids)
            .order_by()
            .values(*LIST_FIELDS)
            .annotate(
                victim_rows=rows_of(
                    Victim.objects.all(),
                    "case_id",
                    id="id",
                    position="position",
                    full_name="full_name",
                    nik="nik",
                    phone="phone",
                    birth_date="birth_date",
                    estimated_age="estimated_age",
                ),
                clock_rows=clocks.overdue_rows(),
            )
        )
    )


LIST_ROWS = Prepared(_list_query)


def _list_rows(ids):
    """The rows of these ids (read from Case.objects.visible_to in the same request), in their
    order."""
    by_pk = {row["id"]: row for row in LIST_ROWS.rows(ids)}
    return [by_pk[pk] for pk in ids if pk in by_pk]


@require_GET
def case_list(request):
    roles = roles_of(request.user)
    kel_ids = roles.kelurahan_with(*KELURAHAN_ROLES)
    if not kel_ids:
        raise Http404
    kel_choices = sorted(
        ((str(k), roles.kelurahan_names[k]) for k in kel_ids), key=lambda kv: kv[1]
    )
    form = CaseFilterForm(request.GET or None, kelurahan_choices=kel_choices)
    qs = Case.objects.visible_to(request.user).order_by("-registered_at", "-pk")
    q = ""
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        if d.get("status"):
            qs = qs.filter(status=d["status"])
        if d.get("kind") == KINDS.VIOLENCE:
            qs = qs.filter(is_violence=True)
        elif d.get("kind") == KINDS.SOCIAL:
            qs = qs.filter(is_social_protection=True)
        if d.get("emergency") == "yes":
            qs = qs.filter(Q(danger_now=True) | Q(injured_needs_care=True))
        if d.get("roleplay") == "real":
            qs = qs.filter(is_roleplay=False)
        elif d.get("roleplay") == "sim":
            qs = qs.filter(is_roleplay=True)
        if d.get("kelurahan"):
            qs = qs.filter(kelurahan_id=int(d["kelurahan"]))
        if d.get("risk"):
            qs = clocks.filter_by_risk(qs, d["risk"])
        q = (d.get("q") or "").strip()
        if q:
            qs = qs.filter(search_condition(q))
            # A search is a read of whatever it finds: log it per kelurahan searched.
            searched = [int(d["kelurahan"])] if d.get("kelurahan") else kel_ids
            for kel_id in searched:
                log_access(request, "search", kelurahan_id=kel_id, detail=f"q={q}")
    # One query of ids gives the page and the count: a search says "more than 25, narrow the
    # search" (SEARCH_COUNT_LIMIT), a list "more than 1,000".
    page_obj, found, more = counted_ids(
        qs, request.GET.get("page"), PAGE_SIZE, SEARCH_COUNT_LIMIT if q else COUNT_LIMIT
    )
    page_obj.object_list = _list_rows(page_obj.object_list)
    words = Words()
    show_kelurahan = len(kel_ids) > 1
    rows = [case_row(c, words, show_kelurahan) for c in page_obj.object_list]
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "cases/case_list.html",
        {
            "form": form,
            "filter_fields": filter_fields(form),
            "page_obj": page_obj,
            "rows": rows,
            "found": found,
            "more": more,
            "q": q,
            "querystring": params.urlencode(),
            "can_register": bool(kel_ids),
            "show_kelurahan": show_kelurahan,
        },
    )


# --------------------------------------------------------------------------------------------
# Case page
# --------------------------------------------------------------------------------------------

HISTORY_EXCLUDED = {"intake_token", "status_before_closure", "recovery", "gbv_answers"}
FIELD_VOCAB = {
    "violence_types": vocab.ViolenceType,
    "tpks_types": vocab.TpksType,
    "social_problems": vocab.SocialProblem,
    "vulnerable_groups": vocab.VulnerableGroup,
    "disability_types": vocab.DisabilityType,
    "accommodations": vocab.Accommodation,
    "assistance": vocab.Assistance,
}
WG_LABELS = dict(vocab.WG_DOMAINS)


def _display(field, value):
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if field.name in FIELD_VOCAB:
        choices = dict(FIELD_VOCAB[field.name].choices)
        return ", ".join(str(choices.get(v, v)) for v in value)
    if field.choices:
        return str(dict(field.choices).get(value, value))
    if field.is_relation:
        return _("(changed)")
    if hasattr(value, "strftime"):
        if hasattr(value, "hour"):
            return timezone.localtime(value).strftime("%d-%m-%Y %H:%M")
        return value.strftime("%d-%m-%Y")
    return str(value)


def _field_label(model, name):
    if name in WG_LABELS:
        return WG_LABELS[name]
    return model._meta.get_field(name).verbose_name


def change_history(case, victims, perps, links):
    """The change history of the case and its people as readable entries, newest first:
    who, when, what (field: old → new). Creation of the rows at registration is the timeline's
    first entry and is not repeated here."""
    victim_no = {v.pk: v.position for v in victims}
    perp_no = {p.pk: p.position for p in perps}
    sources = [
        (Case, Case.history.filter(id=case.pk), lambda r: _("Case")),
        (
            Victim,
            Victim.history.filter(case_id=case.pk),
            lambda r: _("Victim %(n)s") % {"n": victim_no.get(r.id, "?")},
        ),
        (
            Perpetrator,
            Perpetrator.history.filter(case_id=case.pk),
            lambda r: _("Perpetrator %(n)s") % {"n": perp_no.get(r.id, "?")},
        ),
        (
            PerpetratorLink,
            PerpetratorLink.history.filter(
                kelurahan_id=case.kelurahan_id, victim_id__in=list(victim_no)
            ),
            lambda r: (
                _("Perpetrator %(p)s – victim %(v)s")
                % {"p": perp_no.get(r.perpetrator_id, "?"), "v": victim_no.get(r.victim_id, "?")}
            ),
        ),
    ]
    registered_until = case.registered_at + timedelta(seconds=5)
    entries = []
    for model, qs, label in sources:
        previous = {}
        for rec in qs.select_related("history_user").order_by("history_date", "history_id"):
            prev = previous.get(rec.id)
            previous[rec.id] = rec
            if prev is None:
                if rec.history_date <= registered_until:
                    continue
                changes = [{"field": _("added"), "old": "", "new": str(label(rec))}]
            else:
                delta = rec.diff_against(prev, excluded_fields=HISTORY_EXCLUDED)
                changes = []
                for ch in delta.changes:
                    field = model._meta.get_field(ch.field)
                    changes.append(
                        {
                            "field": _field_label(model, ch.field),
                            "old": _display(field, ch.old),
                            "new": _display(field, ch.new),
                        }
                    )
                if not changes:
                    continue
            entries.append(
                {
                    "at": rec.history_date,
                    "user": rec.history_user,
                    "what": label(rec),
                    "changes": changes,
                }
            )
    entries.sort(key=lambda e: e["at"], reverse=True)
    return entries


TIMELINE_ON_PAGE = 50


@require_GET
def case_detail(request, pk):
    case = get_case_for_user(
        request,
        pk,
        action="view",
        queryset=Case.objects.select_related(
            "kelurahan", "registered_by", "companion", "mechanism"
        ),
    )
    full = case.access_level == FULL
    # Everything the page's sections read, one query per relation, whatever the case holds.
    lookups = ["victims", "perpetrators", *(page.prefetches() if full else [])]
    prefetch_related_objects([case], *lookups)
    victims = list(case.victims.all())
    perps = list(case.perpetrators.all())
    links = _links(case, victims, perps)
    latest = list(_events(request.user, case, full).order_by("-at", "-pk")[: TIMELINE_ON_PAGE + 1])
    ctx = {
        "case": case,
        "is_roleplay": case.is_roleplay,
        "full": full,
        "victims": victims,
        "perps": perps,
        "contexts": case.derived_contexts(victims=victims, links=links) if full else [],
        # The latest entries; the whole timeline and the change history are on their own page.
        "events": latest[:TIMELINE_ON_PAGE][::-1],
        "more_events": len(latest) > TIMELINE_ON_PAGE,
        "duplicates": list(case.duplicate_flags.select_related("other")) if full else [],
        "can_edit": can_edit_intake(request.user, case),
        "sections": page.sections_for(request, case),
        "gbv_answers": _gbv_rows(case),
    }
    return render(request, "cases/case_detail.html", ctx)


def _links(case, victims, perps):
    """The perpetrator-victim links (one query), hung on their perpetrators for the page."""
    wg_answers = dict(vocab.WgAnswer.choices)
    for v in victims:
        v.labels = {
            f: [str(dict(FIELD_VOCAB[f].choices).get(x, x)) for x in getattr(v, f) or []]
            for f in ("vulnerable_groups", "assistance", "disability_types", "accommodations")
        }
        v.wg_rows = [
            (label, wg_answers.get(getattr(v, f), ""))
            for f, label in vocab.WG_DOMAINS
            if getattr(v, f)
        ]
    by_pk = {v.pk: v for v in victims}
    all_links = list(PerpetratorLink.objects.filter(perpetrator__case=case))
    links = []
    for p in perps:
        p.link_rows = []
        for link in all_links:
            if link.perpetrator_id == p.pk:
                link.victim_obj = by_pk.get(link.victim_id)
                p.link_rows.append(link)
                links.append(link)
    return links


def _events(user, case, full):
    events = CaseEvent.objects.filter(case=case).select_related("actor")
    if not can_see_confidential(user, case):
        events = events.filter(confidential=False)
    if not full:
        # The volunteer sees the intake data and status: of the timeline, only the registration.
        events = events.filter(kind=CaseEvent.Kind.REGISTERED)
    return events


HISTORY_PAGE = 100


@require_GET
def case_history(request, pk):
    """The whole timeline, a page at a time, and the field-by-field change history of the
    intake data: for those who see the case in full."""
    case = get_case_for_user(request, pk, action="history", need=FULL)
    victims = list(case.victims.all())
    perps = list(case.perpetrators.all())
    links = _links(case, victims, perps)
    events = _events(request.user, case, True).order_by("at", "pk")
    page_obj = page_of(events, request.GET.get("page"), HISTORY_PAGE)
    return render(
        request,
        "cases/case_history.html",
        {
            "case": case,
            "is_roleplay": case.is_roleplay,
            "events": page_obj.object_list,
            "page_obj": page_obj,
            "history": change_history(case, victims, perps, links) if page_obj.number == 1 else [],
        },
    )


def _gbv_rows(case):
    answers = case.gbv_answers or {}
    labels = {"yes": _("Yes"), "no": _("No")}
    return [(q, labels.get(answers.get(t.value), "—")) for t, q in vocab.GBV_QUESTIONS]


# --------------------------------------------------------------------------------------------
# Access log
# --------------------------------------------------------------------------------------------


@require_GET
def access_log(request):
    """Kelurahan staff and the coordinator read their kelurahan's log. Read only: there is no
    path that changes or deletes a row."""
    roles = roles_of(request.user)
    kel_ids = roles.kelurahan_with(*KELURAHAN_WIDE_ROLES)
    if not kel_ids:
        raise Http404
    users = (
        User.objects.filter(memberships__kelurahan_id__in=kel_ids)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )
    kel_choices = sorted(
        ((str(k), roles.kelurahan_names[k]) for k in kel_ids), key=lambda kv: kv[1]
    )
    form = AccessLogFilterForm(
        request.GET or None,
        user_choices=[(str(u.pk), f"{u.display_name} ({u.username})") for u in users],
        kelurahan_choices=kel_choices,
    )
    qs = AccessLog.objects.filter(kelurahan_id__in=kel_ids).select_related("user", "case")
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        if d.get("case_number"):
            qs = qs.filter(case__number__contains=normalize_number(d["case_number"]))
        if d.get("user"):
            qs = qs.filter(user_id=int(d["user"]))
        if d.get("date_from"):
            qs = qs.filter(at__date__gte=d["date_from"])
        if d.get("date_to"):
            qs = qs.filter(at__date__lte=d["date_to"])
        if d.get("kelurahan"):
            qs = qs.filter(kelurahan_id=int(d["kelurahan"]))
    found, more = bounded_count(qs)
    page_obj = page_of(qs, request.GET.get("page"), LOG_PAGE_SIZE)
    for entry in page_obj.object_list:
        entry.action_label = ACTION_LABELS.get(entry.action, entry.action)
    params = request.GET.copy()
    params.pop("page", None)
    return render(
        request,
        "cases/access_log.html",
        {
            "form": form,
            "page_obj": page_obj,
            "entries": page_obj.object_list,
            "found": found,
            "more": more,
            "querystring": params.urlencode(),
        },
    )


ACTION_LABELS = {
    "view": gettext_lazy("Opened the case page"),
    "edit_view": gettext_lazy("Opened the edit form"),
    "edit": gettext_lazy("Saved corrections"),
    "search": gettext_lazy("Searched cases"),
    "duplicate_check": gettext_lazy("Duplicate check"),
}


# --------------------------------------------------------------------------------------------
# Home panels
# --------------------------------------------------------------------------------------------


@register_home_panel
def home_panels(request):
    roles = roles_of(request.user)
    panels = []
    if roles.kelurahan_with(Role.RELAWAN):
        mine = list(
            Case.objects.visible_to(request.user)
            .filter(registered_by=request.user)
            .select_related("kelurahan")
            .order_by("-registered_at")[:5]
        )
        panels.append(
            {
                "title": _("My recent complaints"),
                "template": "cases/_home_my_complaints.html",
                "context": {"cases": mine},
            }
        )
    if roles.kelurahan_with(*KELURAHAN_WIDE_ROLES):
        recent = list(
            Case.objects.visible_to(request.user)
            .select_related("kelurahan")
            .order_by("-registered_at")[:8]
        )
        panels.append(
            {
                "title": _("Recent cases"),
                "template": "cases/_home_recent_cases.html",
                "context": {"cases": recent},
            }
        )
    return panels
