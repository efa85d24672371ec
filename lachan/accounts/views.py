import json
import time
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import login as otp_login

from lachan.core.errors import DomainError, ValidationFailed
from lachan.core.exports import XlsxExport
from lachan.core.middleware import client_ip
from lachan.core.numbers import int_or_none
from lachan.core.ratelimit import RateLimited
from lachan.core.redirects import next_url as safe_next_url

from . import services
from .audit import audit_record
from .forms import (
    AuditFilterForm,
    CodeForm,
    LanguageForm,
    LoginForm,
    RegisterForm,
    StaffUserForm,
    TokenCreateForm,
)
from .jurisdiction import scope_for
from .middleware import user_needs_otp
from .models import AuditAction, User
from .ratelimits import login_rate_check
from .roles import Perm, Role
from .selectors import (
    DENIAL_THRESHOLD,
    DENIAL_WINDOW_HOURS,
    api_tokens_of,
    audit_events,
    denials_repeated,
    locked_out_usernames,
    page_of,
    users_list,
)

PENDING_KEY = "lc_2fa_pending"
PENDING_TTL = 300  # seconds between the password and the code
CODE_TRIES = 5
REGISTRATION_KEY = "lc_registration"
EXPORT_LIMIT = 100_000


def _with_language(response, user):
    """The UI switches to the user's language: LocaleMiddleware reads the language cookie."""
    if getattr(user, "language", "") in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, user.language, max_age=365 * 24 * 3600,
            samesite="Lax", secure=settings.SESSION_COOKIE_SECURE,
        )
    return response


def _form_error(form, exc: DomainError) -> None:
    for err in exc.errors if isinstance(exc, ValidationFailed) else [exc]:
        form.add_error(err.field if err.field in form.fields else None, str(err.message))


def _require_perm(request, perm: str) -> None:
    if not (request.user.is_superuser or request.user.has_perm_code(perm)):
        raise DjangoPermissionDenied


# --- log-in ---------------------------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        try:
            login_rate_check(client_ip(request))
        except RateLimited as exc:
            form = self.get_form()
            form.errors.clear()
            form.add_error(None, str(exc.message))
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(exc.retry_after)
            return response
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        user = form.get_user()
        if services.totp_device_confirmed(user):
            # The password was right; the session counts as logged in only after the code.
            self.request.session[PENDING_KEY] = {
                "uid": user.pk, "backend": user.backend, "next": self.get_success_url(),
                "at": time.time(), "tries": 0,
            }
            return redirect("accounts:login_code")
        return _with_language(super().form_valid(form), user)


def login_code(request):
    pending = request.session.get(PENDING_KEY)
    if pending:
        user = User.objects.filter(pk=pending["uid"], is_active=True).first()
        next_url = pending["next"]
        if user is None or time.time() - pending["at"] > PENDING_TTL:
            request.session.pop(PENDING_KEY, None)
            messages.error(request, _("The log-in took too long. Start again."))
            return redirect("accounts:login")
    elif user_needs_otp(request.user):
        user = request.user
        next_url = safe_next_url(request, settings.LOGIN_REDIRECT_URL, value=request.GET.get("next", ""))
    else:
        return redirect("accounts:login")
    device = services.totp_device_confirmed(user)
    if device is None:
        request.session.pop(PENDING_KEY, None)
        return redirect("accounts:login")
    form = CodeForm(request.POST or None)
    if request.method == "POST":
        try:
            login_rate_check(client_ip(request))
        except RateLimited as exc:
            form = CodeForm()
            form.add_error(None, str(exc.message))
            return render(request, "accounts/login_code.html", {"form": form, "username": user.get_username()},
                          status=429, headers={"Retry-After": str(exc.retry_after)})
    if request.method == "POST" and form.is_valid():
        if services.totp_verify(device, form.cleaned_data["code"]):
            if pending:
                request.session.pop(PENDING_KEY, None)
                auth_login(request, user, backend=pending["backend"])
            otp_login(request, device)
            request.session.pop("lc_2fa_tries", None)
            return _with_language(redirect(next_url), user)
        audit_record(actor=None, action=AuditAction.LOGIN_FAILED, object_type="user", object_id=user.pk,
                     detail={"username": user.username, "step": "2fa"})
        tries = (pending or request.session.get("lc_2fa_tries") or {"tries": 0})["tries"] + 1
        if tries >= CODE_TRIES:
            request.session.pop(PENDING_KEY, None)
            if request.user.is_authenticated:
                auth_logout(request)
            messages.error(request, _("Too many wrong codes. Log in again."))
            return redirect("accounts:login")
        if pending:
            pending["tries"] = tries
            request.session[PENDING_KEY] = pending
        else:
            request.session["lc_2fa_tries"] = {"tries": tries}
        form.add_error("code", _("The code is not right. Check the time on your phone."))
    return render(request, "accounts/login_code.html", {"form": form, "username": user.get_username()})


# --- citizen registration -------------------------------------------------------------------------


