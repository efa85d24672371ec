from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from lachan.core.errors import DomainError

from .audit import audit_record
from .models import ApiToken, AuditAction, AuditEvent, User
from .roles import Perm
from .services import jurisdiction_validate


def _can(request, perm: str) -> bool:
    user = request.user
    return user.is_active and (user.is_superuser or user.has_perm_code(perm))


class JurisdictionCheck:
    """Form mixin: the role's kind of jurisdiction must match (services.jurisdiction_validate)."""

    def clean(self):
        data = super().clean()
        role = data.get("role")
        if role:
            try:
                jurisdiction_validate(role=role, unit=data.get("jurisdiction_unit"), place=data.get("jurisdiction_place"))
            except DomainError as exc:
                field = exc.field if exc.field in self.fields else None
                raise ValidationError({field: str(exc.message)} if field else str(exc.message)) from None
        return data


class UserAdminForm(JurisdictionCheck, UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = ("username", "password", "first_name", "last_name", "email", "phone", "language", "role",
                  "jurisdiction_unit", "jurisdiction_place", "is_active", "is_staff", "is_superuser")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserAdminForm
    list_display = ("username", "first_name", "role", "jurisdiction_unit", "jurisdiction_place", "is_active", "last_login")
    list_filter = ("role", "is_active", "is_staff")
    search_fields = ("username", "first_name", "last_name", "phone", "email")
    raw_id_fields = ("jurisdiction_place",)
    list_select_related = ("jurisdiction_unit", "jurisdiction_place")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("first_name", "last_name", "email", "phone", "language")}),
        (_("Role and jurisdiction"), {"fields": ("role", "jurisdiction_unit", "jurisdiction_place")}),
        (_("Status"), {"fields": ("is_active", "is_staff", "is_superuser", "last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "password1", "password2")}),
        (_("Role and jurisdiction"), {"fields": ("role", "jurisdiction_unit", "jurisdiction_place")}),
    )
    readonly_fields = ("last_login", "date_joined")
    # Privileges only a deployment's own superuser (made with `createsuperuser`) may grant.
    privilege_fields = ("is_staff", "is_superuser", "groups", "user_permissions")

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if not request.user.is_superuser:
            fields = (*fields, *(f for f in self.privilege_fields if f not in fields))
        return fields

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if obj is None:
            # The add form is Django's creation form; give it our jurisdiction check.
            return type("UserAddForm", (JurisdictionCheck, form), {})
        return form

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user, action=AuditAction.UPDATE if change else AuditAction.CREATE, object_type="user",
            object_id=obj.pk, detail={"changed": sorted(f for f in form.changed_data if f != "password"), "via": "admin"},
        )

    def has_module_permission(self, request):
        return _can(request, Perm.USERS_MANAGE)

    def has_view_permission(self, request, obj=None):
        return _can(request, Perm.USERS_MANAGE)

    def has_add_permission(self, request):
        return _can(request, Perm.USERS_MANAGE)

    def has_change_permission(self, request, obj=None):
        # A superuser's account (its password, its status) is changed by a superuser only.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return _can(request, Perm.USERS_MANAGE)

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser  # deactivate instead: the audit trail keeps the account


class ReadOnlyAdmin(admin.ModelAdmin):
    perm = Perm.USERS_MANAGE

    def has_module_permission(self, request):
        return _can(request, self.perm)

    def has_view_permission(self, request, obj=None):
        return _can(request, self.perm)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix", "user__username")
    list_select_related = ("user",)
    # The hash is shown so an administrator can match a leaked token; the raw token is never stored.
    fields = ("user", "name", "prefix", "key_hash", "created_at", "last_used_at", "expires_at", "revoked_at")
    readonly_fields = fields


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    perm = Perm.AUDIT_VIEW
    list_display = ("at", "actor_username", "actor_role", "action", "object_type", "object_id", "person_id", "ip")
    list_filter = ("action", "channel")
    search_fields = ("actor_username", "object_id", "ip")
    date_hierarchy = "at"
    show_full_result_count = False  # no COUNT over millions of events
    fields = ("at", "actor", "actor_username", "actor_role", "action", "object_type", "object_id", "person_id",
              "ip", "user_agent", "channel", "path", "detail")
    readonly_fields = fields
