"""Django's own messages that its Vietnamese catalogue leaves in English, named here so that `makemessages` keeps
their translation in ours (lachan/locale/vi): registration and password changes showed "This password is too
short…" in the Vietnamese interface."""

from django.utils.translation import ngettext_lazy

DJANGO_MESSAGES = (
    ngettext_lazy("This password is too short. It must contain at least %d character.",
                  "This password is too short. It must contain at least %d characters.", 10),
)
