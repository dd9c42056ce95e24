"""The outbox in the Django admin: what the application admin sees of the background work.

Task name, state, attempts and times, and the last error as the outbox stored it (class and
redacted message); never the task's arguments (the target's id), a body, an address or a
traceback. Nothing can be added or edited; a failed row can be tried again. The tasks library's
own admin page (django-tasks-db's results, which show arguments and tracebacks) is unregistered.
"""

from django.contrib import admin, messages
from django.contrib.admin.exceptions import NotRegistered
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.admin import LbkAdminOnly

from .models import OutboxItem
from .services import enqueue

try:
    from django_tasks_db.models import DBTaskResult

    admin.site.unregister(DBTaskResult)
except (ImportError, NotRegistered):  # not installed, or already unregistered
    pass

SHOWN = (
    "kind",
    "state",
    "attempts",
    "created_at",
    "next_attempt_at",
    "lease_until",
    "done_at",
    "result",
    "last_error",
)


@admin.register(OutboxItem)
class OutboxItemAdmin(LbkAdminOnly, admin.ModelAdmin):
    list_display = ("pk", *SHOWN)
    list_filter = ("state", "kind")
    ordering = ("-created_at", "-pk")
    fields = SHOWN
    readonly_fields = SHOWN
    actions = ["retry"]
    show_full_result_count = False
    list_per_page = 50

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        # Read-only: the change page shows the fields above, nothing can be saved.
        return False

    @admin.action(description=_("Try the selected failed items again"))
    def retry(self, request, queryset):
        now = timezone.now()
        rows = list(queryset.filter(state=OutboxItem.State.FAILED).values_list("pk", "kind"))
        OutboxItem.objects.filter(pk__in=[pk for pk, _kind in rows]).update(
            state=OutboxItem.State.PENDING, attempts=0, next_attempt_at=now, done_at=None
        )
        for pk, kind in rows:
            enqueue(pk, kind)
        self.message_user(
            request,
            ngettext(
                "%(n)d item will be tried again.", "%(n)d items will be tried again.", len(rows)
            )
            % {"n": len(rows)},
            messages.SUCCESS,
        )
