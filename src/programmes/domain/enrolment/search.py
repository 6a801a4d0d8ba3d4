"""Finding families and registrations by name or e-mail address, a page at a time.

What a search looks at depends on the role, and it never counts or names anything outside
it: coordinators search every family (guardians' names and addresses, children's first
names) and every public registration of a run (the registrant's name and address); a
partner searches their own KiTa's families only (public registrations are the
coordination's); a trainer searches the guardians' names of the families in the groups
they lead (what their attendance lists show them). Erased and anonymised people are never
found: their rows are left out, and their names are empty anyway.

Matching is done in Python on `search_key` of both sides (`families.match_name`: Unicode
NFKC, case folded, the Turkish I, runs of spaces as one; then without accents and other
combining marks; `search_keys` adds the German spelling of umlauts) and is a plain
substring test, so "müller", "muller" and "mueller" find "MÜLLER", "müller" finds "Mueller",
"yilmaz" finds "Yılmaz", "gulsen" finds "Gülşen", and `%`, `_` and `\\` are just characters.
SQL `LIKE` cannot do this on both databases: SQLite folds the case of ASCII letters only,
and PostgreSQL's `ILIKE` depends on the database's locale. The price is reading the names
and addresses in the caller's scope (a few columns, one query per kind) for every search;
for the families and registrations of one town's office that is thousands of short rows.
See docs/search.md.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Any, Final

import msgspec

from programmes.domain.access import Staff
from programmes.domain.enrolment.families import match_name
from programmes.domain.errors import N_, InvalidParameter
from programmes.tables import (
    Child,
    CohortTrainer,
    Family,
    Guardian,
    Registration,
)
from programmes.vocabulary import Role

PAGE_SIZE: Final = 20
#: The longest search text; a longer one is refused before anything is read.
MAX_QUERY: Final = 100
#: A page number with more digits than this is past any last page.
_PAGE_DIGITS: Final = 9

FAMILY: Final = "family"
REGISTRATION: Final = "registration"


class SearchHit(msgspec.Struct, frozen=True):
    """One family or one public registration found, with where it belongs."""

    kind: str  #: FAMILY or REGISTRATION
    id: int  #: the family's id, or the registration's
    names: list[str]  #: the guardians' names, or the registrant's
    children: list[str]  #: children's first names (for those who may see them)
    emails: list[str]  #: addresses (for those who may see them)
    kita: str  #: the KiTa's name ("" for a run at no KiTa)
    cohort_id: int | None  #: the group or run (None: a family without one)
    cohort: str  #: the group's or run's title
    programme: str  #: its programme's title
    status: str  #: the registration's status ("" without one)


class SearchPage(msgspec.Struct, frozen=True):
    query: str  #: the search text as typed, stripped ("" shows the empty search page)
    hits: list[SearchHit]
    total: int  #: hits on all pages (within the caller's scope only)
    page: int
    pages: int
    #: The page asked for lies beyond the last one; the last one is shown.
    past_the_end: bool = False


async def search(*, staff: Staff, query: str | None, page: str | None = None) -> SearchPage:
    """One page of the families and registrations `staff` may see whose names or addresses
    contain `query` (text as typed; too long a text or a bad page number is refused before
    anything is read)."""
    text = (query or "").strip()
    if len(text) > MAX_QUERY:
        raise InvalidParameter(
            N_("Enter at most %(max)s characters to search for."), field="q", max=MAX_QUERY
        )
    asked = _page_number(page)
    needles = search_keys(text)
    if not needles[0]:
        return SearchPage(query=text, hits=[], total=0, page=1, pages=0)
    found = await _family_matches(staff, needles)
    if staff.role is Role.coordinator:
        found += await _registration_matches(needles)
    found.sort(key=lambda match: (match[0], match[1] != FAMILY, match[2]))
    pages = max(1, -(-len(found) // PAGE_SIZE))
    number = min(asked, pages)
    chosen = found[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
    families = await _family_hits(staff, [m[2] for m in chosen if m[1] == FAMILY])
    registrations = await _registration_hits([m[2] for m in chosen if m[1] == REGISTRATION])
    hits = [
        (families if kind == FAMILY else registrations)[identifier]
        for _, kind, identifier in chosen
    ]
    return SearchPage(
        query=text,
        hits=hits,
        total=len(found),
        page=number,
        pages=pages if found else 0,
        past_the_end=asked > pages and bool(found),
    )


def _page_number(value: str | None) -> int:
    """The page asked for: empty is the first; a whole number of 1 or more (however large:
    the caller gets the last page); anything else is refused."""
    text = (value or "").strip()
    if not text:
        return 1
    digits = text.lstrip("0")
    if not (text.isascii() and text.isdigit()) or not digits:
        raise InvalidParameter(N_("The page is a whole number from 1 on."), field="page")
    return int(digits) if len(digits) <= _PAGE_DIGITS else 10**_PAGE_DIGITS


def search_key(text: str) -> str:
    """`text` as a search compares it: as `families.match_name` (case, the Turkish I,
    spaces), and without accents or other combining marks (ü as u, ş as s, Arabic vowel
    marks left out), as staff type names on a German keyboard."""
    return _without_marks(match_name(text))


#: The German spelling of umlauts where they cannot be typed (passports, e-mail addresses).
_UMLAUTS = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue"})


def search_keys(text: str) -> tuple[str, ...]:
    """Every way a search reads `text`: its `search_key`, and where it has an umlaut also
    the German spelling without it, so "Müller" is "muller" and "mueller" too."""
    folded = match_name(text)
    keys = (_without_marks(folded), _without_marks(folded.translate(_UMLAUTS)))
    return keys[:1] if keys[0] == keys[1] else keys


def _without_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", bare)


#: (sort key, kind, id) of one match.
Match = tuple[str, str, int]


def _contains(needles: tuple[str, ...], values: Iterable[str]) -> bool:
    """Whether a way of writing the search text is part of a way of writing a value."""
    return any(
        needle in key
        for value in values
        if value
        for key in search_keys(value)
        for needle in needles
    )


def _family_scope(staff: Staff) -> Any:
    """A where-clause on a table with a `family` column: the families `staff` may search."""
    clause = Family.anonymised_at.is_null()
    if staff.role is Role.partner:
        return clause & (Family.kita == staff.kita_id)
    if staff.role is Role.trainer:
        led = CohortTrainer.select(CohortTrainer.cohort).where(CohortTrainer.trainer == staff.id)
        in_led = Registration.select(Registration.family).where(
            Registration.cohort.is_in(led) & Registration.family.is_not_null()  # type: ignore[arg-type]
        )
        return clause & Family.id.is_in(in_led)  # type: ignore[arg-type]
    return clause


async def _family_matches(staff: Staff, needles: tuple[str, ...]) -> list[Match]:
    families = Family.select(Family.id).where(_family_scope(staff))
    first_name: dict[int, str] = {}
    matched: set[int] = set()
    trainer = staff.role is Role.trainer  # names only, as on their attendance lists
    for row in (
        await Guardian.select(Guardian.family, Guardian.name, Guardian.email)
        .where(Guardian.family.is_in(families))  # type: ignore[arg-type]
        .order_by(Guardian.id)
    ):
        first_name.setdefault(row["family"], row["name"])
        fields = [row["name"]] if trainer else [row["name"], row["email"]]
        if _contains(needles, fields):
            matched.add(row["family"])
    if not trainer:
        for row in await Child.select(Child.family, Child.first_name).where(
            Child.family.is_in(families)  # type: ignore[arg-type]
        ):
            if _contains(needles, [row["first_name"]]):
                matched.add(row["family"])
    return [(search_key(first_name.get(i, "")), FAMILY, i) for i in matched]


async def _registration_matches(needles: tuple[str, ...]) -> list[Match]:
    """Public registrations of runs (a person's, never a family's) matching `needles`."""
    rows = await Registration.select(
        Registration.id,
        Registration.person.name.as_alias("name"),
        Registration.person.email.as_alias("email"),
    ).where(Registration.person.is_not_null() & Registration.person.anonymised_at.is_null())
    return [
        (search_key(row["name"]), REGISTRATION, row["id"])
        for row in rows
        if _contains(needles, [row["name"], row["email"]])
    ]


async def _family_hits(staff: Staff, ids: list[int]) -> dict[int, SearchHit]:
    if not ids:
        return {}
    trainer = staff.role is Role.trainer
    guardians: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    for row in (
        await Guardian.select(Guardian.family, Guardian.name, Guardian.email)
        .where(Guardian.family.is_in(ids))
        .order_by(Guardian.id)
    ):
        guardians[row["family"]].append(row)
    children: dict[int, list[str]] = {i: [] for i in ids}
    if not trainer:
        for row in (
            await Child.select(Child.family, Child.first_name)
            .where(Child.family.is_in(ids))
            .order_by(Child.id)
        ):
            children[row["family"]].append(row["first_name"])
    kitas = {
        row["id"]: row["kita_name"]
        for row in await Family.select(Family.id, Family.kita.name.as_alias("kita_name")).where(
            Family.id.is_in(ids)
        )
    }
    registrations = Registration.select(
        Registration.family,
        Registration.cohort,
        Registration.status,
        Registration.cohort.title.as_alias("cohort_title"),
        Registration.cohort.programme.title.as_alias("programme_title"),  # type: ignore[union-attr]
    ).where(Registration.family.is_in(ids))
    if trainer:  # the group they lead, not another one the family was in before
        registrations = registrations.where(
            Registration.cohort.is_in(  # type: ignore[arg-type]
                CohortTrainer.select(CohortTrainer.cohort).where(CohortTrainer.trainer == staff.id)
            )
        )
    latest = {
        row["family"]: row
        for row in await registrations.order_by(Registration.created_at, Registration.id)
    }
    hits = {}
    for family in ids:
        registration = latest.get(family)
        hits[family] = SearchHit(
            kind=FAMILY,
            id=family,
            names=[g["name"] for g in guardians[family]],
            children=children[family],
            emails=[] if trainer else [g["email"] for g in guardians[family] if g["email"]],
            kita=str(kitas.get(family) or ""),
            cohort_id=registration["cohort"] if registration else None,
            cohort=str(registration["cohort_title"]) if registration else "",
            programme=str(registration["programme_title"]) if registration else "",
            status=str(registration["status"]) if registration else "",
        )
    return hits


async def _registration_hits(ids: list[int]) -> dict[int, SearchHit]:
    if not ids:
        return {}
    rows = await Registration.select(
        Registration.id,
        Registration.cohort,
        Registration.status,
        Registration.person.name.as_alias("name"),
        Registration.person.email.as_alias("email"),
        Registration.cohort.title.as_alias("cohort_title"),
        Registration.cohort.programme.title.as_alias("programme_title"),  # type: ignore[union-attr]
        Registration.cohort.kita.name.as_alias("kita_name"),  # type: ignore[union-attr]
    ).where(Registration.id.is_in(ids))
    return {
        row["id"]: SearchHit(
            kind=REGISTRATION,
            id=row["id"],
            names=[row["name"]],
            children=[],
            emails=[row["email"]] if row["email"] else [],
            kita=str(row["kita_name"] or ""),
            cohort_id=row["cohort"],
            cohort=str(row["cohort_title"]),
            programme=str(row["programme_title"]),
            status=str(row["status"]),
        )
        for row in rows
    }


__all__ = [
    "MAX_QUERY",
    "PAGE_SIZE",
    "SearchHit",
    "SearchPage",
    "search",
    "search_key",
    "search_keys",
]
