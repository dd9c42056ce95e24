"""Every URL pattern of the project, with its path parameters filled from real objects.

Used by the access matrix, the CSRF, XSS and side-effect tests: they all cover whatever URL
patterns exist when they run.
"""

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver, resolve

_GROUP = re.compile(r"\((?:\?P<(\w+)>)?[^()]*\)")
_CONVERTER = re.compile(r"(?<!\?P)<(?:\w+:)?(\w+)>")


@dataclass(frozen=True)
class Route:
    key: str  # the URL name ("ns:name"), or the route itself when the pattern has no name
    route: str  # the full route, e.g. "cases/<int:case_pk>/attachments/"
    params: tuple  # parameter names in order (named or positional "_1", "_2"...)
    callback: object

    def build(self, values):
        """The path with parameters filled from `values` (a dict by parameter name)."""
        counter = iter(range(1, 100))

        def group(m):
            name = m.group(1) or f"_{next(counter)}"
            return str(values[name])

        path = _CONVERTER.sub(lambda m: str(values[m.group(1)]), self.route)
        path = _GROUP.sub(group, path)
        path = path.replace("^", "").replace("$", "")
        return "/" + path


def _params(route):
    names = _CONVERTER.findall(route)
    counter = 0
    for m in _GROUP.finditer(route):
        if m.group(1):
            names.append(m.group(1))
        else:
            counter += 1
            names.append(f"_{counter}")
    return tuple(names)


def all_routes():
    out = []

    def walk(resolver, prefix, namespaces):
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                ns = namespaces + ((p.namespace,) if p.namespace else ())
                walk(p, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                key = ":".join(namespaces + (p.name,)) if p.name else route
                out.append(Route(key, route, _params(route), p.callback))

    walk(get_resolver(), "", ())
    return out


def check_resolves(route, path):
    """The built path resolves back to the same view (so the test reaches the intended view)."""
    match = resolve(path.split("?")[0])
    return match.func == route.callback or getattr(match.func, "__wrapped__", None) == getattr(
        route.callback, "__wrapped__", object()
    )
