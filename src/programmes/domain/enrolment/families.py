"""Families in Rucksack KiTa groups, enrolled by the partner staff of their own KiTa.

A family is one or more guardians and one or more children. Only what the group needs is
kept: guardians' names, languages and a way to reach them (phone, e-mail, or "through the
KiTa" when they have neither); children's first names and dates of birth, to check the age
rule. The parents' consent is recorded with how (paper, verbal), when, which notice, and by
whom. Partners see, change and withdraw only families of their own KiTa; anything else
answers like something that does not exist.

A family is enrolled once per KiTa: a new one whose parent or guardian has the name of one
in a family of the same KiTa (not erased) with a child born on the same day is that family,
and the partner is sent to it (`AlreadyExists` naming its id) instead of a second being
made. Names are compared as people mean them (Unicode NFKC, case and spacing ignored:
`match_name`); only the KiTa's own families are searched, so nothing of another KiTa's
families shows (enrolling the same family there works as usual). Two enrolments of the same
family at once cannot both pass: the check and the insert run in one write transaction
that first takes the KiTa's row lock (`_lock_kita`; SQLite's write transaction holds the
whole database anyway). A lock and not a unique index, because a family matches on any of
its guardians and any of its children, and the stored names stay as typed.

A withdrawal can be undone for `UNDO_DAYS` days (a family taken out by mistake, or one that
changes its mind within the first weeks): the family gets a seat again if one is free, else
the last place on the waiting list; a seat already given to the next family is not taken
back from it. A withdrawal of consent is never undone this way (the data are to be erased).
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime, timedelta
from typing import Any

import msgspec

from programmes.clock import BERLIN
from programmes.db import is_unique_violation, write_transaction
from programmes.domain import audit
from programmes.domain.access import Staff
from programmes.domain.accounts.staff_accounts import normalise_email
from programmes.domain.enrolment import registration_mail, seats
from programmes.domain.enrolment.registration_mail import MailContext
from programmes.domain.enrolment.registrations import promote_and_tell
from programmes.domain.errors import (
    N_,
    AlreadyExists,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
)
from programmes.domain.text import clean_language, clean_list, clean_phone, clean_text
from programmes.domain.types import check_day
from programmes.tables import Child, Cohort, Family, Guardian, Kita, Registration, Session
from programmes.vocabulary import (
    ConsentMethod,
    ProgrammeKind,
    PublicationStatus,
    RegistrationStatus,
    Role,
    SessionStatus,
)

MAX_GUARDIANS = 4
#: Days in which a withdrawal can be taken back from the family's page.
UNDO_DAYS = 14
MAX_CHILDREN = 6


class GuardianInput(msgspec.Struct, frozen=True):
    name: str
    languages: list[str] = msgspec.field(default_factory=list)
    phone: str = ""
    email: str = ""
    reach_via_kita: bool = False


class ChildInput(msgspec.Struct, frozen=True):
    first_name: str
    date_of_birth: date


class FamilyInput(msgspec.Struct, frozen=True):
    guardians: list[GuardianInput]
    children: list[ChildInput]
    consent_method: str
    consent_given_on: date
    language: str = "de"  # for mails to guardians with an e-mail address


class GuardianView(msgspec.Struct, frozen=True):
    name: str
    languages: list[str]
    phone: str
    email: str
    reach_via_kita: bool


class ChildView(msgspec.Struct, frozen=True):
    first_name: str
    date_of_birth: date


class FamilyView(msgspec.Struct, frozen=True):
    id: int
    kita_id: int
    registration_id: int | None
    cohort_id: int | None
    status: str | None
    waiting_position: int | None
    guardians: list[GuardianView]
    children: list[ChildView]
    consent_method: str | None
    consent_given_on: date | None
    consent_notice_version: str | None
    #: The language of mails to the family's guardians.
    language: str = "de"
    withdrawn_at: datetime | None = None  #: when the registration was cancelled
    consent_withdrawn: bool = False


class WithdrawalPreview(msgspec.Struct, frozen=True):
    """What withdrawing a family would do, for the confirmation page."""

    frees_seat: bool  #: the family holds a seat (not only a waiting place)
    promoted: int  #: families on the waiting list who would get the seat (and a mail)


def undo_deadline(family: FamilyView, now: datetime) -> datetime | None:
    """Until when the family's withdrawal can be undone, or None (not withdrawn, consent
    withdrawn, or the days have passed)."""
    if (
        family.status != RegistrationStatus.cancelled.value
        or family.withdrawn_at is None
        or family.consent_withdrawn
    ):
        return None
    deadline = family.withdrawn_at + timedelta(days=UNDO_DAYS)
    return deadline if now < deadline else None


def age_on(birthday: date, day: date) -> int:
    return day.year - birthday.year - ((day.month, day.day) < (birthday.month, birthday.day))


async def _group_for(staff: Staff, cohort_id: int) -> dict[str, Any]:
    """The Rucksack group a partner (own KiTa) or coordinator may enrol into."""
    row = (
        await Cohort.select(
            Cohort.id,
            Cohort.title,
            Cohort.kita,
            Cohort.status,
            Cohort.programme.kind.as_alias("kind"),
            Cohort.programme.min_age_years.as_alias("min_age"),
            Cohort.programme.max_age_years.as_alias("max_age"),
        )
        .where(Cohort.id == cohort_id)
        .first()
    )
    if row is None or (staff.role is Role.partner and row["kita"] != staff.kita_id):
        raise NotFound(N_("There is no cohort with id %(id)s."), field="cohort", id=cohort_id)
    if staff.role is Role.trainer:
        raise Forbidden(N_("Families are enrolled by their KiTa or the coordination."))
    if row["kind"] != ProgrammeKind.rucksack.value:
        raise Conflict(N_("Families are enrolled in Rucksack KiTa groups only."), field="cohort")
    if row["status"] in (PublicationStatus.archived.value, PublicationStatus.cancelled.value):
        raise Conflict(N_("This group is closed."), field="cohort")
    return row


async def _first_session(cohort_id: int) -> date:
    first = (
        await Session.select(Session.starts_at)
        .where((Session.cohort == cohort_id) & (Session.status == SessionStatus.scheduled.value))
        .order_by(Session.starts_at)
        .first()
    )
    if first is None:
        raise Conflict(
            N_(
                "The group has no sessions yet; plan them first, then the children's ages "
                "can be checked."
            ),
            field="cohort",
        )

    return first["starts_at"].astimezone(BERLIN).date()  # type: ignore[no-any-return]


def _checked(
    data: FamilyInput, group: dict[str, Any], first_day: date, today: date
) -> dict[str, Any]:
    if not data.guardians:
        raise InvalidInput(N_("A family needs at least one parent or guardian."), field="guardians")
    if not data.children:
        raise InvalidInput(N_("A family needs at least one child."), field="children")
    if len(data.guardians) > MAX_GUARDIANS:
        raise InvalidInput(
            N_("At most %(max)s entries, please."), field="guardians", max=MAX_GUARDIANS
        )
    if len(data.children) > MAX_CHILDREN:
        raise InvalidInput(
            N_("At most %(max)s entries, please."), field="children", max=MAX_CHILDREN
        )
    guardians = []
    for index, guardian in enumerate(data.guardians):
        prefix = f"guardians[{index}]"
        email = (
            normalise_email(guardian.email, field=f"{prefix}.email")
            if guardian.email.strip()
            else ""
        )
        phone = clean_phone(guardian.phone, field=f"{prefix}.phone")
        if not (email or phone or guardian.reach_via_kita):
            raise InvalidInput(
                N_('Give a phone number or an e-mail address, or tick "reach through the KiTa".'),
                field=f"{prefix}.phone",
            )
        guardians.append(
            {
                "name": clean_text(guardian.name, field=f"{prefix}.name", max_length=200),
                "languages": clean_list(
                    guardian.languages, field=f"{prefix}.languages", max_items=6, max_length=100
                ),
                "phone": phone,
                "email": email,
                "reach_via_kita": guardian.reach_via_kita,
            }
        )
    children = []
    for index, child in enumerate(data.children):
        prefix = f"children[{index}]"
        name = clean_text(child.first_name, field=f"{prefix}.first_name", max_length=100)
        if child.date_of_birth > today:
            raise InvalidInput(
                N_("%(child)s: the date of birth lies in the future."),
                field=f"{prefix}.date_of_birth",
                child=name,
            )
        age = age_on(child.date_of_birth, first_day)
        low, high = group["min_age"], group["max_age"]
        if (low is not None and age < low) or (high is not None and age > high):
            raise InvalidInput(
                N_(
                    "%(child)s would be %(age)s years old at the first session on %(day)s; this "
                    "group is for children aged %(low)s to %(high)s."
                ),
                field=f"{prefix}.date_of_birth",
                child=name,
                age=age,
                day=first_day.isoformat(),
                low=low if low is not None else 0,
                high=high if high is not None else "–",
            )
        check_day(child.date_of_birth, field=f"{prefix}.date_of_birth")
        children.append({"first_name": name, "date_of_birth": child.date_of_birth})
    try:
        method = ConsentMethod(data.consent_method)
    except ValueError:
        raise InvalidInput(
            N_("Record how the parents agreed: on paper or verbally."), field="consent_method"
        ) from None
    if method is ConsentMethod.online:
        raise InvalidInput(
            N_("Record how the parents agreed: on paper or verbally."), field="consent_method"
        )
    check_day(data.consent_given_on, field="consent_given_on")
    if data.consent_given_on > today:
        raise InvalidInput(N_("The consent date lies in the future."), field="consent_given_on")
    return {
        "guardians": guardians,
        "children": children,
        "method": method,
        "language": clean_language(data.language, field="language"),
    }


async def enrol_family(
    *,
    staff: Staff,
    cohort_id: int,
    data: FamilyInput,
    form_key: str,
    notice_version: str,
    mail: MailContext,
) -> FamilyView:
    """Enrol a new family into a Rucksack group: confirmed while places last (capacity counts
    families), else on the waiting list. A form sent twice (same `form_key`) enrols once."""
    now = mail.now
    group = await _group_for(staff, cohort_id)
    checked = _checked(data, group, await _first_session(cohort_id), now.date())
    key = "form:" + clean_text(form_key, field="form_key", max_length=90)
    if (existing := await _family_by_key(staff, cohort_id, key)) is not None:
        return existing
    run = await registration_mail.run_info(cohort_id, mail, languages=[checked["language"]])
    try:
        async with write_transaction():
            await _lock_kita(group["kita"])
            await _refuse_a_second_enrolment(group["kita"], checked)
            placement = await seats.place(cohort_id, 1)
            family_rows = await Family.insert(
                Family(kita=group["kita"], created_at=now, updated_at=now)
            )
            family_id = int(family_rows[0]["id"])
            await _store_members(family_id, checked)
            rows = await Registration.insert(
                Registration(
                    cohort=cohort_id,
                    family=family_id,
                    seats=1,
                    status=placement.status.value,
                    waiting_position=placement.waiting_position,
                    language=checked["language"],
                    dedupe_key=key,
                    consent_notice_version=notice_version,
                    consent_method=checked["method"].value,
                    consent_given_on=data.consent_given_on,
                    consent_recorded_by=staff.id,
                    created_at=now,
                    updated_at=now,
                )
            )
            registration_id = int(rows[0]["id"])
            await audit.record(
                actor_id=staff.id,
                action=f"family.enrolled.{placement.status.value}",
                object_type="family",
                object_id=family_id,
                now=now,
                detail={
                    "cohort": cohort_id,
                    "registration": registration_id,
                    "guardians": len(checked["guardians"]),
                    "children": len(checked["children"]),
                },
            )
            await registration_mail.send(
                "registration_confirmed.txt"
                if placement.status is RegistrationStatus.confirmed
                else "registration_waiting.txt",
                registration_id,
                mail,
                run,
                to=registration_mail.Recipient(
                    [g["email"] for g in checked["guardians"] if g["email"]], checked["language"], 1
                ),
                waiting_rank=(
                    await seats.waiting_rank(cohort_id, placement.waiting_position)
                    if placement.waiting_position is not None
                    else None
                ),
                attach_calendar=placement.status is RegistrationStatus.confirmed,
            )
    except Exception as error:
        if (
            is_unique_violation(error)
            and (existing := await _family_by_key(staff, cohort_id, key)) is not None
        ):
            return existing
        raise
    return await get_family(staff=staff, family_id=family_id)


#: Turkish I in both cases: "YILMAZ" is "Yılmaz" or "Yilmaz" (a form in capitals or typed
#: on a keyboard without ı), "İLKAY" folds to "i" with a dot above.
_TURKISH_I = str.maketrans({"ı": "i", "\u0307": None})


def match_name(name: str) -> str:
    """A name as people mean it, for finding a family again: Unicode NFKC (composed
    letters, full-width forms), case folded (the Turkish I too), runs of spaces as one."""
    folded = unicodedata.normalize("NFKC", name).casefold().translate(_TURKISH_I)
    return " ".join(unicodedata.normalize("NFC", folded).split())


async def _lock_kita(kita_id: int) -> None:
    """Take the KiTa row's write lock (PostgreSQL) for the rest of the transaction, so that
    enrolments at one KiTa check for the same family one after the other."""
    await Kita.update({Kita.name: Kita.name}).where(Kita.id == kita_id)


async def _refuse_a_second_enrolment(kita_id: int, checked: dict[str, Any]) -> None:
    """`AlreadyExists` naming the KiTa's family (not erased) that has a parent or guardian
    of one of these names and a child born on one of these days."""
    births = sorted({c["date_of_birth"] for c in checked["children"]})
    rows = await Child.select(Child.family).where(
        Child.date_of_birth.is_in(births)
        & (Child.family.kita == kita_id)
        & Child.family.anonymised_at.is_null()
    )
    candidates = sorted({r["family"] for r in rows})
    if not candidates:
        return
    names = {match_name(g["name"]): index for index, g in enumerate(checked["guardians"])}
    for guardian in (
        await Guardian.select(Guardian.family, Guardian.name)
        .where(Guardian.family.is_in(candidates))
        .order_by(Guardian.family)
    ):
        index = names.get(match_name(guardian["name"]))
        if index is not None:
            raise AlreadyExists(
                N_(
                    "This family is enrolled at this KiTa already: a parent or guardian of "
                    "this name has a child born on the same day. Open that family instead "
                    "of enrolling it a second time."
                ),
                field=f"guardians[{index}].name",
                existing={"family_id": guardian["family"]},
            )


async def _store_members(family_id: int, checked: dict[str, Any]) -> None:
    await Guardian.insert(*(Guardian(family=family_id, **g) for g in checked["guardians"]))
    await Child.insert(*(Child(family=family_id, **c) for c in checked["children"]))


async def _family_by_key(staff: Staff, cohort_id: int, key: str) -> FamilyView | None:
    row = (
        await Registration.select(Registration.family)
        .where((Registration.cohort == cohort_id) & (Registration.dedupe_key == key))
        .first()
    )
    return None if row is None else await get_family(staff=staff, family_id=row["family"])


def _family_scope(staff: Staff) -> Any:
    if staff.role is Role.coordinator:
        return None
    if staff.role is Role.partner:
        return Family.kita == staff.kita_id
    raise NotFound(N_("There is no family with id %(id)s."), field="family", id=0)


async def get_family(*, staff: Staff, family_id: int) -> FamilyView:
    views = await _family_views(staff, [family_id])
    if not views:
        raise NotFound(N_("There is no family with id %(id)s."), field="family", id=family_id)
    return views[0]


async def list_families(*, staff: Staff, cohort_id: int) -> list[FamilyView]:
    """The families of a group: coordinators all, partners their KiTa's (others: none)."""
    if staff.role is Role.trainer:
        raise Forbidden(N_("Families are enrolled by their KiTa or the coordination."))
    await _group_for(staff, cohort_id)
    rows = await Registration.select(Registration.family).where(
        (Registration.cohort == cohort_id) & Registration.family.is_not_null()
    )
    return await _family_views(staff, [r["family"] for r in rows])


