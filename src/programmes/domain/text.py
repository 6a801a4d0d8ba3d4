"""Checking free text from people before it is stored.

Names and places come in every script (Arabic, Cyrillic, Turkish, combining marks) and must
round-trip exactly, so text is only trimmed, never "normalised". What is refused: NUL and
other control characters (line breaks only where a field allows several lines), lone
surrogates (not storable as UTF-8), text made only of spaces, and text over the field's
limit. A line break is any of CR, LF, NEL (U+0085), and the line and paragraph separators
(U+2028, U+2029), as Python's `splitlines` and many editors read them; where several lines
are allowed each becomes LF. Bidirectional controls are kept; pages render names isolated
(`<bdi>`).
"""

from __future__ import annotations

import re

from programmes.domain.errors import N_, InvalidInput

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAK = re.compile(r"[\r\n\x85\u2028\u2029]")
#: Line breaks other than LF, as they are stored in a field of several lines.
_OTHER_BREAK = re.compile(r"\r\n?|[\x85\u2028\u2029]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean_text(
    value: str | None,
    *,
    field: str,
    max_length: int,
    required: bool = True,
    multiline: bool = False,
) -> str:
    """The trimmed text, or `InvalidInput` naming `field`."""
    text = (value or "").strip()
    if multiline:
        text = _OTHER_BREAK.sub("\n", text)
    if _CONTROL.search(text) or (not multiline and _LINE_BREAK.search(text)):
        raise InvalidInput(N_("Contains characters that are not allowed."), field=field)
    if _SURROGATE.search(text):
        raise InvalidInput(N_("Contains characters that are not allowed."), field=field)
    if required and not text:
        raise InvalidInput(N_("Please fill in this field."), field=field)
    if len(text) > max_length:
        raise InvalidInput(N_("At most %(max)s characters, please."), field=field, max=max_length)
    return text


def clean_list(
    values: list[str] | None, *, field: str, max_items: int, max_length: int
) -> list[str]:
    """A list of short texts (themes, languages): each checked, empty entries dropped."""
    items = [
        clean_text(v, field=field, max_length=max_length, required=False) for v in values or []
    ]
    items = [item for item in items if item]
    if len(items) > max_items:
        raise InvalidInput(N_("At most %(max)s entries, please."), field=field, max=max_items)
    return items


def clean_phone(value: str, *, field: str) -> str:
    """A phone number as typed (or empty): digits, spaces and + - / ( ) only, at most 50
    characters. The one phone rule of public registrations and families."""
    phone = clean_text(value, field=field, max_length=50, required=False)
    if phone and not all(c.isdigit() or c in " +-/()" for c in phone):
        raise InvalidInput(N_("A phone number has digits, spaces and + - / ( ) only."), field=field)
    return phone
