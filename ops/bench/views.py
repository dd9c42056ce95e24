"""The bare view of the benchmark: login required (the default), the same middleware as every
page, a fixed 1 kB template and no query of its own. Routed only when BENCH_VIEWS=true."""

from django.http import HttpResponse
from django.template.loader import render_to_string


def bare(request):
    # Rendered without the request: no context processor runs (they would query).
    return HttpResponse(render_to_string("bench/bare.html"))
