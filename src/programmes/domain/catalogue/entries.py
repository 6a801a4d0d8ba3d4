"""What the office offers and where: KiTas, programmes and cohorts (runs).

Coordinators create, edit, publish, unpublish and archive them. Partners see the cohorts at
their KiTa, trainers the cohorts they lead (read only). Views are msgspec Structs that the
API returns as they are and templates read by attribute.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import msgspec

from programmes.db import write_transaction
from programmes.domain import audit
from programmes.domain.access import Staff, check_cohort_visible, require_coordinator, visible
from programmes.domain.catalogue import places
from programmes.domain.catalogue import translations as texts
from programmes.domain.errors import N_, Conflict, InvalidInput, NotFound
from programmes.domain.text import clean_list, clean_text
from programmes.domain.types import Id, check_instant
from programmes.tables import Account, Cohort, CohortTrainer, Kita, Programme, Session
from programmes.vocabulary import ProgrammeKind, PublicationStatus, Role

#: The 12 themes of the Rucksack KiTa material, in teaching order: a new Rucksack programme
#: starts with them when no themes are given (the demo data uses them too; their one home).
RUCKSACK_THEMES = (
    "Der Körper",
    "Die Kleidung",
    "Die Kindertageseinrichtung",
    "Die Gruppe",
    "Draußen spielen",
    "Die Bewegung",
    "Zu Hause",
    "Essen und Trinken",
    "Die Familie",
    "Unterwegs",
    "Die Tiere",
    "Medienerziehung",
)
MAX_THEMES = 40
MAX_CAPACITY = 1000
MAX_SEATS_PER_REGISTRATION = 50


class KitaView(msgspec.Struct, frozen=True):
    id: int
    name: str
    address: str
    archived: bool


class ProgrammeView(msgspec.Struct, frozen=True):
    id: int
    kind: str
    title: str
    title_en: str
    summary: str
    summary_en: str
    audience: str
    cost: str
    is_public: bool
    status: str
    min_age_years: int | None
    max_age_years: int | None
    certificate_threshold_percent: int
    themes: list[str]
    #: Title and summary in further languages (`catalogue/translations.py`).
    translations: dict[str, dict[str, str]] = msgspec.field(default_factory=dict)


class TrainerRef(msgspec.Struct, frozen=True):
    id: int
    name: str


class CohortView(msgspec.Struct, frozen=True):
    id: int
    programme_id: int
    programme_title: str
    kind: str
    kita_id: int | None
    kita_name: str | None
    title: str
    language: str
    location: str
    place_id: int | None
    capacity: int | None
    seats_taken: int
    max_seats_per_registration: int
    registration_opens_at: datetime | None
    registration_closes_at: datetime | None
    status: str
    trainers: list[TrainerRef]
    sessions: int
    first_session_at: datetime | None
    last_session_at: datetime | None
    #: The programme's status: a published run of a draft programme is still seen by staff
    #: only, so pages and API clients can offer to publish the programme as well.
    programme_status: str
    #: The title in other languages: {"en": {"title": …}, …}.
    translations: dict[str, dict[str, str]] = msgspec.field(default_factory=dict)


# --------------------------------------------------------------------------- trainers


async def list_trainers(*, staff: Staff) -> list[TrainerRef]:
    """Active trainer accounts, for choosing a cohort's facilitators (coordinators only)."""
    require_coordinator(staff)
    rows = (
        await Account.select(Account.id, Account.first_name)
        .where(
            (Account.role == Role.trainer.value) & (Account.active == True)  # noqa: E712
        )
        .order_by(Account.first_name)
    )
    return [TrainerRef(id=row["id"], name=row["first_name"] or "") for row in rows]


# --------------------------------------------------------------------------- KiTas


async def create_kita(*, staff: Staff, name: str, address: str = "", now: datetime) -> KitaView:
    require_coordinator(staff)
    name = clean_text(name, field="name", max_length=200)
    address = clean_text(address, field="address", max_length=300, required=False)
    async with write_transaction():
        if await Kita.exists().where(Kita.name == name):
            raise Conflict(N_("A KiTa with this name exists already."), field="name")
        rows = await Kita.insert(Kita(name=name, address=address, created_at=now))
        kita_id = int(rows[0]["id"])
        await audit.record(
            actor_id=staff.id, action="kita.created", object_type="kita", object_id=kita_id, now=now
        )
    return KitaView(id=kita_id, name=name, address=address, archived=False)


