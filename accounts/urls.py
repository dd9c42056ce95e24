from django.urls import path

from . import people, second_factor_views, views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("logout/everywhere/", views.logout_everywhere, name="logout_everywhere"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("people/lockouts/", views.lockouts, name="lockouts"),
    path("people/", people.people, name="people"),
    path("people/audit/", people.audit_log, name="account_audit"),
    path("people/invite/", people.invite, name="people_invite"),
    path("people/<int:user_id>/", people.person, name="people_person"),
    path("people/<int:user_id>/give/", people.give, name="people_give"),
    path("people/<int:user_id>/end-all/", people.end_all, name="people_end_all"),
    path("people/<int:user_id>/deactivate/", people.deactivate, name="people_deactivate"),
    path("people/memberships/<int:pk>/end/", people.end, name="people_end_membership"),
    path(
        "people/invitations/<int:pk>/withdraw/",
        people.withdraw_invitation,
        name="people_withdraw_invitation",
    ),
    path("invitation/", views.invitation_code, name="invitation_code"),
    path("invitation/<str:secret>/", views.invitation_accept, name="invitation_accept"),
    path(
        "people/<int:user_id>/reset-password/", people.reset_password, name="people_reset_password"
    ),
    path("two-factor/setup/", second_factor_views.setup, name="two_factor_setup"),
    path("two-factor/verify/", second_factor_views.verify, name="two_factor_verify"),
    path(
        "people/<int:user_id>/reset-second-factor/",
        second_factor_views.reset,
        name="people_reset_second_factor",
    ),
    path("people/<int:user_id>/exempt/", second_factor_views.exempt, name="people_exempt"),
    path("password/reset/", views.password_reset, name="password_reset"),
    path("password/reset/sent/", views.password_reset_sent, name="password_reset_sent"),
    path("password/reset/code/", views.password_reset_code, name="password_reset_code"),
    path("password/reset/done/", views.password_reset_complete, name="password_reset_complete"),
    path(
        "password/reset/<str:secret>/", views.password_reset_confirm, name="password_reset_confirm"
    ),
    path("resubmit/", views.resubmit, name="resubmit"),
    path("password/done/", views.PasswordChangeDoneView.as_view(), name="password_change_done"),
]
