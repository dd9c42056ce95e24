"""The project's URLs plus a probe form and a failing view, for the session and error tests."""

from django.http import HttpResponse, JsonResponse
from django.urls import path

from lbk.urls import handler403, handler404, handler500  # noqa: F401
from lbk.urls import urlpatterns as project_urls

RECEIVED = []


def probe(request):
    if request.method == "POST":
        RECEIVED.append({k: request.POST.getlist(k) for k in request.POST})
        return JsonResponse({"ok": True})
    return HttpResponse("probe")


def boom(request):
    victim = request.POST.get("victim", "")  # a local holding case data in the traceback
    if victim is None:
        return HttpResponse()
    raise RuntimeError("deliberate failure in a test view")


urlpatterns = [
    path("probe/", probe, name="probe"),
    path("boom/", boom, name="boom"),
    *project_urls,
]