async def update_kita(
    *, staff: Staff, kita_id: int, name: str, address: str = "", now: datetime
) -> KitaView:
    require_coordinator(staff)
    name = clean_text(name, field="name", max_length=200)
    address = clean_text(address, field="address", max_length=300, required=False)
    async with write_transaction():
        await _existing_kita(kita_id)
        if await Kita.exists().where((Kita.name == name) & (Kita.id != kita_id)):
            raise Conflict(N_("A KiTa with this name exists already."), field="name")
        await Kita.update({Kita.name: name, Kita.address: address}).where(Kita.id == kita_id)
        await audit.record(
            actor_id=staff.id, action="kita.updated", object_type="kita", object_id=kita_id, now=now
        )
    return await get_kita(staff=staff, kita_id=kita_id)


async def archive_kita(*, staff: Staff, kita_id: int, now: datetime) -> KitaView:
    require_coordinator(staff)
    async with write_transaction():
        await _existing_kita(kita_id)
        await Kita.update({Kita.archived_at: now}).where(Kita.id == kita_id)
        await audit.record(
            actor_id=staff.id,
            action="kita.archived",
            object_type="kita",
            object_id=kita_id,
            now=now,
        )
    return await get_kita(staff=staff, kita_id=kita_id)


async def list_kitas(*, staff: Staff, include_archived: bool = False) -> list[KitaView]:
    query = Kita.select(Kita.id, Kita.name, Kita.address, Kita.archived_at).order_by(Kita.name)
    if staff.role is Role.partner:
        query = query.where(Kita.id == staff.kita_id)
    elif staff.role is Role.trainer:
        led = visible(Cohort.select(Cohort.kita), staff)
        query = query.where(Kita.id.is_in(led))
    if not include_archived:
        query = query.where(Kita.archived_at.is_null())
    return [_kita_view(row) for row in await query]


async def get_kita(*, staff: Staff, kita_id: int) -> KitaView:
    for kita in await list_kitas(staff=staff, include_archived=True):
        if kita.id == kita_id:
            return kita
    raise NotFound(N_("There is no KiTa with id %(id)s."), field="kita", id=kita_id)


async def _existing_kita(kita_id: int) -> None:
    if not await Kita.exists().where(Kita.id == kita_id):
        raise NotFound(N_("There is no KiTa with id %(id)s."), field="kita", id=kita_id)


def _kita_view(row: dict[str, Any]) -> KitaView:
    return KitaView(
        id=row["id"],
        name=row["name"],
        address=row["address"],
        archived=row["archived_at"] is not None,
    )


# --------------------------------------------------------------------------- programmes


class ProgrammeInput(msgspec.Struct, frozen=True):
    """What a coordinator enters for a programme (the API body and the page form)."""

    kind: str
    title: str
    title_en: str = ""
    summary: str = ""
    summary_en: str = ""
    audience: str = ""
    cost: str = ""
    is_public: bool = False
    min_age_years: int | None = None
    max_age_years: int | None = None
    certificate_threshold_percent: int = 75
    themes: list[str] | None = None
    #: Title and summary in languages other than German and English:
    #: {"tr": {"title": …, "summary": …}, "ar": {…}}.
    translations: dict[str, dict[str, str]] | None = None


def _checked_programme(data: ProgrammeInput) -> dict[Any, Any]:
    try:
        kind = ProgrammeKind(data.kind)
    except ValueError:
        allowed = ", ".join(k.value for k in ProgrammeKind)
        raise InvalidInput(
            N_("Kind must be one of %(allowed)s."), field="kind", allowed=allowed
        ) from None
    if kind is ProgrammeKind.rucksack and data.is_public:
        raise InvalidInput(
            N_("Rucksack KiTa groups are internal: families are enrolled by their KiTa."),
            field="is_public",
        )
    for field, value in (
        ("min_age_years", data.min_age_years),
        ("max_age_years", data.max_age_years),
    ):
        if value is not None and not 0 <= value <= 120:
            raise InvalidInput(N_("An age between 0 and 120, please."), field=field)
    if (
        data.min_age_years is not None
        and data.max_age_years is not None
        and data.min_age_years > data.max_age_years
    ):
        raise InvalidInput(
            N_("The lowest age must not be above the highest age."), field="max_age_years"
        )
    if not 1 <= data.certificate_threshold_percent <= 100:
        raise InvalidInput(
            N_("A percentage between 1 and 100, please."), field="certificate_threshold_percent"
        )
    themes = clean_list(data.themes, field="themes", max_items=MAX_THEMES, max_length=200)
    if data.themes is None and kind is ProgrammeKind.rucksack:
        themes = list(RUCKSACK_THEMES)
    return {
        Programme.kind: kind.value,
        Programme.title: clean_text(data.title, field="title", max_length=200),
        Programme.title_en: clean_text(
            data.title_en, field="title_en", max_length=200, required=False
        ),
        Programme.summary: clean_text(
            data.summary, field="summary", max_length=5000, required=False, multiline=True
        ),
        Programme.summary_en: clean_text(
            data.summary_en, field="summary_en", max_length=5000, required=False, multiline=True
        ),
        Programme.audience: clean_text(
            data.audience, field="audience", max_length=1000, required=False, multiline=True
        ),
        Programme.cost: clean_text(data.cost, field="cost", max_length=200, required=False),
        Programme.is_public: data.is_public,
        Programme.min_age_years: data.min_age_years,
        Programme.max_age_years: data.max_age_years,
        Programme.certificate_threshold_percent: data.certificate_threshold_percent,
        Programme.themes: themes,
        Programme.translations: texts.stored(
            texts.checked(
                data.translations,
                languages=texts.PROGRAMME_JSON_LANGUAGES,
                fields={"title": texts.MAX_TITLE, "summary": texts.MAX_SUMMARY},
            )
        ),
    }


