"""Text helpers: masking personal numbers, pinyin initials for search, normalising input."""

import unicodedata

from pypinyin import Style, lazy_pinyin


def mask_identifier(value: str) -> str:
    """138****5678 for a mobile; 110***********1234 for an ID number; short values starred."""
    value = value or ""
    if len(value) <= 4:
        return "*" * len(value)
    if len(value) <= 7:
        return value[:1] + "*" * (len(value) - 3) + value[-2:]
    keep_head = 3 if len(value) <= 12 else 6
    return value[:keep_head] + "*" * (len(value) - keep_head - 4) + value[-4:]


def pinyin_initials(text: str) -> str:
    """张伟 -> zw; Latin letters kept, other characters dropped. Lower case."""
    letters = []
    for syllable in lazy_pinyin(text or "", style=Style.FIRST_LETTER, errors="default"):
        letters.extend(ch for ch in syllable.lower() if ch.isascii() and ch.isalnum())
    return "".join(letters)[:40]


def pinyin_full(text: str) -> str:
    """张伟 -> zhangwei, for typing the whole name in pinyin."""
    return "".join(lazy_pinyin(text or "", errors="ignore")).lower()[:120]


def normalise_code(value: str) -> str:
    """Upper case, full-width folded to ASCII, spaces and the plate's middle dot removed."""
    value = unicodedata.normalize("NFKC", value or "")
    return "".join(ch for ch in value.upper() if ch not in " \t·•.-")


def reverse(value: str) -> str:
    return (value or "")[::-1]
