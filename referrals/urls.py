from django.urls import path

from . import views

app_name = "referrals"

urlpatterns = [
    path("referrals/queue/", views.queue, name="queue"),
    path("referrals/inbox/", views.inbox, name="inbox"),
    path("referrals/register/", views.register, name="register"),
    path("referrals/register.csv", views.register_csv, name="register_csv"),
    path("referrals/<int:pk>/", views.referral_detail, name="detail"),
    path("referrals/<int:pk>/edit/", views.referral_edit, name="edit"),
    path("referrals/<int:pk>/letter.pdf", views.letter_download, name="letter"),
    path("referrals/<int:pk>/do/<slug:action>/", views.referral_step, name="step"),
    path("referrals/from-action/<int:action_pk>/", views.referral_start, name="start"),
    path("referrals/emergency/<int:case_pk>/", views.emergency_create, name="emergency"),
    path("verifikasi/<str:token>/", views.verify, name="verify"),
]
