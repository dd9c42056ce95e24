"""Views of the case procedure: the case-page sections, the step endpoint, "Tugas Saya", the
kelurahan dashboard and the printed procedure (Alur Penanganan)."""

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from accounts import home
from accounts.models import KELURAHAN_WIDE_ROLES, Kelurahan, Role
from accounts.roles import roles_of
from lbk.paging import page_of
from lbk.routers import replica_reads

from .. import assessment, clocks, procedure_print, workflow
from ..access import FULL, can_see_confidential, get_case_for_user
from ..engine import ALREADY_DONE_MESSAGE, AlreadyDone
from ..forms.procedure import FORMS, ProcedureData, form_for
from ..models import Assessment, Consent, PlannedAction, Visit
from ..page import Section, register_prefetch, register_section_provider
from ..services.procedure import case_advance
from ..vocab import RECOVERY_ITEMS, RISK_QUESTIONS, NeedDomain, SharedField
from .rows import TaskWords, other_task_item, task_row

# In which case-page section each step's form appears.
SECTION_OF = {
    "assess": "assessment",
    "consent": "assessment",
    "withdraw_consent": "assessment",
    "confirm_consent": "assessment",
    "plan_action": "plan",
    "action_status": "plan",
    "visit": "accompaniment",
    "recovery": "accompaniment",
}


def case_url(case, anchor="procedure"):
    """The case page at one of its sections."""
    return f"{case.get_absolute_url()}#{anchor}"


def visible_visits(case, user):
    """The case's visits and notes the user may read (confidential ones: the companion and the
    coordinator only), from the prefetched rows."""
    see_all = can_see_confidential(user, case)
    return [v for v in case.visits.all() if see_all or not v.confidential]


@register_prefetch
def procedure_prefetches():
    """What the procedure sections read, with the case (one query each)."""
    return [
        Prefetch(
            "consents",
            queryset=Consent.objects.select_related(
                "victim", "agency", "recorded_by", "confirmed_by"
            ),
        ),
        Prefetch("actions", queryset=PlannedAction.objects.select_related("victim", "agency")),
        Prefetch(
            "assessments", queryset=Assessment.objects.select_related("victim", "assessed_by")
        ),
        Prefetch("visits", queryset=Visit.objects.select_related("by", "victim")),
    ]


def action_entries(case, user, source=None):
    source = source or ProcedureData(case)
    entries = []
    for step in workflow.available_steps(case, user):
        if any(e["step"].action == step.action for e in entries):
            continue
        entries.append(
            {
                "step": step,
                "form": form_for(step.action, case, user, source=source),
                "pending": workflow.pending_reasons(case, user, step),
                "url": reverse("cases:act", args=[case.pk, step.action]),
                "section": SECTION_OF.get(step.action, "procedure"),
            }
        )
    return entries


def procedure_context(request, case):
    user = request.user
    source = ProcedureData(case)
    victims = source.victims
    assessments = list(case.assessments.all())
    consents = source.consents
    actions = source.actions
    entries = action_entries(case, user, source)
    by_section = {}
    for e in entries:
        by_section.setdefault(e["section"], []).append(e)
    risk_labels = dict(RISK_QUESTIONS)
    for a in assessments:
        a.yes_labels = [
            str(risk_labels[k]) for k, v in (a.answers or {}).items() if v and k in risk_labels
        ]
        a.need_labels = [str(NeedDomain(n).label) for n in a.needs or [] if n in NeedDomain.values]
    for x in consents:
        x.shared_labels = [
            str(SharedField(f).label) for f in x.shared_fields or [] if f in SharedField.values
        ]
    latest = {}
    for a in sorted(assessments, key=lambda a: (a.assessed_at, a.pk)):
        latest[a.victim_id] = a
    recovery = [
        {
            "victim": v,
            "items": [(label, bool((v.recovery or {}).get(key))) for key, label in RECOVERY_ITEMS],
        }
        for v in victims
    ]
    return {
        "case": case,
        "status_label": workflow.S(case.status).label,
        "companion": case.companion,
        "running": clocks.running_for_case(case),
        "actions": by_section,
        "warnings": [str(w) for w in workflow.warnings(case)],
        "victims": victims,
        "assessments": assessments,
        "latest": latest,
        "consents": consents,
        "planned": actions,
        "visits": visible_visits(case, user),
        "recovery": recovery,
        "risk_rule": assessment.RISK_RULE,
    }


@register_section_provider
def procedure_sections(request, case):
    """The procedure's sections of the case page; none for INTAKE-level users (the volunteer)."""
    if getattr(case, "access_level", None) != FULL:
        return []
    ctx = procedure_context(request, case)
    return [
        Section("procedure", _("Handling"), "cases/_procedure_actions.html", ctx, 10),
        Section(
            "assessment", _("Assessment and consent"), "cases/_procedure_assessment.html", ctx, 20
        ),
        Section("plan", _("Case plan"), "cases/_procedure_plan.html", ctx, 30),
        Section("accompaniment", _("Accompaniment"), "cases/_procedure_visits.html", ctx, 40),
    ]


