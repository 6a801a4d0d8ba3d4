"""Family enrolment by KiTa partners: age rule, contact, consent, own KiTa only."""

from __future__ import annotations

from datetime import date

import pytest

from programmes.domain.enrolment import families
from programmes.domain.enrolment.families import ChildInput, FamilyInput, GuardianInput
from programmes.domain.enrolment.registration_mail import MailContext
from programmes.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from programmes.tables import Child, Cohort, Family, Guardian, Outbox, Registration
from programmes.vocabulary import Role
from tests.conftest import FROZEN_NOW
from tests.factories import make_rucksack_group, make_staff

MAIL = MailContext(base_url="https://programme.example.org", now=FROZEN_NOW)
FIRST_SESSION = date(2026, 12, 9)  # FROZEN_NOW + 14 days


def family(
    *,
    guardians: list[GuardianInput] | None = None,
    children: list[ChildInput] | None = None,
    method: str = "paper",
    given_on: date = date(2026, 11, 20),
) -> FamilyInput:
    return FamilyInput(
        guardians=guardians
        if guardians is not None
        else [
            GuardianInput(
                name="Amina Haddad", languages=["Arabisch", "Deutsch"], phone="0151 23456789"
            )
        ],
        children=children
        if children is not None
        else [ChildInput(first_name="Yasmin", date_of_birth=date(2021, 6, 1))],
        consent_method=method,
        consent_given_on=given_on,
    )


async def enrol(staff, cohort: int, data: FamilyInput, key: str = "k1"):  # type: ignore[no-untyped-def]
    return await families.enrol_family(
        staff=staff, cohort_id=cohort, data=data, form_key=key, notice_version="2026-09", mail=MAIL
    )


async def test_partner_enrols_a_family_with_consent_recorded() -> None:
    kita, cohort = await make_rucksack_group(capacity=1)
    partner = await make_staff(Role.partner, kita_id=kita)
    view = await enrol(
        partner,
        cohort,
        family(
            guardians=[
                GuardianInput(
                    name="فاطمة الحسن", languages=["Arabisch"], email="fatima@example.org"
                ),
                GuardianInput(name="Omar Al-Hassan", reach_via_kita=True),
            ]
        ),
    )
    assert view.status == "confirmed"
    assert [g.name for g in view.guardians] == ["فاطمة الحسن", "Omar Al-Hassan"]
    registration = (
        await Registration.select().where(Registration.id == view.registration_id).first()
    )
    assert registration is not None
    assert (registration["consent_method"], registration["consent_given_on"]) == (
        "paper",
        date(2026, 11, 20),
    )
    assert registration["consent_recorded_by"] == partner.id
    assert registration["consent_notice_version"] == "2026-09"
    mails = await Outbox.select(Outbox.to_address)
    assert mails == [{"to_address": "fatima@example.org"}]
    # capacity counts families: the next one waits
    second = await enrol(partner, cohort, family(), key="k2")
    assert second.status == "waiting" and second.waiting_position == 1


async def test_the_same_form_sent_twice_enrols_once() -> None:
    kita, cohort = await make_rucksack_group()
    partner = await make_staff(Role.partner, kita_id=kita)
    first = await enrol(partner, cohort, family(), key="form-abc")
    again = await enrol(partner, cohort, family(), key="form-abc")
    assert first.id == again.id
    assert await Family.count() == 1 and await Registration.count() == 1


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        (
            family(children=[ChildInput("Lina", date(2023, 1, 10))]),
            "children[0].date_of_birth",
            "Lina wäre",
        ),
        (
            family(children=[ChildInput("Adam", date(2019, 11, 1))]),
            "children[0].date_of_birth",
            "7 Jahre",
        ),
        (
            family(children=[ChildInput("Noah", date(2027, 1, 1))]),
            "children[0].date_of_birth",
            "Zukunft",
        ),
        (family(guardians=[]), "guardians", "mindestens einen"),
        (family(children=[]), "children", "mindestens ein Kind"),
        (family(guardians=[GuardianInput(name="Ohne Kontakt")]), "guardians[0].phone", "KiTa"),
        (
            family(guardians=[GuardianInput(name="   ", phone="0151 23456789")]),
            "guardians[0].name",
            "füllen Sie",
        ),
        (
            family(guardians=[GuardianInput(name="x" * 10_000, phone="0151 23456789")]),
            "guardians[0].name",
            "200",
        ),
        (
            family(guardians=[GuardianInput(name="A", email="a@b.example\r\nBcc: c@d.example")]),
            "guardians[0].email",
            "E-Mail",
        ),
        (family(method="online"), "consent_method", "schriftlich"),
        (family(method="telepathy"), "consent_method", "schriftlich"),
        (family(given_on=date(2027, 1, 1)), "consent_given_on", "Zukunft"),
    ],
)
async def test_bad_families_name_the_field_and_store_nothing(
    data: FamilyInput, field: str, words: str
) -> None:
    kita, cohort = await make_rucksack_group()
    partner = await make_staff(Role.partner, kita_id=kita)
    with pytest.raises(InvalidInput) as error:
        await enrol(partner, cohort, data)
    assert error.value.field == field
    assert words in error.value.translated("de")
    for table in (Family, Guardian, Child, Registration, Outbox):
        assert await table.count() == 0
    row = await Cohort.select(Cohort.seats_taken).where(Cohort.id == cohort).first()
    assert row == {"seats_taken": 0}