async def create_programme(*, staff: Staff, data: ProgrammeInput, now: datetime) -> ProgrammeView:
    require_coordinator(staff)
    values = _checked_programme(data)
    async with write_transaction():
        row = Programme(
            **{column._meta.name: value for column, value in values.items()},
            status=PublicationStatus.draft.value,
            created_at=now,
            updated_at=now,
        )
        rows = await Programme.insert(row)
        programme_id = int(rows[0]["id"])
        await audit.record(
            actor_id=staff.id,
            action="programme.created",
            object_type="programme",
            object_id=programme_id,
            now=now,
        )
    return await get_programme(staff=staff, programme_id=programme_id)


async def update_programme(
    *, staff: Staff, programme_id: int, data: ProgrammeInput, now: datetime
) -> ProgrammeView:
    require_coordinator(staff)
    values = _checked_programme(data)
    async with write_transaction():
        current = await _programme_row(programme_id)
        if current["status"] == PublicationStatus.archived.value:
            raise Conflict(N_("An archived programme cannot be changed."), field="status")
        if values[Programme.kind] != current["kind"] and await Cohort.exists().where(
            Cohort.programme == programme_id
        ):
            raise Conflict(
                N_("The kind cannot change once the programme has cohorts."), field="kind"
            )
        await Programme.update({**values, Programme.updated_at: now}).where(
            Programme.id == programme_id
        )
        await audit.record(
            actor_id=staff.id,
            action="programme.updated",
            object_type="programme",
            object_id=programme_id,
            now=now,
        )
    return await get_programme(staff=staff, programme_id=programme_id)


_PROGRAMME_TRANSITIONS = {
    "publish": ({PublicationStatus.draft}, PublicationStatus.published),
    "unpublish": ({PublicationStatus.published}, PublicationStatus.draft),
    "archive": ({PublicationStatus.draft, PublicationStatus.published}, PublicationStatus.archived),
}


async def change_programme_status(
    *, staff: Staff, programme_id: int, action: str, now: datetime
) -> ProgrammeView:
    """publish, unpublish or archive a programme."""
    require_coordinator(staff)
    allowed_from, target = _transition(_PROGRAMME_TRANSITIONS, action)
    async with write_transaction():
        current = PublicationStatus((await _programme_row(programme_id))["status"])
        _check_transition(current, allowed_from, target)
        await Programme.update({Programme.status: target.value, Programme.updated_at: now}).where(
            Programme.id == programme_id
        )
        await audit.record(
            actor_id=staff.id,
            action=f"programme.{action}",
            object_type="programme",
            object_id=programme_id,
            now=now,
            detail={"from": current.value, "to": target.value},
        )
    return await get_programme(staff=staff, programme_id=programme_id)


async def list_programmes(*, staff: Staff, include_archived: bool = False) -> list[ProgrammeView]:
    query = Programme.select().order_by(Programme.title)
    if staff.role is not Role.coordinator:
        query = query.where(Programme.id.is_in(visible(Cohort.select(Cohort.programme), staff)))
    if not include_archived:
        query = query.where(Programme.status != PublicationStatus.archived.value)
    return [_programme_view(row) for row in await query]


