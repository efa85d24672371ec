"""JSON from outside (a request body, a form field, an uploaded file): the one reader.

Python's json reads more than JSON and fails in ways no caller expected: NaN and Infinity (and 1e400, read as
infinity) are accepted, though no field means them (a NaN coordinate compares false with every bound, int() of
infinity raises OverflowError); a document nested a few thousand deep raises RecursionError. Each was a server
error somewhere. json_read accepts standard JSON only and raises JsonError (a ValueError) for everything else, its
message in the user's words."""

from __future__ import annotations

import json
import math
from typing import Any

from django.utils.translation import gettext as _


class JsonError(ValueError):
    """Why the text is not JSON the platform reads: kind is syntax, encoding, number or depth."""

    def __init__(self, kind: str, message: str, *, line: int | None = None, column: int | None = None):
        self.kind, self.message, self.line, self.column = kind, message, line, column
        super().__init__(message)


def _not_a_number(name: str):
    raise JsonError("number", _("a number JSON does not allow (NaN, Infinity or too large)"))


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400
        _not_a_number(text)
    return value


def _whole(text: str) -> int:
    try:
        return int(text)
    except ValueError:  # more digits than Python converts (4,300)
        _not_a_number(text)


def json_read(data: str | bytes | bytearray) -> Any:
    """The document of standard JSON text (bytes: UTF-8, a BOM allowed). Raises JsonError."""
    try:
        text = data.decode("utf-8-sig") if isinstance(data, (bytes, bytearray)) else data
        return json.loads(text, parse_constant=_not_a_number, parse_float=_finite, parse_int=_whole)
    except JsonError:
        raise
    except RecursionError:
        raise JsonError("depth", _("nested too deeply")) from None
    except json.JSONDecodeError as exc:  # where, in the user's words (json's own message is English)
        raise JsonError("syntax", _("not valid JSON (line %(line)s, column %(column)s)")
                        % {"line": exc.lineno, "column": exc.colno}, line=exc.lineno, column=exc.colno) from None
    except UnicodeDecodeError:
        raise JsonError("encoding", _("not text in UTF-8")) from None
