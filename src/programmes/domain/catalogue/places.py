"""Places where cohorts and sessions meet: a name, an address with its town, and the
coordinates when known (calendar entries then carry GEO and Apple's structured location).

Coordinators manage them (API `/api/v1/places`, the back office). A cohort or session
refers to a place (`place`) and keeps the place's label in its `location` text, which
mails, pages and API clients of before read; so editing a place rewrites the label of
everything that refers to it and stamps it (`updated_at`, and a session's `sequence`), and
calendars pick the change up. Free text without a place still works (older clients).

The checks: a name and a town are required; coordinates come both or not at all, latitude
from -90 to 90 and longitude from -180 to 180, and a pair that reads as a German place only
when swapped (latitude 5.8-15.1, longitude 47.2-55.1: the office is in Germany) is refused
as swapped rather than stored in the sea off Somalia.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Final

import msgspec

from programmes.db import write_transaction
from programmes.domain import audit
from programmes.domain.access import Staff, require_coordinator
from programmes.domain.errors import N_, InvalidInput, NotFound
from programmes.domain.text import clean_text
from programmes.tables import Cohort, Place, Session

#: Germany's extent in degrees (latitude, longitude), for telling a swapped pair.
_GERMANY_LATITUDE: Final = (47.2, 55.1)
_GERMANY_LONGITUDE: Final = (5.8, 15.1)
MAX_LABEL: Final = 300  # what `location` holds


class PlaceInput(msgspec.Struct, frozen=True):
    """What a coordinator enters for a place."""

    name: str
    town: str
    street: str = ""
    postcode: str = ""
    latitude: float | None = None
    longitude: float | None = None


class PlaceView(msgspec.Struct, frozen=True):
    id: int
    name: str
    street: str
    postcode: str
    town: str
    latitude: float | None
    longitude: float | None
    label: str  # what calendars write as LOCATION, and cohorts and sessions keep


def place_label(name: str, street: str, postcode: str, town: str) -> str:
    """ "Haus der Kulturen, Kaiserstraße 12, 45699 Herten": the parts that are known."""
    parts = [name.strip(), street.strip(), f"{postcode.strip()} {town.strip()}".strip()]
    return ", ".join(part for part in parts if part)[:MAX_LABEL]


def place_address(street: str, postcode: str, town: str) -> str:
    return ", ".join(p for p in (street.strip(), f"{postcode.strip()} {town.strip()}".strip()) if p)


def _within(value: float, bounds: tuple[float, float]) -> bool:
    return bounds[0] <= value <= bounds[1]


def check_coordinates(latitude: float | None, longitude: float | None) -> None:
    if latitude is None and longitude is None:
        return
    if latitude is None or longitude is None:
        field = "latitude" if latitude is None else "longitude"
        raise InvalidInput(N_("Give both latitude and longitude, or neither."), field=field)
    for field, value in (("latitude", latitude), ("longitude", longitude)):
        if not math.isfinite(value):
            raise InvalidInput(N_("Please give a number."), field=field)
    if _within(latitude, _GERMANY_LONGITUDE) and _within(longitude, _GERMANY_LATITUDE):
        raise InvalidInput(
            N_(
                "Latitude and longitude look swapped: in Germany the latitude is about 47 to "
                "55 and the longitude about 6 to 15."
            ),
            field="latitude",
        )
    if not -90 <= latitude <= 90:
        raise InvalidInput(N_("The latitude lies between -90 and 90."), field="latitude")
    if not -180 <= longitude <= 180:
        raise InvalidInput(N_("The longitude lies between -180 and 180."), field="longitude")


def _checked(data: PlaceInput) -> dict[Any, Any]:
    name = clean_text(data.name, field="name", max_length=200)
    street = clean_text(data.street, field="street", max_length=200, required=False)
    postcode = clean_text(data.postcode, field="postcode", max_length=10, required=False)
    if not clean_text(data.town, field="town", max_length=100, required=False):
        raise InvalidInput(N_("A place needs its town."), field="town")
    town = clean_text(data.town, field="town", max_length=100)
    check_coordinates(data.latitude, data.longitude)
    return {
        Place.name: name,
        Place.street: street,
        Place.postcode: postcode,
        Place.town: town,
        Place.latitude: data.latitude,
        Place.longitude: data.longitude,
    }


_COLUMNS: Final = (
    Place.id,
    Place.name,
    Place.street,
    Place.postcode,
    Place.town,
    Place.latitude,
    Place.longitude,
)


def _view(row: dict[str, Any]) -> PlaceView:
    return PlaceView(
        id=int(row["id"]),
        name=row["name"],
        street=row["street"],
        postcode=row["postcode"],
        town=row["town"],
        latitude=row["latitude"],
        longitude=row["longitude"],
        label=place_label(row["name"], row["street"], row["postcode"], row["town"]),
    )


async def list_places(*, staff: Staff) -> list[PlaceView]:
    """Every place (no personal data: any member of staff may see them)."""
    rows = await Place.select(*_COLUMNS).order_by(Place.town).order_by(Place.name)
    return [_view(row) for row in rows]


async def get_place(*, place_id: int) -> PlaceView:
    row = await Place.select(*_COLUMNS).where(Place.id == place_id).first()
    if row is None:
        raise NotFound(N_("There is no place with id %(id)s."), field="place_id", id=place_id)
    return _view(row)


async def create_place(*, staff: Staff, data: PlaceInput, now: datetime) -> PlaceView:
    require_coordinator(staff)
    values = _checked(data)
    async with write_transaction():
        rows = await Place.insert(
            Place(**{c._meta.name: v for c, v in values.items()}, created_at=now, updated_at=now)
        )
        place_id = int(rows[0]["id"])
        await audit.record(
            actor_id=staff.id,
            action="place.created",
            object_type="place",
            object_id=place_id,
            now=now,
        )
    return await get_place(place_id=place_id)


async def update_place(
    *, staff: Staff, place_id: int, data: PlaceInput, now: datetime
) -> PlaceView:
    """Change a place; the cohorts and sessions that meet there get its new label and a
    stamp (sessions a higher sequence), so calendars show the change."""
    require_coordinator(staff)
    values = _checked(data)
    label = place_label(
        values[Place.name], values[Place.street], values[Place.postcode], values[Place.town]
    )
    async with write_transaction():
        old = (await get_place(place_id=place_id)).label
        await Place.update({**values, Place.updated_at: now}).where(Place.id == place_id)
        await Cohort.update({Cohort.location: label, Cohort.updated_at: now}).where(
            Cohort.place == place_id
        )
        await Session.update(
            {
                Session.location: label,
                Session.sequence: Session.sequence + 1,
                Session.updated_at: now,
            }
        ).where(
            (Session.place == place_id)
            | (
                # sessions written before they referred to places, where their run meets
                Session.place.is_null()
                & (Session.location == old)
                & Session.cohort.is_in(Cohort.select(Cohort.id).where(Cohort.place == place_id))
            )
        )
        await audit.record(
            actor_id=staff.id,
            action="place.updated",
            object_type="place",
            object_id=place_id,
            now=now,
        )
    return await get_place(place_id=place_id)