async def get_programme(*, staff: Staff, programme_id: int) -> ProgrammeView:
    query = Programme.select().where(Programme.id == programme_id)
    if staff.role is not Role.coordinator:
        query = query.where(Programme.id.is_in(visible(Cohort.select(Cohort.programme), staff)))
    row = await query.first()
    if row is None:
        raise NotFound(
            N_("There is no programme with id %(id)s."), field="programme", id=programme_id
        )
    return _programme_view(row)


async def _programme_row(programme_id: int) -> dict[str, Any]:
    row = await Programme.select().where(Programme.id == programme_id).first()
    if row is None:
        raise NotFound(
            N_("There is no programme with id %(id)s."), field="programme", id=programme_id
        )
    return row


def _programme_view(row: dict[str, Any]) -> ProgrammeView:
    return ProgrammeView(
        id=row["id"],
        kind=row["kind"],
        title=row["title"],
        title_en=row["title_en"],
        summary=row["summary"],
        summary_en=row["summary_en"],
        audience=row["audience"],
        cost=row["cost"],
        is_public=row["is_public"],
        status=row["status"],
        min_age_years=row["min_age_years"],
        max_age_years=row["max_age_years"],
        certificate_threshold_percent=row["certificate_threshold_percent"],
        themes=list(row["themes"] or []),
        translations=texts.parse(row.get("translations")),
    )


# --------------------------------------------------------------------------- cohorts


class CohortInput(msgspec.Struct, frozen=True):
    """What a coordinator enters for a cohort or run."""

    programme_id: Id
    title: str
    kita_id: Id | None = None
    language: str = "Deutsch"
    location: str = ""  # free text; with `place_id` the place's label instead
    capacity: int | None = None
    max_seats_per_registration: int = 1
    registration_opens_at: datetime | None = None
    registration_closes_at: datetime | None = None
    trainer_ids: list[Id] = msgspec.field(default_factory=list)
    #: The title in other languages: {"en": {"title": …}, "tr": {…}, …}.
    translations: dict[str, dict[str, str]] | None = None
    place_id: Id | None = None  # where it meets (`catalogue.places`)


async def _checked_cohort(data: CohortInput) -> dict[Any, Any]:
    programme = await _programme_row(data.programme_id)
    kind = ProgrammeKind(programme["kind"])
    if kind is ProgrammeKind.rucksack and data.kita_id is None:
        raise InvalidInput(N_("A Rucksack KiTa group needs its KiTa."), field="kita_id")
    if data.kita_id is not None:
        await _existing_kita(data.kita_id)
    if data.capacity is not None and not 0 <= data.capacity <= MAX_CAPACITY:
        raise InvalidInput(
            N_("Capacity must be between 0 and %(max)s."), field="capacity", max=MAX_CAPACITY
        )
    if not 1 <= data.max_seats_per_registration <= MAX_SEATS_PER_REGISTRATION:
        raise InvalidInput(
            N_("Seats per registration must be between 1 and %(max)s."),
            field="max_seats_per_registration",
            max=MAX_SEATS_PER_REGISTRATION,
        )
    if kind is ProgrammeKind.rucksack and data.max_seats_per_registration != 1:
        raise InvalidInput(
            N_("A Rucksack KiTa group counts families: one place per registration."),
            field="max_seats_per_registration",
        )
    for field, value in (
        ("registration_opens_at", data.registration_opens_at),
        ("registration_closes_at", data.registration_closes_at),
    ):
        if value is not None:
            check_instant(value, field=field)
    if (
        data.registration_opens_at
        and data.registration_closes_at
        and data.registration_closes_at <= data.registration_opens_at
    ):
        raise InvalidInput(
            N_("Registration must close after it opens."), field="registration_closes_at"
        )
    await _check_trainers(data.trainer_ids)
    if data.place_id is not None:
        location = (await places.get_place(place_id=data.place_id)).label
    else:
        location = clean_text(data.location, field="location", max_length=300, required=False)
    return {
        Cohort.place: data.place_id,
        Cohort.location: location,
        Cohort.programme: data.programme_id,
        Cohort.kita: data.kita_id,
        Cohort.title: clean_text(data.title, field="title", max_length=200),
        Cohort.translations: texts.stored(
            texts.checked(
                data.translations, languages=texts.TRANSLATED, fields={"title": texts.MAX_TITLE}
            )
        ),
        Cohort.language: clean_text(
            data.language, field="language", max_length=100, required=False
        ),
        Cohort.capacity: data.capacity,
        Cohort.max_seats_per_registration: data.max_seats_per_registration,
        Cohort.registration_opens_at: data.registration_opens_at,
        Cohort.registration_closes_at: data.registration_closes_at,
    }


