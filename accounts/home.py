"""Home page panels: apps register a function that returns panels for the request's user.

A panel is a dict: {"title": str, "template": str, "context": dict} rendered in order.
"""

PANEL_PROVIDERS = []


def register(provider):
    PANEL_PROVIDERS.append(provider)
    return provider


def panels_for(request):
    panels = []
    for provider in PANEL_PROVIDERS:
        panels.extend(provider(request) or [])
    return panels
