"""The one phone rule (kernel `text.clean_phone`: E.164, German numbers by default), used
by public registrations and by families, and the one seats rule of registration forms
(`web.forms.seats_asked`)."""

from __future__ import annotations

import pytest
from litestar.datastructures import FormMultiDict

from programmes.domain.errors import InvalidInput
from programmes.domain.text import clean_phone
from programmes.web.forms import seats_asked


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("", ""),
        ("   ", ""),
        ("0151 23456789", "+4915123456789"),
        ("0151/2345-6789", "+4915123456789"),
        ("+49 (0)151 2345 6789", "+4915123456789"),
        ("+49 (0) 2366/12-34", "+4923661234"),
        ("0049 151 23456789", "+4915123456789"),
        ("(02366) 12345", "+49236612345"),
        ("٠١٥١ ٢٣٤٥٦٧٨٩", "+4915123456789"),  # Arabic-Indic digits
        ("۰۱۵۱ ۲۳۴۵۶۷۸۹", "+4915123456789"),  # Persian digits
        ("０１５１　２３４５６７８９", "+4915123456789"),  # full-width digits and space
        ("0151\u00a02345\u20136789", "+4915123456789"),  # no-break space, en dash
        ("+90 532 123 45 67", "+905321234567"),  # a Turkish mobile number
    ],
)
def test_a_phone_number_is_stored_in_one_international_form(typed: str, stored: str) -> None:
    assert clean_phone(typed, field="guardians[0].phone") == stored


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("0151 ABC", "nur aus Ziffern"),  # letters: no vanity numbers
        ("0800 FLOWERS", "nur aus Ziffern"),
        ("0151;1234", "nur aus Ziffern"),
        ("0151\n23456789", "nicht erlaubt"),
        ("1" * 40, "keine gültige Telefonnummer"),
        ("1" * 51, "50 Zeichen"),
        ("0151", "keine gültige Telefonnummer"),
        ("0157 111", "keine gültige Telefonnummer"),
        ("+", "keine gültige Telefonnummer"),
        ("+49 000 000", "keine gültige Telefonnummer"),
    ],
)
def test_a_phone_number_that_cannot_exist_is_refused_naming_its_field(
    typed: str, message: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        clean_phone(typed, field="guardians[1].phone")
    assert refused.value.field == "guardians[1].phone"
    assert message in refused.value.translated("de")


@pytest.mark.parametrize(("typed", "asked"), [("", 1), ("0", 0), ("2", 2), ("2000", 2000)])
def test_the_form_passes_any_whole_number_of_seats_to_the_domain(typed: str, asked: int) -> None:
    assert seats_asked(FormMultiDict({"seats": typed})) == asked