async def _check_trainers(trainer_ids: Sequence[int]) -> None:
    if len(set(trainer_ids)) != len(trainer_ids):
        raise InvalidInput(N_("A trainer is named twice."), field="trainer_ids")
    if len(trainer_ids) > 10:
        raise InvalidInput(N_("At most %(max)s entries, please."), field="trainer_ids", max=10)
    if not trainer_ids:
        return
    rows = await Account.select(Account.id).where(
        Account.id.is_in(list(trainer_ids))
        & (Account.role == Role.trainer.value)
        & (Account.active == True)  # noqa: E712 (SQL comparison)
    )
    missing = set(trainer_ids) - {row["id"] for row in rows}
    if missing:
        raise NotFound(
            N_("There is no active trainer with id %(id)s."),
            field="trainer_ids",
            id=min(missing),
        )


async def create_cohort(*, staff: Staff, data: CohortInput, now: datetime) -> CohortView:
    require_coordinator(staff)
    async with write_transaction():
        values = await _checked_cohort(data)
        cohort = Cohort(
            **{column._meta.name: value for column, value in values.items()},
            seats_taken=0,
            status=PublicationStatus.draft.value,
            created_at=now,
            updated_at=now,
        )
        rows = await Cohort.insert(cohort)
        cohort_id = int(rows[0]["id"])
        await _set_trainers(cohort_id, data.trainer_ids)
        await audit.record(
            actor_id=staff.id,
            action="cohort.created",
            object_type="cohort",
            object_id=cohort_id,
            now=now,
        )
    return await get_cohort(staff=staff, cohort_id=cohort_id)


async def update_cohort(
    *, staff: Staff, cohort_id: int, data: CohortInput, now: datetime
) -> CohortView:
    require_coordinator(staff)
    async with write_transaction():
        current = await _cohort_row(cohort_id)
        if current["status"] == PublicationStatus.archived.value:
            raise Conflict(N_("An archived cohort cannot be changed."), field="status")
        values = await _checked_cohort(data)
        if data.programme_id != current["programme"]:
            raise Conflict(N_("A cohort cannot move to another programme."), field="programme_id")
        if data.capacity is not None and data.capacity < current["seats_taken"]:
            raise Conflict(
                N_("%(taken)s places are taken already; the capacity cannot be lower."),
                field="capacity",
                taken=current["seats_taken"],
            )
        await Cohort.update({**values, Cohort.updated_at: now}).where(Cohort.id == cohort_id)
        await _set_trainers(cohort_id, data.trainer_ids)
        await audit.record(
            actor_id=staff.id,
            action="cohort.updated",
            object_type="cohort",
            object_id=cohort_id,
            now=now,
        )
    return await get_cohort(staff=staff, cohort_id=cohort_id)


async def _set_trainers(cohort_id: int, trainer_ids: Sequence[int]) -> None:
    await CohortTrainer.delete().where(CohortTrainer.cohort == cohort_id)
    if trainer_ids:
        await CohortTrainer.insert(
            *(CohortTrainer(cohort=cohort_id, trainer=trainer_id) for trainer_id in trainer_ids)
        )


_COHORT_TRANSITIONS = {
    "publish": ({PublicationStatus.draft}, PublicationStatus.published),
    "unpublish": ({PublicationStatus.published}, PublicationStatus.draft),
    "archive": (
        {PublicationStatus.draft, PublicationStatus.published, PublicationStatus.cancelled},
        PublicationStatus.archived,
    ),
}


async def change_cohort_status(
    *, staff: Staff, cohort_id: int, action: str, now: datetime
) -> CohortView:
    """publish, unpublish or archive a cohort."""
    require_coordinator(staff)
    allowed_from, target = _transition(_COHORT_TRANSITIONS, action)
    async with write_transaction():
        current = PublicationStatus((await _cohort_row(cohort_id))["status"])
        _check_transition(current, allowed_from, target)
        await Cohort.update({Cohort.status: target.value, Cohort.updated_at: now}).where(
            Cohort.id == cohort_id
        )
        await audit.record(
            actor_id=staff.id,
            action=f"cohort.{action}",
            object_type="cohort",
            object_id=cohort_id,
            now=now,
            detail={"from": current.value, "to": target.value},
        )
    return await get_cohort(staff=staff, cohort_id=cohort_id)