async def _family_views(staff: Staff, family_ids: list[int]) -> list[FamilyView]:
    if not family_ids:
        return []
    query = Family.select(Family.id, Family.kita).where(Family.id.is_in(family_ids))
    scope = _family_scope(staff)
    if scope is not None:
        query = query.where(scope)
    families = await query
    ids = [f["id"] for f in families]
    if not ids:
        return []
    guardians: dict[int, list[GuardianView]] = {i: [] for i in ids}
    for g in await Guardian.select().where(Guardian.family.is_in(ids)).order_by(Guardian.id):
        guardians[g["family"]].append(
            GuardianView(
                g["name"], list(g["languages"] or []), g["phone"], g["email"], g["reach_via_kita"]
            )
        )
    children: dict[int, list[ChildView]] = {i: [] for i in ids}
    for c in await Child.select().where(Child.family.is_in(ids)).order_by(Child.id):
        children[c["family"]].append(ChildView(c["first_name"], c["date_of_birth"]))
    registrations = {
        r["family"]: r
        for r in await Registration.select(
            Registration.id,
            Registration.family,
            Registration.cohort,
            Registration.status,
            Registration.waiting_position,
            Registration.consent_method,
            Registration.consent_given_on,
            Registration.consent_notice_version,
            Registration.language,
            Registration.cancelled_at,
            Registration.consent_withdrawn_at,
        )
        .where(Registration.family.is_in(ids))
        .order_by(Registration.created_at)
    }
    views = []
    for family in sorted(families, key=lambda f: family_ids.index(f["id"])):
        reg = registrations.get(family["id"])
        rank = (
            await seats.waiting_rank(reg["cohort"], reg["waiting_position"])
            if reg and reg["waiting_position"] is not None
            else None
        )
        views.append(
            FamilyView(
                id=family["id"],
                kita_id=family["kita"],
                registration_id=reg["id"] if reg else None,
                cohort_id=reg["cohort"] if reg else None,
                status=reg["status"] if reg else None,
                waiting_position=rank,
                guardians=guardians[family["id"]],
                children=children[family["id"]],
                consent_method=reg["consent_method"] if reg else None,
                consent_given_on=reg["consent_given_on"] if reg else None,
                consent_notice_version=reg["consent_notice_version"] if reg else None,
                language=reg["language"] if reg else "de",
                withdrawn_at=reg["cancelled_at"] if reg else None,
                consent_withdrawn=bool(reg and reg["consent_withdrawn_at"] is not None),
            )
        )
    return views


