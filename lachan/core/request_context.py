"""Who is acting and from where, for the audit trail, without passing the request everywhere."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    ip: str = ""
    user_agent: str = ""
    path: str = ""
    channel: str = "system"  # web, api, command, task, system


_current: contextvars.ContextVar[RequestContext] = contextvars.ContextVar("lachan_request", default=RequestContext())


def current() -> RequestContext:
    return _current.get()


def activate(ctx: RequestContext) -> contextvars.Token:
    return _current.set(ctx)


def deactivate(token: contextvars.Token) -> None:
    _current.reset(token)