def _transition(
    transitions: dict[str, tuple[set[PublicationStatus], PublicationStatus]], action: str
) -> tuple[set[PublicationStatus], PublicationStatus]:
    if action not in transitions:
        allowed = ", ".join(transitions)
        raise InvalidInput(
            N_("Action must be one of %(allowed)s."), field="action", allowed=allowed
        )
    return transitions[action]


def _check_transition(
    current: PublicationStatus, allowed_from: set[PublicationStatus], target: PublicationStatus
) -> None:
    if current not in allowed_from:
        raise Conflict(
            N_("This is %(current)s; it cannot become %(target)s."),
            field="status",
            current=current.value,
            target=target.value,
        )


async def list_cohorts(
    *,
    staff: Staff,
    programme_id: int | None = None,
    kita_id: int | None = None,
    include_archived: bool = False,
) -> list[CohortView]:
    query = visible(Cohort.select(*_COHORT_COLUMNS), staff).order_by(Cohort.title)
    if programme_id is not None:
        query = query.where(Cohort.programme == programme_id)
    if kita_id is not None:
        query = query.where(Cohort.kita == kita_id)
    if not include_archived:
        query = query.where(Cohort.status != PublicationStatus.archived.value)
    return await _cohort_views(await query)


async def get_cohort(*, staff: Staff, cohort_id: int) -> CohortView:
    await check_cohort_visible(staff, cohort_id)
    rows = await Cohort.select(*_COHORT_COLUMNS).where(Cohort.id == cohort_id)
    return (await _cohort_views(rows))[0]


_COHORT_COLUMNS = (
    Cohort.id,
    Cohort.programme,
    Cohort.programme.title.as_alias("programme_title"),
    Cohort.programme.kind.as_alias("kind"),
    Cohort.programme.status.as_alias("programme_status"),
    Cohort.kita,
    Cohort.kita.name.as_alias("kita_name"),
    Cohort.title,
    Cohort.translations,
    Cohort.language,
    Cohort.location,
    Cohort.place,
    Cohort.capacity,
    Cohort.seats_taken,
    Cohort.max_seats_per_registration,
    Cohort.registration_opens_at,
    Cohort.registration_closes_at,
    Cohort.status,
)


async def _cohort_views(rows: list[dict[str, Any]]) -> list[CohortView]:
    """Cohort rows with their trainers and session span: three queries for any number."""
    ids = [row["id"] for row in rows]
    trainers: dict[int, list[TrainerRef]] = {i: [] for i in ids}
    spans: dict[int, tuple[int, datetime | None, datetime | None]] = {}
    if ids:
        for link in await CohortTrainer.select(
            CohortTrainer.cohort, CohortTrainer.trainer, CohortTrainer.trainer.first_name
        ).where(CohortTrainer.cohort.is_in(ids)):
            trainers[link["cohort"]].append(
                TrainerRef(id=link["trainer"], name=link["trainer.first_name"] or "")
            )
        for session in await Session.select(Session.cohort, Session.starts_at).where(
            Session.cohort.is_in(ids)
        ):
            count, first, last = spans.get(session["cohort"], (0, None, None))
            start = session["starts_at"]
            spans[session["cohort"]] = (
                count + 1,
                start if first is None or start < first else first,
                start if last is None or start > last else last,
            )
    return [
        CohortView(
            id=row["id"],
            programme_id=row["programme"],
            programme_title=row["programme_title"],
            kind=row["kind"],
            kita_id=row["kita"],
            kita_name=row["kita_name"],
            title=row["title"],
            language=row["language"],
            location=row["location"],
            place_id=row["place"],
            capacity=row["capacity"],
            seats_taken=row["seats_taken"],
            max_seats_per_registration=row["max_seats_per_registration"],
            registration_opens_at=row["registration_opens_at"],
            registration_closes_at=row["registration_closes_at"],
            status=row["status"],
            trainers=sorted(trainers[row["id"]], key=lambda t: t.name),
            sessions=spans.get(row["id"], (0, None, None))[0],
            first_session_at=spans.get(row["id"], (0, None, None))[1],
            last_session_at=spans.get(row["id"], (0, None, None))[2],
            translations=texts.parse(row["translations"]),
            programme_status=row["programme_status"],
        )
        for row in rows
    ]


async def _cohort_row(cohort_id: int) -> dict[str, Any]:
    row = await Cohort.select().where(Cohort.id == cohort_id).first()
    if row is None:
        raise NotFound(N_("There is no cohort with id %(id)s."), field="cohort", id=cohort_id)
    return row