async def update_family(
    *, staff: Staff, family_id: int, data: FamilyInput, now: datetime
) -> FamilyView:
    """Correct a family's guardians and children (ages are checked again)."""
    current = await get_family(staff=staff, family_id=family_id)
    if current.cohort_id is None:
        raise NotFound(N_("There is no family with id %(id)s."), field="family", id=family_id)
    group = await _group_for(staff, current.cohort_id)
    checked = _checked(data, group, await _first_session(current.cohort_id), now.date())
    async with write_transaction():
        await Guardian.delete().where(Guardian.family == family_id)
        await Child.delete().where(Child.family == family_id)
        await _store_members(family_id, checked)
        await Family.update({Family.updated_at: now}).where(Family.id == family_id)
        await Registration.update(
            {
                Registration.language: checked["language"],
                Registration.consent_method: checked["method"].value,
                Registration.consent_given_on: data.consent_given_on,
                Registration.consent_recorded_by: staff.id,
                Registration.updated_at: now,
            }
        ).where(Registration.id == current.registration_id)
        await audit.record(
            actor_id=staff.id,
            action="family.updated",
            object_type="family",
            object_id=family_id,
            now=now,
        )
    return await get_family(staff=staff, family_id=family_id)


async def _withdrawable(staff: Staff, family_id: int) -> FamilyView:
    current = await get_family(staff=staff, family_id=family_id)
    if current.registration_id is None or current.status == RegistrationStatus.cancelled.value:
        raise Conflict(N_("This family is not enrolled any more."), field="family")
    assert current.cohort_id is not None
    await _group_for(staff, current.cohort_id)
    return current


