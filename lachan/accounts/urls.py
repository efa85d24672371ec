from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/code/", views.login_code, name="login_code"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("register/", views.register, name="register"),
    path("register/code/", views.register_verify, name="register_verify"),
    path("me/", views.me, name="me"),
    path("me/language/", views.me_language, name="me_language"),
    path("me/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("me/two-factor/", views.two_factor, name="two_factor"),
    path("me/tokens/", views.token_create, name="token_create"),
    path("me/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("audit/", views.audit_search, name="audit"),
    path("audit/denials/", views.audit_denials, name="audit_denials"),
    path("users/", views.users, name="users"),
    path("users/<int:user_id>/active/", views.user_active, name="user_active"),
    path("users/unlock/", views.user_unlock, name="user_unlock"),
]
