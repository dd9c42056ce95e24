from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from lbk.paging import page_of

from .models import Notification
from .services import mark_all_read, mark_read, unread_count


@require_GET
def notification_list(request):
    qs = Notification.objects.filter(user=request.user)
    page = page_of(qs, request.GET.get("page"), 30)
    return render(
        request,
        "notifications/list.html",
        {"page": page, "unread": unread_count(request.user)},
    )


@require_POST
def notification_open(request, pk):
    """Mark one notification read and go to what it points at (only the user's own)."""
    n = get_object_or_404(Notification, pk=pk, user=request.user)
    mark_read(n)
    if n.url and url_has_allowed_host_and_scheme(n.url, allowed_hosts={request.get_host()}):
        return redirect(n.url)
    return redirect("notifications:list")


@require_POST
def notification_read_all(request):
    mark_all_read(request.user)
    return redirect("notifications:list")
