from django.conf import settings
from django.conf.urls.i18n import set_language
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path

from accounts import views as account_views
from ops.health import health

urlpatterns = [
    path("", account_views.root, name="root"),
    path("home/", account_views.home, name="home"),
    path("health/", health, name="health"),
    path("accounts/", include("accounts.urls")),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("cases/", include("cases.urls")),
    path("", include("referrals.urls")),
    path("", include("attachments.urls")),
    path("notifications/", include("notifications.urls")),
    path("reports/", include("reports.urls")),
    path("mechanism/", include("mechanism.urls")),
    path("outreach/", include("outreach.urls")),
    path("places/", include("joining.urls")),
    path("", include("public_channel.urls")),
    path("simulasi/", include("roleplay.urls")),
    path("admin/", admin.site.urls),
]

if settings.BENCH_VIEWS:
    urlpatterns += [path("", include("ops.bench.urls"))]

handler400 = "lbk.errors.bad_request"
handler404 = "lbk.errors.not_found"
handler500 = "lbk.errors.server_error"
handler403 = "lbk.errors.forbidden"
