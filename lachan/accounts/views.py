from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


@login_required
def me(request):
    return HttpResponse("me")


@login_required
def audit_search(request):
    return HttpResponse("audit")
