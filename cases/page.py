"""Sections of the case page contributed by each part of the app (procedure, referrals, files).

The case page view renders its own intake sections, then every registered provider's sections in
`order`. A provider gets the request and the case (already fetched through cases.access, with
`case.access_level` set) and returns a list of Section; it must itself respect the access level
(INTAKE users see intake data and status only) and confidentiality rules.
"""

from dataclasses import dataclass, field


@dataclass
class Section:
    id: str  # HTML id, also the anchor of the in-page navigation
    title: str
    template: str
    context: dict = field(default_factory=dict)
    order: int = 100


SECTION_PROVIDERS = []


def register_section_provider(provider):
    SECTION_PROVIDERS.append(provider)
    return provider


def sections_for(request, case):
    out = []
    for provider in SECTION_PROVIDERS:
        out.extend(provider(request, case) or [])
    return sorted(out, key=lambda s: s.order)


# Annotations other apps add to the case list's query (e.g. the "Dirujuk" badge), each a function
# queryset -> queryset that adds its columns in the same query.
LIST_ANNOTATIONS = []


def register_list_annotation(fn):
    if fn not in LIST_ANNOTATIONS:
        LIST_ANNOTATIONS.append(fn)
    return fn


def annotate_list(qs):
    for fn in LIST_ANNOTATIONS:
        qs = fn(qs)
    return qs


# What the sections need of the case, fetched with it in one query per relation (the case page's
# query count does not depend on how many referrals, files or visits the case holds): each
# provider returns Prefetch objects (or lookups) for case pages viewed in full.
PREFETCH_PROVIDERS = []


def register_prefetch(provider):
    if provider not in PREFETCH_PROVIDERS:
        PREFETCH_PROVIDERS.append(provider)
    return provider


def prefetches():
    out = []
    for provider in PREFETCH_PROVIDERS:
        out.extend(provider())
    return out
