"""The pages the benchmark measures, and who opens them (issue 12).

The coordinator of Watang Soreang opens most pages; the kasi kesra the approval queue; an agency
officer (UPTD PPA) the inbox. The same list is opened by the test of the generator
(tests/test_bench.py), so every page measured is known to work on a generated data set.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from .intake import SEARCH_FIRST_NAME, SEARCH_FRAGMENT, SEARCH_FULL_NAME

COORDINATOR = "ws.koordinator"
APPROVER = "ws.kasikesra"
OFFICER = "uptdppa.petugas"
PERSONAS = (COORDINATOR, APPROVER, OFFICER)
BARE_PATH = "/_bench/bare/"
CASE_LIST_FILTER = {"status": "handling", "kind": "violence"}


@dataclass(frozen=True)
class Page:
    key: str
    label: str
    persona: str
    path: str
    max_queries: int = 12


def showcase_case():
    """The case whose page is measured: the latest real case of Watang Soreang in monitoring
    with a referral (a full page: victims, plan, visits, referrals, timeline)."""
    from cases.models import Case

    qs = Case.objects.filter(
        kelurahan__code="WS", is_roleplay=False, status="monitoring", referrals__isnull=False
    ).order_by("-registered_at", "-pk")
    case = qs.first() or Case.objects.filter(kelurahan__code="WS").order_by("-pk").first()
    return case.pk


def pages(case_pk):
    def search(term):
        return "/cases/?" + urlencode({"q": term})

    return [
        Page("home", "home (landing)", COORDINATOR, "/home/"),
        Page("tasks", "Tugas Saya", COORDINATOR, "/cases/tasks/"),
        Page("dashboard", "dashboard", COORDINATOR, "/cases/dashboard/"),
        Page("register", "referral register", COORDINATOR, "/referrals/register/"),
        Page("queue", "approval queue", APPROVER, "/referrals/queue/"),
        Page("inbox", "agency inbox", OFFICER, "/referrals/inbox/"),
        Page("search_full", "search: full name (1 victim)", COORDINATOR, search(SEARCH_FULL_NAME)),
        Page("search_first", "search: first name (>= 1%)", COORDINATOR, search(SEARCH_FIRST_NAME)),
        Page("search_fragment", "search: 3-letter fragment", COORDINATOR, search(SEARCH_FRAGMENT)),
        Page(
            "case_list",
            "case list, filtered",
            COORDINATOR,
            "/cases/?" + urlencode(CASE_LIST_FILTER),
        ),
        Page("case_page", "case page", COORDINATOR, f"/cases/{case_pk}/", max_queries=20),
        *report_pages(),
    ]


REPORT_SECTIONS = ("victims", "violence", "social", "services", "quality", "outreach")


def report_pages():
    """Each report section for the last full month, its quarter and its year (issue 15: at most
    12 queries; p95 at 100,000 cases within 1.3 times that at 1,000)."""
    import datetime

    from django.utils import timezone

    last = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    periods = {
        "month": {"period": "month", "year": last.year, "month": last.month},
        "quarter": {"period": "quarter", "year": last.year, "quarter": (last.month - 1) // 3 + 1},
        "year": {"period": "year", "year": last.year},
    }
    return [
        Page(
            f"report_{s}_{p}",
            f"report: {s}, {p}",
            COORDINATOR,
            f"/reports/{s}/?" + urlencode(q),
        )
        for s in REPORT_SECTIONS
        for p, q in periods.items()
    ]


# Pages whose throughput is measured against the bare view.
THROUGHPUT = ("case_list", "case_page")
