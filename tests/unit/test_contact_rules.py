"""The one phone rule (kernel `text.clean_phone`), used by public registrations and by
families, and the one seats rule of registration forms (`web.forms.seats_asked`)."""

from __future__ import annotations

import pytest
from litestar.datastructures import FormMultiDict

from programmes.domain.errors import InvalidInput
from programmes.domain.text import clean_phone
from programmes.web.forms import seats_asked


@pytest.mark.parametrize(
    ("typed", "kept"),
    [("", ""), ("0151 1234567", "0151 1234567"), ("+49 (0) 2366/12-34", "+49 (0) 2366/12-34")],
)
def test_a_phone_number_is_kept_as_typed(typed: str, kept: str) -> None:
    assert clean_phone(typed, field="guardians[0].phone") == kept


@pytest.mark.parametrize("typed", ["0151 ABC", "0151;1234", "1" * 51, "0151\n1234"])
def test_a_phone_number_with_other_signs_is_refused_naming_its_field(typed: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        clean_phone(typed, field="guardians[1].phone")
    assert refused.value.field == "guardians[1].phone"


@pytest.mark.parametrize(("typed", "asked"), [("", 1), ("0", 0), ("2", 2), ("2000", 2000)])
def test_the_form_passes_any_whole_number_of_seats_to_the_domain(typed: str, asked: int) -> None:
    assert seats_asked(FormMultiDict({"seats": typed})) == asked