async def test_age_error_names_the_child_and_the_age() -> None:
    kita, cohort = await make_rucksack_group()
    partner = await make_staff(Role.partner, kita_id=kita)
    with pytest.raises(InvalidInput) as error:
        await enrol(partner, cohort, family(children=[ChildInput("Lina", date(2023, 1, 10))]))
    assert error.value.message == (
        "Lina would be 3 years old at the first session on 2026-12-09; "
        "this group is for children aged 4 to 6."
    )


async def test_partners_reach_only_their_own_kitas_families() -> None:
    kita, cohort = await make_rucksack_group()
    other_kita, other_cohort = await make_rucksack_group()
    partner = await make_staff(Role.partner, kita_id=kita)
    other_partner = await make_staff(Role.partner, kita_id=other_kita)
    view = await enrol(other_partner, other_cohort, family())
    with pytest.raises(NotFound):
        await enrol(partner, other_cohort, family(), key="x")
    with pytest.raises(NotFound):
        await families.get_family(staff=partner, family_id=view.id)
    with pytest.raises(NotFound):
        await families.withdraw_family(staff=partner, family_id=view.id, mail=MAIL)
    with pytest.raises(NotFound):
        await families.update_family(
            staff=partner, family_id=view.id, data=family(), now=FROZEN_NOW
        )
    with pytest.raises(NotFound):
        await families.list_families(staff=partner, cohort_id=other_cohort)
    assert await families.list_families(staff=partner, cohort_id=cohort) == []
    with pytest.raises(Forbidden):
        await families.list_families(staff=await make_staff(Role.trainer), cohort_id=cohort)
    coordinator = await make_staff(Role.coordinator)
    assert [
        f.id for f in await families.list_families(staff=coordinator, cohort_id=other_cohort)
    ] == [view.id]


async def test_withdrawing_frees_the_place_for_the_next_family() -> None:
    kita, cohort = await make_rucksack_group(capacity=1)
    partner = await make_staff(Role.partner, kita_id=kita)
    first = await enrol(partner, cohort, family(), key="a")
    second = await enrol(
        partner,
        cohort,
        family(guardians=[GuardianInput(name="Ayşe Yılmaz", email="ayse@example.org")]),
        key="b",
    )
    assert second.status == "waiting"
    await Outbox.delete(force=True)
    withdrawn = await families.withdraw_family(staff=partner, family_id=first.id, mail=MAIL)
    assert withdrawn.status == "cancelled"
    promoted = await families.get_family(staff=partner, family_id=second.id)
    assert promoted.status == "confirmed"
    mail = await Outbox.select().first()
    assert mail is not None and mail["to_address"] == "ayse@example.org"
    with pytest.raises(Conflict):
        await families.withdraw_family(staff=partner, family_id=first.id, mail=MAIL)


async def test_editing_a_family_checks_ages_again() -> None:
    kita, cohort = await make_rucksack_group()
    partner = await make_staff(Role.partner, kita_id=kita)
    view = await enrol(partner, cohort, family())
    changed = await families.update_family(
        staff=partner,
        family_id=view.id,
        data=family(
            children=[ChildInput("Yasmin", date(2021, 6, 1)), ChildInput("Karim", date(2022, 2, 2))]
        ),
        now=FROZEN_NOW,
    )
    assert [c.first_name for c in changed.children] == ["Yasmin", "Karim"]
    with pytest.raises(InvalidInput):
        await families.update_family(
            staff=partner,
            family_id=view.id,
            data=family(children=[ChildInput("Baby", date(2025, 1, 1))]),
            now=FROZEN_NOW,
        )
    assert [
        c.first_name for c in (await families.get_family(staff=partner, family_id=view.id)).children
    ] == ["Yasmin", "Karim"]