def register(request):
    if request.user.is_authenticated:
        return redirect(settings.LOGIN_REDIRECT_URL)
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            verification = services.citizen_registration_start(
                phone=data["phone"], full_name=data["full_name"], birth_date=data["birth_date"],
                password=data["password1"], language=request.LANGUAGE_CODE,
            )
        except DomainError as exc:
            if exc.field == "password":
                exc.field = "password1"
            _form_error(form, exc)
        else:
            request.session[REGISTRATION_KEY] = verification.pk
            return redirect("accounts:register_verify")
    return render(request, "accounts/register.html", {"form": form})


def register_verify(request):
    verification_id = request.session.get(REGISTRATION_KEY)
    if not verification_id:
        return redirect("accounts:register")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and request.POST.get("resend"):
        try:
            verification = services.citizen_registration_resend(verification_id=verification_id)
        except DomainError as exc:
            messages.error(request, str(exc.message))
        else:
            request.session[REGISTRATION_KEY] = verification.pk
            messages.success(request, _("A new code was sent."))
        return redirect("accounts:register_verify")
    if request.method == "POST" and form.is_valid():
        try:
            user = services.citizen_registration_verify(verification_id=verification_id, code=form.cleaned_data["code"])
        except DomainError as exc:
            _form_error(form, exc)
        else:
            request.session.pop(REGISTRATION_KEY, None)
            auth_login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Your account is ready."))
            return _with_language(redirect("accounts:me"), user)
    return render(request, "accounts/register_verify.html", {"form": form})


# --- account page ---------------------------------------------------------------------------------


def _people_mine_url() -> str | None:
    try:
        return reverse("people:mine")
    except NoReverseMatch:
        return None


def _me_context(request, **extra):
    user = request.user
    ctx = {
        "scope": scope_for(user),
        "language_form": LanguageForm(initial={"language": user.language}),
        "people_mine_url": _people_mine_url() if user.is_citizen else None,
        "can_manage_users": user.has_perm_code(Perm.USERS_MANAGE),
        "can_view_audit": user.has_perm_code(Perm.AUDIT_VIEW),
    }
    if not user.is_citizen:
        ctx.update(
            tokens=api_tokens_of(user), token_form=TokenCreateForm(),
            two_factor_on=services.totp_device_confirmed(user) is not None,
        )
    ctx.update(extra)
    return ctx


@login_required
def me(request):
    return render(request, "accounts/me.html", _me_context(request))


@login_required
@require_POST
def me_language(request):
    form = LanguageForm(request.POST)
    if form.is_valid():
        services.user_set_language(user=request.user, language=form.cleaned_data["language"])
    return _with_language(redirect("accounts:me"), request.user)


@login_required
@require_POST
def token_create(request):
    if request.user.is_citizen:
        raise DjangoPermissionDenied
    form = TokenCreateForm(request.POST)
    if form.is_valid():
        days = form.cleaned_data.get("expires_days")
        try:
            token, raw = services.api_token_create(
                user=request.user, name=form.cleaned_data["name"],
                expires_at=timezone.now() + timedelta(days=days) if days else None,
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            return render(request, "accounts/me.html", _me_context(request, new_token=token, new_token_raw=raw))
    return render(request, "accounts/me.html", _me_context(request, token_form=form), status=400)


@login_required
@require_POST
def token_revoke(request, token_id: int):
    if request.user.is_citizen:
        raise DjangoPermissionDenied
    try:
        services.api_token_revoke(token_id=token_id, user=request.user)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("The token was revoked."))
    return redirect("accounts:me")


@login_required
def two_factor(request):
    user = request.user
    if user.is_citizen:
        raise DjangoPermissionDenied
    form = CodeForm(request.POST or None)
    action = request.POST.get("action", "")
    if request.method == "POST":
        try:
            if action == "start":
                services.totp_device_start(user=user)
                return redirect("accounts:two_factor")
            if action == "confirm" and form.is_valid():
                device = services.totp_device_confirm(user=user, code=form.cleaned_data["code"])
                otp_login(request, device)  # this session has just proved the code
                messages.success(request, _("Two-factor log-in is on."))
                return redirect("accounts:me")
            if action == "disable" and form.is_valid():
                services.totp_device_remove(user=user, code=form.cleaned_data["code"])
                messages.success(request, _("Two-factor log-in is off."))
                return redirect("accounts:me")
        except DomainError as exc:
            _form_error(form, exc)
    confirmed = services.totp_device_confirmed(user)
    pending = None if confirmed else services.totp_device_pending(user)
    ctx = {"form": form, "confirmed": confirmed, "pending": pending}
    if pending is not None:
        import segno

        ctx["qr_svg"] = segno.make(pending.config_url, error="m").svg_inline(scale=4, title="otpauth")
        ctx["secret"] = services.totp_secret(pending)
    return render(request, "accounts/two_factor.html", ctx)


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:me")

    def form_valid(self, form):
        response = super().form_valid(form)
        audit_record(actor=self.request.user, action=AuditAction.SECURITY, object_type="user",
                     object_id=self.request.user.pk, detail={"change": "password_changed"})
        messages.success(self.request, _("Your password was changed."))
        return response


