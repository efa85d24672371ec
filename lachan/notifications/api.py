"""GET /api/notifications/messages[/{id}]. Authentication comes from the API root (api_auth)."""

from datetime import datetime
from uuid import UUID

from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate

from lachan.core.dates import Day
from lachan.core.errors import PermissionDenied
from lachan.core.pagination import ApiPages, page_number

from . import selectors
from .models import ChannelKind, Message, MessageStatus

router = Router(tags=["notifications"])


class MessageFilter(Schema):
    status: MessageStatus | None = None
    channel: ChannelKind | None = None
    date_from: Day | None = None
    date_to: Day | None = None
    to: str | None = Field(None, max_length=254, description="exact recipient address")
    template: str | None = Field(None, max_length=64)
    person_id: UUID | None = None


class MessageOut(Schema):
    id: UUID
    created_at: datetime
    channel: str
    to_masked: str = Field(..., alias="masked_to", description="the recipient, partly hidden")
    person_id: UUID | None
    template: str = Field(..., alias="template_code")
    template_version: int
    language: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str
    sent_at: datetime | None


class MessageDetailOut(MessageOut):
    to: str
    subject: str
    body: str | None = Field(..., description="null when the message holds a one-time code")
    provider_message_id: str

    @staticmethod
    def resolve_body(obj: Message) -> str | None:
        return None if obj.sensitive else obj.body


def _require_view(request) -> None:
    if not selectors.can_view(request.auth):
        raise PermissionDenied("permission_denied", _("You may not see the notification outbox."))


@router.get("/messages", response=list[MessageOut], summary="List outbox messages, newest first")
@paginate(ApiPages, page_size=50)
def messages_list(request, filters: Query[MessageFilter]):
    _require_view(request)
    queryset = selectors.messages_list(**filters.dict())
    if any(getattr(filters, key, None) for key in selectors.PERSON_FILTERS):
        # The page the paginator will cut (same page size), read once more for the people on it.
        number = page_number(request.GET.get("page"))  # clamped as the paginator clamps it
        shown = list(queryset.only("id", "person_id")[(number - 1) * 50:number * 50])
        selectors.outbox_audited(user=request.auth, rows=shown, filters=filters.dict())
    return queryset


@router.get("/messages/{message_id}", response=MessageDetailOut, summary="One outbox message")
def message_get(request, message_id: UUID):
    _require_view(request)
    message = selectors.message_get(message_id=message_id)
    selectors.message_audited(user=request.auth, message=message)
    return message