@require_http_methods(["GET", "POST"])
def act(request, pk, action):
    """One step of the procedure. GET shows its form (changes nothing); POST fires it."""
    if action not in FORMS:
        raise Http404
    case = get_case_for_user(request, pk, action=f"procedure:{action}", need=FULL)
    step = next(
        (s for s in workflow.available_steps(case, request.user) if s.action == action), None
    )
    if request.method == "GET":
        if step is None:
            raise Http404
        form = form_for(action, case, request.user)
        status = 200
    else:
        form = form_for(action, case, request.user, request.POST)
        status = 400
        blocked = workflow.CASE.blocking_reasons(case, request.user, action)
        for reason in blocked:
            form.add_error(None, reason)
        if not blocked and form.is_valid():
            try:
                case_advance(case=case, action=action, actor=request.user, data=form.service_data())
            except AlreadyDone:
                messages.info(request, ALREADY_DONE_MESSAGE)
                return redirect(case_url(case, SECTION_OF.get(action, "procedure")))
            except workflow.TransitionRefused as refused:
                for reason in refused.reasons:
                    form.add_error(None, reason)
            else:
                messages.success(
                    request,
                    _("Done: %(step)s.") % {"step": workflow.label_of_action(action)},
                )
                return redirect(case_url(case, SECTION_OF.get(action, "procedure")))
    return render(
        request,
        "cases/procedure/act.html",
        {
            "case": case,
            "form": form,
            "action": action,
            "title": workflow.label_of_action(action),
            "step": step,
            "pending": workflow.pending_reasons(case, request.user, step) if step else [],
            "back_url": case_url(case),
            "is_roleplay": case.is_roleplay,
        },
        status=status,
    )


TASKS_PAGE = 25


@require_GET
def tasks(request):
    """Tugas Saya: the running deadlines waiting on the user, most urgent first, a page at a
    time (SQL over the clock rows), and above them the work without a deadline."""
    now = timezone.now()
    page = page_of(
        clocks.clock_tasks(request.user, now).values(*clocks.LINE_FIELDS),
        request.GET.get("page"),
        TASKS_PAGE,
    )
    words = TaskWords()
    runs = [task_row(t, words) for t in clocks.task_lines_of(page.object_list, now)]
    others = clocks.other_tasks(request.user, now) if page.number == 1 else []
    return render(
        request,
        "cases/procedure/tasks.html",
        {
            "tasks": runs,
            "others": [other_task_item(t, words) for t in others],
            "page_obj": page,
            "now": now,
        },
    )


def _wide_kelurahan(user):
    roles = roles_of(user)
    return [k for k, held in roles.by_kelurahan.items() if held & KELURAHAN_WIDE_ROLES]


@require_GET
def dashboard(request):
    kel_ids = _wide_kelurahan(request.user)
    if not kel_ids:
        raise Http404
    # Counts and clocks only: the read replica may answer them (lbk.routers); who may see the
    # dashboard was decided above, on the primary.
    with replica_reads():
        data = clocks.dashboard(kel_ids)
    names = dict(Kelurahan.objects.filter(pk__in=kel_ids).values_list("pk", "name"))
    # A public submission's clock (no case) leads to the submission, which only the coordinator
    # opens: the other kelurahan-wide roles see the line without a link.
    coordinating = set(roles_of(request.user).kelurahan_with(Role.KOORDINATOR))
    for kel_id in kel_ids:
        for run in data[kel_id]["oldest"]:
            if run.case_id is None and run.kelurahan_id not in coordinating:
                run.url = ""
    blocks = [{"name": names[k], **data[k]} for k in sorted(kel_ids, key=lambda k: names[k])]
    return render(request, "cases/procedure/dashboard.html", {"blocks": blocks})


def _procedure_kelurahan(request):
    roles = roles_of(request.user)
    allowed = set(roles.by_kelurahan)
    if not allowed:
        raise Http404
    wanted = request.GET.get("kelurahan")
    qs = Kelurahan.objects.filter(pk__in=allowed).order_by("name")
    if wanted:
        kel = qs.filter(code=wanted).first() or (
            qs.filter(pk=wanted).first() if wanted.isdigit() else None
        )
        if kel is None:
            raise Http404
        return kel, qs
    return qs.first(), qs


@require_GET
def procedure(request):
    kelurahan, choices = _procedure_kelurahan(request)
    return render(
        request,
        "cases/procedure/procedure.html",
        {
            "kelurahan": kelurahan,
            "choices": choices,
            "rows": procedure_print.procedure_rows(kelurahan),
            "chart": procedure_print.flow_chart_svg(),
            "risk_rule": assessment.RISK_RULE,
        },
    )


@require_GET
def procedure_pdf(request):
    kelurahan, _choices = _procedure_kelurahan(request)
    pdf = procedure_print.stored_procedure_pdf(kelurahan)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="alur-penanganan-{kelurahan.code}.pdf"'
    return response


@home.register
def tasks_panel(request):
    roles = roles_of(request.user)
    if not roles.all_roles & {Role.PENDAMPING, *KELURAHAN_WIDE_ROLES}:
        return []
    now = timezone.now()
    count, overdue = clocks.task_counts(request.user, now)
    top = clocks.task_lines(clocks.clock_tasks(request.user, now)[:3], now)
    return [
        {
            "title": gettext_lazy("My tasks"),
            "template": "cases/_procedure_tasks_panel.html",
            "context": {"count": count, "overdue": overdue, "top": top},
        }
    ]