async def preview_withdrawal(*, staff: Staff, family_id: int) -> WithdrawalPreview:
    """What `withdraw_family` would do, checked as it checks."""
    current = await _withdrawable(staff, family_id)
    assert current.cohort_id is not None
    frees_seat = current.status == RegistrationStatus.confirmed.value
    promoted = await seats.would_promote(current.cohort_id, 1) if frees_seat else 0
    return WithdrawalPreview(frees_seat=frees_seat, promoted=promoted)


async def undo_withdrawal(*, staff: Staff, family_id: int, now: datetime) -> FamilyView:
    """Take a withdrawal back within `UNDO_DAYS` days: a free seat, else the waiting list."""
    current = await get_family(staff=staff, family_id=family_id)
    if undo_deadline(current, now) is None:
        raise Conflict(
            N_("This withdrawal can no longer be undone (only within %(days)s days)."),
            field="family",
            days=UNDO_DAYS,
        )
    assert current.cohort_id is not None
    assert current.registration_id is not None
    await _group_for(staff, current.cohort_id)
    async with write_transaction():
        await seats.lock_cohort(current.cohort_id)
        row = (
            await Registration.select(Registration.status)
            .where(Registration.id == current.registration_id)
            .first()
        )
        if row is None or row["status"] != RegistrationStatus.cancelled.value:
            raise Conflict(N_("This family is enrolled already."), field="family")
        placement = await seats.place(current.cohort_id, 1)
        await Registration.update(
            {
                Registration.status: placement.status.value,
                Registration.waiting_position: placement.waiting_position,
                Registration.cancelled_at: None,
                Registration.updated_at: now,
            }
        ).where(Registration.id == current.registration_id)
        await audit.record(
            actor_id=staff.id,
            action="family.withdrawal_undone",
            object_type="family",
            object_id=family_id,
            now=now,
            detail={"cohort": current.cohort_id, "status": placement.status.value},
        )
    return await get_family(staff=staff, family_id=family_id)


async def withdraw_family(*, staff: Staff, family_id: int, mail: MailContext) -> FamilyView:
    """Take a family out of its group; its place goes to the waiting list, in order."""
    current = await _withdrawable(staff, family_id)
    assert current.cohort_id is not None
    run = await registration_mail.run_info(current.cohort_id, mail)
    async with write_transaction():
        await seats.lock_cohort(current.cohort_id)
        reg = (
            await Registration.select(Registration.status)
            .where(Registration.id == current.registration_id)
            .first()
        )
        assert reg is not None
        if reg["status"] == RegistrationStatus.confirmed.value:
            await seats.release(current.cohort_id, 1)
        await Registration.update(
            {
                Registration.status: RegistrationStatus.cancelled.value,
                Registration.waiting_position: None,
                Registration.cancelled_at: mail.now,
                Registration.updated_at: mail.now,
            }
        ).where(Registration.id == current.registration_id)
        await audit.record(
            actor_id=staff.id,
            action="family.withdrawn",
            object_type="family",
            object_id=family_id,
            now=mail.now,
            detail={"cohort": current.cohort_id},
        )
        await promote_and_tell(current.cohort_id, run, mail, actor_id=staff.id)
    return await get_family(staff=staff, family_id=family_id)
