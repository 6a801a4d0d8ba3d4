"""Checking free text from people before it is stored.

Names and places come in every script (Arabic, Cyrillic, Turkish, combining marks) and must
round-trip exactly, so text is only trimmed, never "normalised". What is refused: NUL and
other control characters (line breaks only where a field allows several lines), lone
surrogates (not storable as UTF-8), text made only of spaces or of invisible format
characters (a name that is nothing but a bidi override or a zero-width space shows as
nothing), and text over the field's limit. A line break is any of CR, LF, NEL (U+0085), and
the line and paragraph separators (U+2028, U+2029), as Python's `splitlines` and many
editors read them; where several lines are allowed each becomes LF. Bidirectional controls
are kept; pages render names isolated (`<bdi>`).

Phone numbers are the exception: they are stored in one form, E.164 (`clean_phone`). So are
the languages we write to people in: one of the offered codes (`clean_language`).
"""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

from programmes.domain.errors import N_, InvalidInput
from programmes.i18n import LANGUAGE_NAMES, LANGUAGES

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LINE_BREAK = re.compile(r"[\r\n\x85\u2028\u2029]")
#: Line breaks other than LF, as they are stored in a field of several lines.
_OTHER_BREAK = re.compile(r"\r\n?|[\x85\u2028\u2029]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
#: Unicode categories that show nothing: format characters (bidi controls, zero-width
#: spaces and joiners) and separators.
_INVISIBLE = frozenset({"Cf", "Zs", "Zl", "Zp"})


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
    if text and not any(unicodedata.category(c) not in _INVISIBLE for c in text):
        text = ""  # only format characters: nothing anybody could read
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


#: What may stand in a phone number besides digits of any script: spaces (any kind), the
#: plus sign, brackets ("+49 (0)151 ..."), slashes, dots and dashes (any kind).
_PHONE_SIGNS = frozenset(" +()/.-\u2010\u2011\u2012\u2013\u2014\u2212")
#: Where a number without a country code is read (German numbers are typed as 0151 ...).
PHONE_REGION = "DE"
#: Enough for any number with its separators ("+49 (0) 2366 / 12 34 56 - 78").
MAX_PHONE_LENGTH = 50


def clean_phone(value: str | None, *, field: str) -> str:
    """A phone number in E.164 form ("+4915123456789"), or "" when none was given.

    The one phone rule of public registrations and families. People type numbers as they
    know them: "0151 23456789", "+49 (0)151 2345-6789", with Arabic-Indic or other digits;
    each is read with German numbers as the default (`PHONE_REGION`) and stored in one
    international form, so the same number is always the same text (calls from abroad, a
    family found again, exports alike). Letters (no vanity numbers) and numbers that
    cannot exist (too long, too short, an unknown area) are refused naming `field`.
    """
    text = clean_text(value, field=field, max_length=MAX_PHONE_LENGTH, required=False)
    if not text:
        return ""
    typed = []
    for char in text:
        if char.isdecimal():
            typed.append(str(unicodedata.decimal(char)))
        elif char in _PHONE_SIGNS or unicodedata.category(char) == "Zs":
            typed.append(" " if unicodedata.category(char) == "Zs" else char)
        else:
            raise InvalidInput(
                N_("A phone number has digits, spaces and + - / ( ) only."), field=field
            )
    try:
        number = phonenumbers.parse("".join(typed), PHONE_REGION)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise InvalidInput(
            N_(
                "This is not a valid phone number. Please enter it with its area code, "
                "e.g. 0151 23456789 or +49 151 23456789."
            ),
            field=field,
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def clean_language(value: str | None, *, field: str) -> str:
    """The code of a language we write in (`programmes.i18n.LANGUAGES`: "de", "en"), as
    stored for a registration's, a person's or a family's mails.

    The one rule wherever such a language is stored. Case and surrounding spaces do not
    matter; anything else that is not an offered code (an unknown code, "english", text
    with control characters) is refused naming `field`, never silently read as German:
    a family would get mails in a language nobody chose. (A page's `?lang=` is another
    thing: it only picks how one page is shown and falls back to German.)
    """
    code = clean_text(value, field=field, max_length=20).lower()
    if code not in LANGUAGES:
        raise InvalidInput(
            N_("Unknown language for our e-mails; choose one of: %(offered)s."),
            field=field,
            offered=", ".join(f"{c} ({LANGUAGE_NAMES[c]})" for c in LANGUAGES),
        )
    return code
