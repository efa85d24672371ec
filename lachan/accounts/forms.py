from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from lachan.core.forms import DayField
from lachan.core.phones import phone_looks_like, phone_parse
from lachan.core.widgets import DateInput
from lachan.geo.forms import UnitChoiceField
from lachan.geo.models import AdminUnit, Place

from .models import AuditAction
from .roles import Role


class LoginForm(AuthenticationForm):
    """Staff log in with their user name, citizens with their phone number in any usual form."""

    username = forms.CharField(label=_("User name or phone number"), max_length=150,
                               widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}))

    def clean(self):
        username = self.cleaned_data.get("username") or ""
        if phone_looks_like(username):
            # The phone is the citizen's user name, in the 10-digit form; axes counts failures on it too.
            self.cleaned_data["username"] = phone_parse(username) or username.strip()
        return super().clean()


class CodeForm(forms.Form):
    code = forms.CharField(label=_("Verification code"), max_length=10, widget=forms.TextInput(
        attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True, "size": 8}))


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)


class TokenCreateForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("What uses it, e.g. “lab import script”."))
    expires_days = forms.IntegerField(label=_("Valid for (days)"), min_value=1, max_value=730, required=False,
                                      help_text=_("Empty: until revoked."))


class RegisterForm(forms.Form):
    phone = forms.CharField(label=_("Mobile phone number"), max_length=20,
                            widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}))
    full_name = forms.CharField(label=_("Full name"), max_length=200)
    birth_date = DayField(label=_("Date of birth"), widget=DateInput())
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label=_("Password again"),
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return data


_STAFF_ROLES = [(value, label) for value, label in Role.choices if value != Role.CITIZEN]


class StaffUserForm(forms.Form):
    username = forms.CharField(label=_("User name"), max_length=150)
    full_name = forms.CharField(label=_("Full name"), max_length=150, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    role = forms.ChoiceField(label=_("Role"), choices=_STAFF_ROLES)
    jurisdiction_unit = UnitChoiceField(
        label=_("Administrative unit"), required=False, queryset=AdminUnit.objects.none(),
        help_text=_("For provincial, district and commune roles."),
    )
    jurisdiction_place = forms.ModelChoiceField(
        label=_("Place id"), required=False, queryset=Place.objects.filter(
            kind__in=["laboratory", "enterprise", "checkpoint", "venue"]),
        widget=forms.TextInput(attrs={"size": 38}),
        help_text=_("For laboratory, enterprise, checkpoint and venue roles: the place's id."),
        error_messages={"invalid_choice": _("No laboratory, enterprise, checkpoint or venue has this id.")},
    )
    password = forms.CharField(label=_("Initial password"), widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        province = AdminUnit.objects.filter(
            tree=settings.LACHAN_ADMIN_TREE, code=settings.LACHAN_PROVINCE_CODE, level=1).first()
        units = AdminUnit.objects.filter(tree=settings.LACHAN_ADMIN_TREE)
        if province is not None:
            units = units.filter(Q(path=province.path) | Q(path__startswith=province.path + "/"))
        self.fields["jurisdiction_unit"].queryset = units.select_related("parent").order_by("path")
        self.fields["jurisdiction_unit"].label_from_instance = (
            lambda u: "— " * (u.level - 1) + f"{u.name} ({u.code})")


class AuditFilterForm(forms.Form):
    actor = forms.CharField(label=_("User name"), required=False, max_length=150)
    action = forms.ChoiceField(label=_("Action"), required=False, choices=[("", _("any"))] + AuditAction.choices)
    person_id = forms.UUIDField(label=_("Person id"), required=False)
    object_type = forms.CharField(label=_("Object type"), required=False, max_length=60)
    object_id = forms.CharField(label=_("Object id"), required=False, max_length=64)
    date_from = DayField(label=_("From"), required=False, widget=DateInput())
    date_to = DayField(label=_("To"), required=False, widget=DateInput())
    ip = forms.CharField(label=_("IP address"), required=False, max_length=45)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data