# --- audit trail ----------------------------------------------------------------------------------


def _audit_filters_for_log(filters: dict) -> dict:
    return {k: str(v) for k, v in filters.items() if v not in (None, "")}


@login_required
def audit_search(request):
    _require_perm(request, Perm.AUDIT_VIEW)
    form = AuditFilterForm(request.GET or None)
    valid = form.is_valid() if request.GET else True
    filters = form.cleaned_data if request.GET and valid else {}
    qs = audit_events(user=request.user, filters=filters)
    if valid and request.GET.get("export") == "xlsx":
        audit_record(actor=request.user, action=AuditAction.EXPORT, object_type="audit_event",
                     detail={"filters": _audit_filters_for_log(filters)})
        return _audit_xlsx(qs)
    try:
        page = max(1, int(request.GET.get("page") or 1))
    except ValueError:
        page = 1
    rows, has_next = page_of(qs, page=page, size=50) if valid else ([], False)
    audit_record(actor=request.user, action=AuditAction.SEARCH, object_type="audit_event",
                 detail={"filters": _audit_filters_for_log(filters), "page": page})
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("export", None)
    return render(request, "accounts/audit.html", {
        "form": form, "rows": rows, "page": page, "has_next": has_next, "query": query.urlencode(),
        "nav_current": "audit",
    })


def _bounded(raw, default: int, low: int, high: int) -> int:
    number = int_or_none(raw)
    return min(max(number, low), high) if number is not None else default


@login_required
def audit_denials(request):
    """Accounts and addresses refused personal data again and again: someone probing ids or jurisdictions."""
    _require_perm(request, Perm.AUDIT_VIEW)
    hours = _bounded(request.GET.get("hours"), DENIAL_WINDOW_HOURS, 1, 24 * 30)
    at_least = _bounded(request.GET.get("at_least"), DENIAL_THRESHOLD, 1, 100000)
    rows = denials_repeated(user=request.user, hours=hours, at_least=at_least)
    roles = dict(Role.choices)
    for row in rows:
        row["role_label"] = roles.get(row["actor_role"], row["actor_role"])
    audit_record(actor=request.user, action=AuditAction.SEARCH, object_type="audit_event",
                 detail={"denials": True, "hours": hours, "at_least": at_least})
    return render(request, "accounts/denials.html", {
        "rows": rows, "hours": hours, "at_least": at_least, "nav_current": "audit",
    })


def _audit_xlsx(qs) -> HttpResponse:
    ws = XlsxExport().sheet(_("Audit trail"), [_("Time"), _("User name"), _("Role"), _("Action"), _("Object type"), _("Object id"),
               _("Person id"), _("IP address"), _("Channel"), _("Path"), _("Detail")])
    for event in qs[:EXPORT_LIMIT].iterator(chunk_size=2000):
        ws.append([
            event.at, event.actor_username, event.actor_role, event.action,
            event.object_type, event.object_id, str(event.person_id or ""), event.ip, event.channel, event.path,
            json.dumps(event.detail, ensure_ascii=False) if event.detail else "",
        ])
    return ws.response(f"audit-{timezone.localdate():%Y%m%d}.xlsx")


# --- staff accounts -------------------------------------------------------------------------------


@login_required
def users(request):
    _require_perm(request, Perm.USERS_MANAGE)
    form = StaffUserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.staff_user_create(
                username=data["username"], password=data["password"], role=data["role"],
                unit=data["jurisdiction_unit"], place=data["jurisdiction_place"],
                full_name=data["full_name"], email=data["email"], by=request.user,
            )
        except DomainError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("Account “%(name)s” created.") % {"name": user.username})
            return redirect("accounts:users")
    q = request.GET.get("q", "").strip()
    role = request.GET.get("role", "")
    try:
        page = max(1, int(request.GET.get("page") or 1))
    except ValueError:
        page = 1
    rows, has_next = page_of(users_list(user=request.user, q=q, role=role), page=page, size=50)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "accounts/users.html", {
        "form": form, "rows": rows, "page": page, "has_next": has_next, "query": query.urlencode(),
        "q": q, "role": role, "roles": Role.choices, "locked": locked_out_usernames(),
    }, status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def user_active(request, user_id: int):
    _require_perm(request, Perm.USERS_MANAGE)
    target = get_object_or_404(User, pk=user_id)
    try:
        if request.POST.get("active") == "1":
            services.user_activate(user=target, by=request.user)
        else:
            services.user_deactivate(user=target, by=request.user)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    return redirect("accounts:users")


@login_required
@require_POST
def user_unlock(request):
    _require_perm(request, Perm.USERS_MANAGE)
    username = request.POST.get("username", "").strip()
    if username:
        services.user_unlock(username=username, by=request.user)
        messages.success(request, _("“%(name)s” can log in again.") % {"name": username})
    return redirect("accounts:users")
