"""Vietnamese text folding: "Nguyễn Văn An" and "nguyen van an" compare equal."""

import re
import unicodedata

_NOT_WORD = re.compile(r"[^0-9a-z ]+")
# Combining diacritics (U+0300–U+036F, less U+034F, which has combining class 0): all Vietnamese ones.
_MARKS = re.compile("[\u0300-\u034e\u0350-\u036f]+")


def fold(text: str | None) -> str:
    """Lower-case ASCII with diacritics removed and spaces collapsed (đ → d)."""
    if not text:
        return ""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_only = _MARKS.sub("", decomposed)  # Vietnamese: one regex instead of a test per character
    if not ascii_only.isascii():  # other marks or scripts: the general rule
        ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    # Only [0-9a-z ] is left after the substitution, so split() collapses exactly the spaces.
    return " ".join(_NOT_WORD.sub(" ", ascii_only.lower()).split())


def normalize_name(text: str | None) -> str:
    """Composed Unicode (NFC), single spaces, each word capitalised as Vietnamese names are written."""
    if not text:
        return ""
    # split() breaks on exactly what \s matches (str.isspace) and drops the ends.
    return " ".join(word[:1].upper() + word[1:].lower() for word in unicodedata.normalize("NFC", text).split())


def reverse_words(folded: str) -> str:
    """"nguyen van an" → "an van nguyen": a given-name search becomes an indexed prefix search."""
    return " ".join(reversed(folded.split()))


# Control characters (C0 but tab, line feed and carriage return; DEL; C1): invisible, never typed on purpose (a
# paste from a PDF or a phone app), and XML 1.0 — so an Excel workbook — cannot hold most of them.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def has_control(text: str) -> bool:
    return _CONTROL.search(text) is not None


def text_clean(text: str) -> str:
    """Text without control characters (tab and line breaks kept): the one cleaning step of every input — form
    fields and query parameters, API bodies and imported files."""
    return _CONTROL.sub("", text) if _CONTROL.search(text) else text
