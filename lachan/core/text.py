"""Vietnamese text folding: "Nguyễn Văn An" and "nguyen van an" compare equal."""

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_NOT_WORD = re.compile(r"[^0-9a-z ]+")


def fold(text: str | None) -> str:
    """Lower-case ASCII with diacritics removed and spaces collapsed (đ → d)."""
    if not text:
        return ""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_only = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    ascii_only = _NOT_WORD.sub(" ", ascii_only)
    return _SPACES.sub(" ", ascii_only).strip()


def normalize_name(text: str | None) -> str:
    """Composed Unicode (NFC), single spaces, each word capitalised as Vietnamese names are written."""
    if not text:
        return ""
    text = _SPACES.sub(" ", unicodedata.normalize("NFC", text)).strip()
    return " ".join(word[:1].upper() + word[1:].lower() for word in text.split(" "))


def reverse_words(folded: str) -> str:
    """"nguyen van an" → "an van nguyen": a given-name search becomes an indexed prefix search."""
    return " ".join(reversed(folded.split()))
