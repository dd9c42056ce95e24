from django.urls import path

from . import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("logout/everywhere/", views.logout_everywhere, name="logout_everywhere"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("resubmit/", views.resubmit, name="resubmit"),
    path("password/done/", views.PasswordChangeDoneView.as_view(), name="password_change_done"),
]
