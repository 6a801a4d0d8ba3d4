"""Who may call which route with which ids: the whole app as a matrix of routes and roles.

`MATRIX` names every route of the app (path and method, as Litestar lists them) with a rule
saying what each role gets for ids that are its own, ids that belong to somebody else and
ids that exist nowhere:

- roles: the anonymous public, a coordinator, the KiTa partners of KiTa A and of KiTa B, the
  trainer of group A, a trainer who leads only group B (so "without group A"), and a
  trainer who only stands in for one session of group B;
- targets: the things of KiTa A (its group, programme, sessions, family, closure day, ...),
  those of KiTa B, X (ids no row has), and P, a public run with people registered;
- outcomes: answered (2xx, or a redirect that is not the sign-in page), sign in first (303
  to the sign-in page, 401 for a write or the API), 403 (the role may never do this) or 404
  (a foreign id answers exactly like a missing one, so existence does not leak).

Each role walks the whole matrix over HTTP in one world: staff pages with its cookie
session (forms carry a valid CSRF token, so the role rule decides, not the CSRF check), the
JSON API with its bearer token. Refused writes must leave every table as it was; answered
ones run after them, the destructive ones at the very end. No answer to the public contains
the planted personal data (names, e-mail addresses, phone numbers), and no partner or
trainer gets another KiTa's families, groups or programmes, or the public's registrations.
A new route without a row here fails `test_every_route_is_in_the_matrix`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute

from programmes.domain.access import Staff
from programmes.domain.accounts import management, staff_accounts
from programmes.domain.accounts.passwords import MailSite
from programmes.domain.catalogue import places
from programmes.domain.feeds import feed_tokens
from programmes.domain.planning import closures, org_closures
from programmes.domain.tokens import hash_token, new_token
from programmes.tables import (
    ALL_TABLES,
    Child,
    Cohort,
    CohortTrainer,
    Family,
    Guardian,
    Person,
    RateCounter,
    Registration,
    Session,
)
from programmes.vocabulary import (
    ConsentMethod,
    ProgrammeKind,
    PublicationStatus,
    RegistrationStatus,
    Role,
)
from tests.conftest import FROZEN_NOW
from tests.factories import (
    PASSWORD,
    make_cohort,
    make_kita,
    make_person_registration,
    make_programme,
    make_public_run,
    make_session,
    make_staff,
)
from tests.web.account_helpers import account_mails, link_in
from tests.web.helpers import csrf_token, sign_in

# ----------------------------------------------------------------------------- roles

ANON = "anonymous"
COORDINATOR = "coordinator"
PARTNER_A = "partner of KiTa A"
PARTNER_B = "partner of KiTa B"
TRAINER_X = "trainer of group A"
TRAINER_Y = "trainer without group A"
SUBSTITUTE = "trainer standing in for a session of group B"
ROLES = (ANON, COORDINATOR, PARTNER_A, PARTNER_B, TRAINER_X, TRAINER_Y, SUBSTITUTE)
ROLE_OF = {
    COORDINATOR: Role.coordinator,
    PARTNER_A: Role.partner,
    PARTNER_B: Role.partner,
    TRAINER_X: Role.trainer,
    TRAINER_Y: Role.trainer,
    SUBSTITUTE: Role.trainer,
}
#: The KiTa whose things are a role's own (everything else is foreign to it).
OWN = {PARTNER_A: "A", PARTNER_B: "B", TRAINER_X: "A", TRAINER_Y: "B", SUBSTITUTE: "B"}

# ----------------------------------------------------------------------------- outcomes

#: An id no row has (the largest one the routes accept).
MISSING = 2_147_483_647
OK = "answered"
LOGIN = "sign in first"
Expected = str | int
Rule = Callable[[str, str], Expected]


def public(role: str, target: str) -> Expected:
    return OK


def public_except(*hidden: str) -> Rule:
    """Public, but the targets in `hidden` (not meant for the public) answer 404."""

    def rule(role: str, target: str) -> Expected:
        return 404 if target in hidden else OK

    return rule


def everybody(status: int) -> Rule:
    """Public, and every caller gets `status` (e.g. an unknown token: 404)."""

    def rule(role: str, target: str) -> Expected:
        return status

    return rule


def staff(role: str, target: str) -> Expected:
    """Any signed-in member of staff, about themselves or what their role lets them list."""
    return LOGIN if role == ANON else OK


def any_staff(role: str, target: str) -> Expected:
    """Any signed-in member of staff, about things that belong to no KiTa (a place):
    what exists answers, a missing id 404."""
    if role == ANON:
        return LOGIN
    return 404 if target == "X" else OK


def coordinator(role: str, target: str) -> Expected:
    """Coordinators only (they see everything that exists); everybody else on staff 403."""
    if role == ANON:
        return LOGIN
    if role != COORDINATOR:
        return 403
    return 404 if target == "X" else OK


def coordinator_then(status: int) -> Rule:
    """Coordinators only; for a coordinator the route answers `status` (the role rule let
    them through and the input decided, e.g. a calendar address that is no web address)."""

    def rule(role: str, target: str) -> Expected:
        outcome = coordinator(role, target)
        return status if outcome == OK else outcome

    return rule


def scoped_as(status: int, *roles: Role) -> Rule:
    """Staff with one of `roles` (others 403); coordinators everything, partners and trainers
    their own KiTa's or group's things only; foreign and missing ids answer `status`."""

    def rule(role: str, target: str) -> Expected:
        if role == ANON:
            return LOGIN
        if ROLE_OF[role] not in roles:
            return 403
        if target != "X" and (role == COORDINATOR or OWN[role] == target):
            return OK
        return status

    return rule


def scoped(*roles: Role) -> Rule:
    """Staff with one of `roles` (others 403); coordinators everything, partners and trainers
    their own KiTa's or group's things only (foreign ones 404, as missing ones)."""
    return scoped_as(404, *roles)


def filtered(*roles: Role) -> Rule:
    """A filter by id in the query: a foreign id is bad input (400), just like a missing one."""
    return scoped_as(400, *roles)


def roles(*allowed: Role) -> Rule:
    """Staff with one of `allowed` roles (others 403), whatever they look at."""

    def rule(role: str, target: str) -> Expected:
        if role == ANON:
            return LOGIN
        return OK if ROLE_OF[role] in allowed else 403

    return rule


def others_participant(role: str, target: str) -> Expected:
    """Marks for a session ("A~B": group A's) naming another group's registration: the
    registration is no participant of the session (422, as a missing one); the session
    itself answers as usual."""
    session_of = target[0]
    if role == ANON:
        return LOGIN
    if ROLE_OF[role] not in (Role.coordinator, Role.trainer):
        return 403
    if role == COORDINATOR or OWN[role] == session_of:
        return 422
    return 404


ALL_STAFF = (Role.coordinator, Role.partner, Role.trainer)
reporters = roles(Role.coordinator, Role.partner)
seen_by_staff = scoped(*ALL_STAFF)
families = scoped(Role.coordinator, Role.partner)


def families_then(status: int) -> Rule:
    """As `families`; where that answers, the route answers `status` (the input decided)."""

    def rule(role: str, target: str) -> Expected:
        outcome = families(role, target)
        return status if outcome == OK else outcome

    return rule


trainers = scoped(Role.coordinator, Role.trainer)


def group_writers(role: str, target: str) -> Expected:
    """A message to a group's people: coordinators any group, partners their KiTa's, trainers
    the groups they lead; a substitute (one session only) gets 404 like everybody else."""
    if role == SUBSTITUTE and target != "X":
        return 404
    return seen_by_staff(role, target)


def leaders(role: str, target: str) -> Expected:
    """Contact lists: as `seen_by_staff`, but a trainer only for the groups they lead; one
    who only stands in for a session gets 404, as for a group that does not exist."""
    if role == SUBSTITUTE:
        return 404
    return seen_by_staff(role, target)


# ----------------------------------------------------------------------------- the world

GUARDIAN_NAME = {"A": "Zarifa Alphamarker", "B": "Bozena Betamarker"}
GUARDIAN_EMAIL = {"A": "alpha.family@marker.example", "B": "beta.family@marker.example"}
GUARDIAN_PHONE = {"A": "0170 4242 1111", "B": "0170 4242 2222"}
CHILD_NAME = {"A": "Kiranalpha", "B": "Kiranbeta"}
PERSON_NAME = "Quirin Publicmarker"
PERSON_EMAIL = "quirin.public@marker.example"
PERSON_PHONE = "0170 4242 3333"
SECOND_PERSON_NAME = "Rosa Zweitmarker"
#: Personal data that no one may see but those responsible for it.
PRIVATE = {
    "A": (GUARDIAN_NAME["A"], GUARDIAN_EMAIL["A"], GUARDIAN_PHONE["A"], CHILD_NAME["A"]),
    "B": (GUARDIAN_NAME["B"], GUARDIAN_EMAIL["B"], GUARDIAN_PHONE["B"], CHILD_NAME["B"]),
    "P": (PERSON_NAME, PERSON_EMAIL, PERSON_PHONE, SECOND_PERSON_NAME),
}
KITA_NAME = {"A": "KiTa Sonnenblume", "B": "KiTa Regenbogen"}
PROGRAMME_TITLE = {"A": "Rucksack Alphaprogramm", "B": "Rucksack Betaprogramm"}
COHORT_TITLE = {"A": "Gruppe Alphablau", "B": "Gruppe Betarot"}
#: No personal data, but nothing of another KiTa either (nor of groups the public does not see).
INTERNAL = {
    target: (KITA_NAME[target], PROGRAMME_TITLE[target], COHORT_TITLE[target]) for target in "AB"
}


@dataclass
class World:
    ids: dict[str, dict[str, Any]]
    accounts: dict[str, Staff]
    trainer_ids: dict[str, int]

    def fill(self, template: str, target: str) -> str:
        return template.format(**self.ids.get(target, {}))


async def build_world() -> World:
    """Two KiTas with a Rucksack group each (family, past and future sessions, a closure
    day), their partners and trainers, and a public run with a person registered."""
    coordinator_account = await make_staff(Role.coordinator)
    ids: dict[str, dict[str, Any]] = {}
    accounts: dict[str, Staff] = {COORDINATOR: coordinator_account}
    for target, partner, trainer in (("A", PARTNER_A, TRAINER_X), ("B", PARTNER_B, TRAINER_Y)):
        kita = await make_kita(KITA_NAME[target])
        accounts[partner] = await make_staff(Role.partner, kita_id=kita)
        accounts[trainer] = await make_staff(Role.trainer)
        programme = await make_programme(
            ProgrammeKind.rucksack, is_public=False, title=PROGRAMME_TITLE[target]
        )
        cohort = await make_cohort(
            programme, kita_id=kita, max_seats=1, trainer_ids=(accounts[trainer].id,)
        )
        await Cohort.update({Cohort.title: COHORT_TITLE[target]}).where(Cohort.id == cohort)
        past = await make_session(cohort, starts_at=FROZEN_NOW - timedelta(days=1))
        future = await make_session(cohort, starts_at=FROZEN_NOW + timedelta(days=14))
        future2 = await make_session(cohort, starts_at=FROZEN_NOW + timedelta(days=21))
        # a run of a programme still in draft (publishing the programme from the run's page)
        draft = await make_programme(
            ProgrammeKind.rucksack,
            is_public=False,
            title=PROGRAMME_TITLE[target],
            status=PublicationStatus.draft,
        )
        draft_cohort = await make_cohort(draft, kita_id=kita, max_seats=1)
        family, registration = await _family(cohort, kita, target)
        family2, _ = await _family(cohort, kita, target)
        closure, closure2, closure3 = [
            await closures.add_closure(
                staff=coordinator_account,
                kita_id=kita,
                first_day=day,
                reason="Teamtag",
                now=FROZEN_NOW,
            )
            for day in (date(2027, 3, 1), date(2027, 3, 2), date(2027, 3, 3))
        ]
        ids[target] = {
            "kita": kita,
            "programme": programme,
            "cohort": cohort,
            "session": past,
            "future_session": future,
            "future_session2": future2,
            "family": family,
            "registration": registration,
            "closure": closure.id,
            "closure2": closure2.id,
            "closure3": closure3.id,
            "family2": family2,
            "subject": f"families/{family}",
            "account": accounts[partner].id,
            "draft_cohort": draft_cohort,
        }
    run = await make_public_run(dates=2)
    run_row = await _cohort_row(run)
    registration = await make_person_registration(run, PERSON_NAME)
    person = await _mark_person(registration)
    # a cancel link for each route that takes one: the page, the API, and withdrawing
    # consent through either (each ends its registration)
    tokens = {"token": new_token()}
    await _give_link(registration, tokens["token"])
    for name in ("api_token", "withdraw_token", "api_withdraw_token"):
        tokens[name] = new_token()
        await _give_link(await make_person_registration(run, SECOND_PERSON_NAME), tokens[name])
    sessions = await _session_ids(run)
    ids["P"] = {
        "programme": run_row["programme"],
        "cohort": run,
        "session": sessions[0],
        "future_session": sessions[-1],
        "registration": registration,
        "subject": f"people/{person}",
        **tokens,
        "feed": await _private_feed(ids["A"]["cohort"]),
        "set_token": await _invitation_token(coordinator_account),
        "place": await _place(coordinator_account),
        **await _org_calendar(coordinator_account),
    }
    accounts[SUBSTITUTE] = await make_staff(Role.trainer)
    await Session.update({Session.substitute: accounts[SUBSTITUTE].id}).where(
        Session.id == ids["B"]["session"]
    )
    ids["-"] = {"programme": run_row["programme"]}
    ids["C"] = {"account": coordinator_account.id}
    ids["X"] = dict.fromkeys(ids["A"], MISSING) | {
        "subject": f"families/{MISSING}",
        "place": MISSING,
        "org_calendar": MISSING,
        "org_closure": MISSING,
    }
    for mine, theirs in (("A", "B"), ("B", "A")):
        ids[f"{mine}~{theirs}"] = ids[mine] | {"registration": ids[theirs]["registration"]}
    await _count_seats()
    return World(
        ids=ids,
        accounts=accounts,
        trainer_ids={t: accounts[r].id for t, r in (("A", TRAINER_X), ("B", TRAINER_Y))},
    )


async def _give_link(registration: int, token: str) -> None:
    await Registration.update({Registration.cancel_token_hash: hash_token(token)}).where(
        Registration.id == registration
    )


async def _count_seats() -> None:
    """The factories insert registrations directly: count their seats as the domain does."""
    for row in await Cohort.select(Cohort.id):
        confirmed = await Registration.select(Registration.seats).where(
            (Registration.cohort == row["id"])
            & (Registration.status == RegistrationStatus.confirmed.value)
        )
        taken = sum(r["seats"] for r in confirmed)
        await Cohort.update({Cohort.seats_taken: taken}).where(Cohort.id == row["id"])


async def _private_feed(cohort: int) -> str:
    """The private feed link of a co-trainer of `cohort` (none of the roles: they make
    their own links in the walk)."""
    owner = await make_staff(Role.trainer)
    await CohortTrainer.insert(CohortTrainer(cohort=cohort, trainer=owner.id))
    return await feed_tokens.create_feed_token(account_id=owner.id, now=FROZEN_NOW)


async def _place(coordinator: Staff) -> int:
    view = await places.create_place(
        staff=coordinator,
        data=places.PlaceInput(name="Bürgerhaus", town="Musterstadt"),
        now=FROZEN_NOW,
    )
    return view.id


async def _org_calendar(coordinator: Staff) -> dict[str, int]:
    """An organisation calendar (it belongs to no KiTa) with one day entered by hand."""
    calendar = await org_closures.create_calendar(
        staff=coordinator, name="Schulferien NRW", school_holidays=True, now=FROZEN_NOW
    )
    day = await org_closures.add_day(
        staff=coordinator,
        calendar_id=calendar.id,
        first_day=date(2027, 3, 22),
        last_day=date(2027, 4, 3),
        reason="Osterferien",
        now=FROZEN_NOW,
    )
    return {"org_calendar": calendar.id, "org_closure": day.id}


async def _invitation_token(coordinator: Staff) -> str:
    """The token of the set-password link an invited trainer got by mail."""
    await management.invite_account(
        staff=coordinator,
        email="eingeladen@example.org",
        name="Neu Eingeladen",
        role=Role.trainer.value,
        kita_id=None,
        site=MailSite(base_url="http://testserver", language="de"),
        now=FROZEN_NOW,
    )
    (mail,) = await account_mails()
    return link_in(mail)[1]


async def _family(cohort: int, kita: int, target: str) -> tuple[int, int]:
    family = int((await Family.insert(Family(kita=kita)))[0]["id"])
    await Guardian.insert(
        Guardian(
            family=family,
            name=GUARDIAN_NAME[target],
            email=GUARDIAN_EMAIL[target],
            phone=GUARDIAN_PHONE[target],
            languages=["Deutsch"],
        )
    )
    await Child.insert(
        Child(family=family, first_name=CHILD_NAME[target], date_of_birth=date(2021, 5, 1))
    )
    rows = await Registration.insert(
        Registration(
            cohort=cohort,
            family=family,
            seats=1,
            status=RegistrationStatus.confirmed.value,
            consent_notice_version="test",
            consent_method=ConsentMethod.paper.value,
            consent_given_on=FROZEN_NOW.date(),
        )
    )
    return family, int(rows[0]["id"])


async def _cohort_row(cohort: int) -> dict[str, Any]:
    row = await Cohort.select().where(Cohort.id == cohort).first()
    assert row is not None
    return row


async def _session_ids(cohort: int) -> list[int]:
    rows = (
        await Session.select(Session.id).where(Session.cohort == cohort).order_by(Session.starts_at)
    )
    return [row["id"] for row in rows]


async def _mark_person(registration: int) -> int:
    row = (
        await Registration.select(Registration.person)
        .where(Registration.id == registration)
        .first()
    )
    assert row is not None
    person = int(row["person"])
    await Person.update({Person.email: PERSON_EMAIL, Person.phone: PERSON_PHONE}).where(
        Person.id == person
    )
    return person


# ----------------------------------------------------------------------------- bodies

Body = Callable[[World, str, str], dict[str, Any]]


def fixed(values: dict[str, Any]) -> Body:
    return lambda world, target, role: values


def family_json(world: World, target: str, role: str) -> dict[str, Any]:
    return {
        "guardians": [{"name": "Olena Neu", "languages": ["Ukrainisch"], "phone": "0151 23456789"}],
        "children": [{"first_name": "Sofiia", "date_of_birth": "2021-08-01"}],
        "consent_method": "verbal",
        "consent_given_on": "2026-11-20",
    }


def family_form(world: World, target: str, role: str) -> dict[str, Any]:
    return {
        "g0_name": "Olena Neu",
        "g0_languages": "Ukrainisch",
        "g0_phone": "0151 23456789",
        "c0_first_name": "Sofiia",
        "c0_date_of_birth": "2021-08-01",
        "consent_method": "verbal",
        "consent_given_on": "2026-11-20",
        "language": "de",
        "form_key": f"matrix-{role}-{target}",
    }


def message_form(world: World, target: str, role: str) -> dict[str, Any]:
    return {
        "subject": "Raumänderung",
        "text": "Wir treffen uns im Saal 2.",
        "form_key": f"matrix-{role}-{target}",
        "confirmed": "yes",
    }


def enrol_json(world: World, target: str, role: str) -> dict[str, Any]:
    return {"family": family_json(world, target, role), "form_key": f"matrix-{role}-{target}"}


def programme_body(world: World, target: str, role: str) -> dict[str, Any]:
    if target in ("A", "B"):
        return {
            "kind": "rucksack",
            "title": f"Rucksack {target} geändert",
            "min_age_years": 4,
            "max_age_years": 6,
            "certificate_threshold_percent": 75,
        }
    return {"kind": "training", "title": f"Neu {target}", "certificate_threshold_percent": 75}


def cohort_json(world: World, target: str, role: str) -> dict[str, Any]:
    ids = world.ids[target]
    body: dict[str, Any] = {"programme_id": ids["programme"], "title": f"Gruppe {target} neu"}
    if target in ("A", "B"):
        body |= {"kita_id": ids["kita"], "trainer_ids": [world.trainer_ids[target]]}
    return body


def cohort_form(world: World, target: str, role: str) -> dict[str, Any]:
    ids = world.ids[target]
    form: dict[str, Any] = {"title": f"Gruppe {target} neu", "capacity": "10"}
    if target in ("A", "B"):
        form |= {"kita_id": str(ids["kita"]), "trainer_ids": str(world.trainer_ids[target])}
    return form


def marks_json(world: World, target: str, role: str) -> dict[str, Any]:
    registration = world.ids[target]["registration"]
    return {"marks": [{"registration_id": registration, "mark": "present"}]}


def marks_form(world: World, target: str, role: str) -> dict[str, Any]:
    registration = world.ids[target]["registration"]
    return {"marks[0].registration_id": str(registration), "marks[0].mark": "present"}


def own_credentials(world: World, target: str, role: str) -> dict[str, Any]:
    account = world.accounts.get(role, world.accounts[COORDINATOR])
    return {"email": account.email, "password": PASSWORD}


def set_password(world: World, target: str, role: str) -> dict[str, Any]:
    """The invited trainer's new password, through the mailed link."""
    return {"token": world.ids["P"]["set_token"], "new_password": NEW, "new_password_repeat": NEW}


def link(name: str) -> Body:
    """The body of the API's cancel and withdraw routes: the cancel link's token."""
    return lambda world, target, role: {"token": world.ids["P"][name]}


RULE = {"weekdays": [0], "start_time": "15:00", "duration_minutes": 90, "first_day": "2027-01-04"}
RULE_FORM = {
    "weekdays": "0",
    "start_time": "15:00",
    "duration_minutes": "90",
    "first_day": "2027-01-04",
    "count": "2",
    "step": "preview",
}
PERSON = {"name": "Neue Person", "email": "neu@example.org", "consent": True}
PERSON_FORM = {"name": "Neue Person", "email": "neu@example.org", "consent": "1", "seats": "1"}
MOVE = {"starts_at": "2027-01-05T14:00:00+01:00", "ends_at": "2027-01-05T16:00:00+01:00"}
MOVE_FORM = {"day": "2027-01-05", "start_time": "14:00", "end_time": "16:00", "location": ""}


# ----------------------------------------------------------------------------- the matrix


@dataclass(frozen=True)
class Case:
    """One request per target: `url` is filled with the target's ids."""

    rule: Rule
    url: str
    targets: tuple[str, ...] = ("-",)
    body: Body | None = None
    #: Answered writes run by phase (see CHANGES ... SIGN_IN).
    phase: int = 1
    #: For a mounted app (method "*" in the matrix): the method to send, GET by default.
    method: str = "GET"
    #: Who sends it: everybody, but for the slow renderings of the API documentation
    #: (the same for every caller, no data in it).
    roles: tuple[str, ...] = ROLES
    #: Whose things the answer shows to anybody who sends it (a private feed link is its
    #: owner's credential: the dates of group A).
    shows: tuple[str, ...] = ()


AB = ("A", "B")
DOCUMENTATION_READERS = (ANON, PARTNER_A)
#: KiTa A's things, KiTa B's, and ids that exist nowhere: a foreign id answers like those.
ABX = ("A", "B", "X")
#: A session of one group with the registration of the other's family.
MIXED = ("A~B", "B~A")
#: Answered writes run in this order: changes, then what removes or ends things, then a new
#: schedule (it cancels the sessions it does not keep), signing out, signing in, and a new
#: password for the account signed in again (signing in uses the old one).
CHANGES, ENDS, REPLAN, SIGN_OUT, SIGN_IN, NEW_PASSWORD = 1, 2, 3, 4, 5, 6
NEW = "ein neues langes Passwort 2027"
FORM = "form"


def _name(prefix: str) -> Body:
    return lambda world, target, role: {"name": f"{prefix} {role} {target}", "address": "Weg 1"}


MATRIX: dict[tuple[str, str], list[Case]] = {
    # public pages, feeds, documentation
    ("/health", "GET"): [Case(public, "/health")],
    ("/", "GET"): [Case(public, "/")],
    ("/datenschutz", "GET"): [Case(public, "/datenschutz")],
    ("/impressum", "GET"): [Case(public, "/impressum")],
    # the English addresses move (301) to the German pages
    ("/privacy", "GET"): [Case(public, "/privacy")],
    ("/imprint", "GET"): [Case(public, "/imprint")],
    ("/static/{file_path:path}", "GET"): [Case(public, "/static/app.css")],
    ("/static/{file_path:path}", "HEAD"): [Case(public, "/static/app.css")],
    ("/events/{name:str}", "GET"): [
        Case(public_except("A"), "/events/{cohort}", ("P", "A")),
        Case(public_except("A"), "/events/{cohort}.ics", ("P", "A")),
    ],
    ("/events/{name:str}", "HEAD"): [Case(public_except("A"), "/events/{cohort}", ("P", "A"))],
    ("/events/{cohort_id:int}/register", "POST"): [
        Case(public_except("A"), "/events/{cohort}/register", ("P", "A"), fixed(PERSON_FORM))
    ],
    ("/events/cancel/{token:str}", "GET"): [
        Case(public, "/events/cancel/{token}", ("P",)),
        Case(everybody(404), "/events/cancel/" + "x" * 43),
    ],
    ("/events/cancel/{token:str}", "POST"): [
        Case(everybody(404), "/events/cancel/" + "x" * 43, body=fixed({})),
        Case(public, "/events/cancel/{token}", ("P",), fixed({}), phase=ENDS),
    ],
    ("/events/cancel/{token:str}/withdraw", "POST"): [
        Case(everybody(404), "/events/cancel/" + "x" * 43 + "/withdraw", body=fixed({})),
        Case(public, "/events/cancel/{withdraw_token}/withdraw", ("P",), fixed({}), phase=ENDS),
    ],
    ("/feeds/public.ics", "GET"): [Case(public, "/feeds/public.ics")],
    ("/feeds/public.ics", "HEAD"): [Case(public, "/feeds/public.ics")],
    ("/feeds/programmes/{name:str}", "GET"): [
        Case(public_except("A"), "/feeds/programmes/{programme}.ics", ("P", "A"))
    ],
    ("/feeds/programmes/{name:str}", "HEAD"): [
        Case(public_except("A"), "/feeds/programmes/{programme}.ics", ("P", "A"))
    ],
    # a private feed: whoever holds the link (it is the credential)
    ("/feeds/private/{name:str}", "GET"): [
        Case(public, "/feeds/private/{feed}.ics", ("P",), shows=("A",)),
        Case(everybody(404), "/feeds/private/pgf_" + "x" * 43 + ".ics"),
    ],
    ("/feeds/private/{name:str}", "HEAD"): [
        Case(public, "/feeds/private/{feed}.ics", ("P",), shows=("A",))
    ],
    ("/schema", "GET"): [Case(public, "/schema", roles=DOCUMENTATION_READERS)],
    ("/schema/openapi.json", "GET"): [Case(public, "/schema/openapi.json")],
    ("/schema/openapi.yaml", "GET"): [
        Case(public, "/schema/openapi.yaml", roles=DOCUMENTATION_READERS)
    ],
    ("/schema/openapi.yml", "GET"): [
        Case(public, "/schema/openapi.yml", roles=DOCUMENTATION_READERS)
    ],
    ("/schema/elements", "GET"): [Case(public, "/schema/elements")],
    ("/schema/rapidoc", "GET"): [Case(public, "/schema/rapidoc")],
    ("/schema/redoc", "GET"): [Case(public, "/schema/redoc")],
    ("/schema/swagger", "GET"): [Case(public, "/schema/swagger")],
    ("/schema/oauth2-redirect.html", "GET"): [Case(public, "/schema/oauth2-redirect.html")],
    ("/schema/{path:str}", "GET"): [Case(everybody(404), "/schema/nothing-here")],
    # signing in and out
    ("/staff/login", "GET"): [Case(public, "/staff/login")],
    ("/staff/login", "POST"): [Case(public, "/staff/login", body=own_credentials, phase=SIGN_IN)],
    ("/staff/logout", "POST"): [Case(staff, "/staff/logout", body=fixed({}), phase=SIGN_OUT)],
    ("/staff", "GET"): [Case(staff, "/staff/")],
    # passwords: one's own (signed in), a forgotten one and a mailed link's (the link is the key)
    ("/staff/password", "GET"): [Case(staff, "/staff/password")],
    ("/staff/password", "POST"): [
        Case(
            staff,
            "/staff/password",
            body=fixed(
                {"current_password": PASSWORD, "new_password": NEW, "new_password_repeat": NEW}
            ),
            phase=NEW_PASSWORD,
        )
    ],
    ("/staff/password/forgot", "GET"): [Case(public, "/staff/password/forgot")],
    ("/staff/password/forgot", "POST"): [
        Case(public, "/staff/password/forgot", body=fixed({"email": "niemand@example.org"}))
    ],
    ("/staff/password/set", "GET"): [
        Case(public, "/staff/password/set?token={set_token}", ("P",)),
        Case(everybody(404), "/staff/password/set?token=" + "x" * 43),
    ],
    ("/staff/password/set", "POST"): [
        Case(
            everybody(404),
            "/staff/password/set",
            body=fixed({"token": "x" * 43, "new_password": NEW, "new_password_repeat": NEW}),
        ),
        Case(public, "/staff/password/set", ("P",), set_password, phase=ENDS),
    ],
    # staff accounts: coordinators only (the accounts of the partners of KiTa A and B)
    ("/staff/accounts", "GET"): [Case(coordinator, "/staff/accounts/")],
    ("/staff/accounts", "POST"): [
        Case(
            coordinator,
            "/staff/accounts/",
            body=lambda world, target, role: {
                "email": f"neu.{role.replace(' ', '.')}@example.org",
                "name": "Neu Eingeladen",
                "role": Role.trainer.value,
            },
        )
    ],
    ("/staff/accounts/{account_id:int}", "GET"): [
        Case(coordinator, "/staff/accounts/{account}", ABX)
    ],
    ("/staff/accounts/{account_id:int}", "POST"): [
        Case(
            coordinator,
            "/staff/accounts/{account}",
            ABX,
            lambda world, target, role: {
                "role": Role.partner.value,
                "kita": str(world.ids["A"]["kita"]),
            },
        ),
        Case(
            coordinator_then(409),
            "/staff/accounts/{account}",
            ("C",),
            fixed({"role": Role.trainer.value}),
        ),
    ],
    ("/staff/accounts/{account_id:int}/invitation", "POST"): [
        Case(coordinator, "/staff/accounts/{account}/invitation", ABX, fixed({}))
    ],
    ("/staff/accounts/{account_id:int}/deactivate", "POST"): [
        Case(
            coordinator,
            "/staff/accounts/{account}/deactivate",
            ABX,
            fixed({"confirmed": "yes"}),
            phase=ENDS,
        ),
        # a coordinator's own account (target C): refused, so there is always one left
        Case(
            coordinator_then(409),
            "/staff/accounts/{account}/deactivate",
            ("C",),
            fixed({"confirmed": "yes"}),
        ),
    ],
    # after the deactivation (same phase, later in this table): the account comes back
    ("/staff/accounts/{account_id:int}/reactivate", "POST"): [
        Case(coordinator, "/staff/accounts/{account}/reactivate", ABX, fixed({}), phase=ENDS)
    ],
    ("/staff/feed", "GET"): [Case(staff, "/staff/feed/")],
    ("/staff/feed/create", "POST"): [Case(staff, "/staff/feed/create", body=fixed({}))],
    ("/staff/feed/rotate", "POST"): [Case(staff, "/staff/feed/rotate", body=fixed({}))],
    # after a link exists (the create row above): its reminder before each session
    ("/staff/feed/reminder", "POST"): [
        Case(staff, "/staff/feed/reminder", body=fixed({"reminder": "30"}))
    ],
    ("/staff/feed/revoke", "POST"): [Case(staff, "/staff/feed/revoke", body=fixed({}), phase=ENDS)],
    ("/admin", "*"): [
        Case(coordinator, "/admin/"),
        Case(coordinator, "/admin/api/tables/"),
        Case(
            coordinator,
            "/admin/api/tables/closure_day/{closure3}/",
            AB,
            phase=ENDS,
            method="DELETE",
        ),
    ],
    # places: no personal data, so every member of staff reads them; coordinators write
    ("/api/v1/places", "GET"): [Case(staff, "/api/v1/places")],
    ("/api/v1/places", "POST"): [
        Case(
            coordinator,
            "/api/v1/places",
            body=fixed({"name": "Stadtteilhaus", "town": "Musterstadt"}),
        )
    ],
    ("/api/v1/places/{place_id:int}", "GET"): [
        Case(any_staff, "/api/v1/places/{place}", ("P", "X"))
    ],
    ("/api/v1/places/{place_id:int}", "PUT"): [
        Case(
            coordinator,
            "/api/v1/places/{place}",
            ("P", "X"),
            fixed({"name": "Bürgerhaus am Markt", "town": "Musterstadt"}),
        )
    ],
    # KiTas
    ("/staff/kitas", "GET"): [Case(staff, "/staff/kitas/")],
    ("/staff/kitas", "POST"): [Case(coordinator, "/staff/kitas/", body=_name("KiTa neu"))],
    ("/staff/kitas/{kita_id:int}", "GET"): [Case(seen_by_staff, "/staff/kitas/{kita}", ABX)],
    ("/staff/kitas/{kita_id:int}", "POST"): [
        Case(coordinator, "/staff/kitas/{kita}", AB, _name("KiTa Seite"))
    ],
    ("/staff/kitas/{kita_id:int}/archive", "POST"): [
        Case(coordinator, "/staff/kitas/{kita}/archive", AB, fixed({}), phase=ENDS)
    ],
    ("/api/v1/kitas", "GET"): [Case(staff, "/api/v1/kitas?include_archived=true")],
    ("/api/v1/kitas", "POST"): [Case(coordinator, "/api/v1/kitas", body=_name("KiTa API"))],
    ("/api/v1/kitas/{kita_id:int}", "GET"): [Case(seen_by_staff, "/api/v1/kitas/{kita}", ABX)],
    ("/api/v1/kitas/{kita_id:int}", "PUT"): [
        Case(coordinator, "/api/v1/kitas/{kita}", AB, _name("KiTa API geändert"))
    ],
    ("/api/v1/kitas/{kita_id:int}/archive", "POST"): [
        Case(coordinator, "/api/v1/kitas/{kita}/archive", AB, fixed({}), phase=ENDS)
    ],
    # organisation closure calendars (they belong to no KiTa: coordinators only)
    ("/staff/closures", "GET"): [Case(coordinator, "/staff/closures/")],
    ("/staff/closures", "POST"): [
        Case(coordinator, "/staff/closures/", body=fixed({"name": "Betriebsferien Büro"}))
    ],
    ("/staff/closures/{calendar_id:int}", "GET"): [
        Case(coordinator, "/staff/closures/{org_calendar}", ("P", "X"))
    ],
    ("/staff/closures/{calendar_id:int}/days", "POST"): [
        Case(
            coordinator,
            "/staff/closures/{org_calendar}/days",
            ("P", "X"),
            fixed({"first_day": "2027-05-18", "reason": "Pfingstferien"}),
        )
    ],
    ("/staff/closures/{calendar_id:int}/days/{closure_id:int}/delete", "POST"): [
        Case(
            coordinator,
            "/staff/closures/{org_calendar}/days/{org_closure}/delete",
            ("P", "X"),
            fixed({}),
            phase=ENDS,
        )
    ],
    ("/staff/closures/{calendar_id:int}/import", "POST"): [
        Case(
            coordinator_then(422),
            "/staff/closures/{org_calendar}/import",
            ("P", "X"),
            fixed({"url": "not a calendar address"}),
        )
    ],
    ("/staff/closures/{calendar_id:int}/programmes", "POST"): [
        Case(coordinator, "/staff/closures/{org_calendar}/programmes", ("P", "X"), fixed({}))
    ],
    ("/staff/closures/{calendar_id:int}/delete", "POST"): [
        Case(
            coordinator, "/staff/closures/{org_calendar}/delete", ("P", "X"), fixed({}), phase=ENDS
        )
    ],
    ("/staff/cohorts/{cohort_id:int}/calendar-pause", "POST"): [
        Case(
            coordinator,
            "/staff/cohorts/{cohort}/calendar-pause",
            ABX,
            fixed({"calendar_pause": "meet"}),
        )
    ],
    # closure days
    ("/staff/kitas/{kita_id:int}/closures", "GET"): [
        Case(seen_by_staff, "/staff/kitas/{kita}/closures", ABX)
    ],
    ("/staff/kitas/{kita_id:int}/closures", "POST"): [
        Case(
            coordinator,
            "/staff/kitas/{kita}/closures",
            AB,
            fixed({"first_day": "2027-02-01", "reason": "Fortbildung"}),
        )
    ],
    ("/staff/kitas/{kita_id:int}/closures/{closure_id:int}/delete", "POST"): [
        Case(
            coordinator, "/staff/kitas/{kita}/closures/{closure}/delete", AB, fixed({}), phase=ENDS
        )
    ],
    ("/staff/kitas/{kita_id:int}/closures/import", "POST"): [
        Case(
            coordinator_then(422),
            "/staff/kitas/{kita}/closures/import",
            AB,
            fixed({"url": "not a calendar address"}),
        )
    ],
    ("/api/v1/kitas/{kita_id:int}/closures", "GET"): [
        Case(seen_by_staff, "/api/v1/kitas/{kita}/closures", ABX)
    ],
    ("/api/v1/kitas/{kita_id:int}/closures", "POST"): [
        Case(
            coordinator,
            "/api/v1/kitas/{kita}/closures",
            AB,
            fixed({"first_day": "2027-02-02", "reason": "Fortbildung"}),
        )
    ],
    ("/api/v1/kitas/{kita_id:int}/closures/import", "POST"): [
        Case(
            coordinator_then(422),
            "/api/v1/kitas/{kita}/closures/import",
            AB,
            fixed({"url": "not a calendar address"}),
        )
    ],
    ("/api/v1/closures/{closure_id:int}", "DELETE"): [
        Case(coordinator, "/api/v1/closures/{closure2}", AB, phase=ENDS)
    ],
    # programmes
    ("/staff/programmes", "GET"): [Case(staff, "/staff/programmes/")],
    ("/staff/programmes", "POST"): [
        Case(coordinator, "/staff/programmes/", ("P",), programme_body)
    ],
    ("/staff/programmes/{programme_id:int}", "GET"): [
        Case(seen_by_staff, "/staff/programmes/{programme}", ABX)
    ],
    ("/staff/programmes/{programme_id:int}", "POST"): [
        Case(coordinator, "/staff/programmes/{programme}", AB, programme_body)
    ],
    ("/staff/programmes/{programme_id:int}/status", "POST"): [
        Case(
            coordinator, "/staff/programmes/{programme}/status", AB, fixed({"action": "unpublish"})
        )
    ],
    ("/api/v1/programmes", "GET"): [Case(staff, "/api/v1/programmes?include_archived=true")],
    ("/api/v1/programmes", "POST"): [
        Case(coordinator, "/api/v1/programmes", ("P",), programme_body)
    ],
    ("/api/v1/programmes/{programme_id:int}", "GET"): [
        Case(seen_by_staff, "/api/v1/programmes/{programme}", ABX)
    ],
    ("/api/v1/programmes/{programme_id:int}", "PUT"): [
        Case(coordinator, "/api/v1/programmes/{programme}", AB, programme_body)
    ],
    ("/api/v1/programmes/{programme_id:int}/{action:str}", "POST"): [
        Case(coordinator, "/api/v1/programmes/{programme}/publish", AB, fixed({}))
    ],
    # cohorts
    ("/staff/cohorts", "GET"): [Case(staff, "/staff/cohorts/")],
    ("/staff/cohorts/new", "GET"): [
        Case(coordinator, "/staff/cohorts/new?programme_id={programme}")
    ],
    ("/staff/cohorts/new", "POST"): [
        Case(coordinator, "/staff/cohorts/new?programme_id={programme}", AB, cohort_form)
    ],
    ("/staff/cohorts/{cohort_id:int}", "GET"): [
        Case(seen_by_staff, "/staff/cohorts/{cohort}", ABX)
    ],
    ("/staff/cohorts/{cohort_id:int}/edit", "GET"): [
        Case(coordinator, "/staff/cohorts/{cohort}/edit", ABX)
    ],
    ("/staff/cohorts/{cohort_id:int}/edit", "POST"): [
        Case(coordinator, "/staff/cohorts/{cohort}/edit", AB, cohort_form)
    ],
    ("/staff/cohorts/{cohort_id:int}/status", "POST"): [
        Case(coordinator, "/staff/cohorts/{cohort}/status", AB, fixed({"action": "unpublish"}))
    ],
    ("/staff/cohorts/{cohort_id:int}/schedule", "POST"): [
        Case(coordinator, "/staff/cohorts/{cohort}/schedule", AB, fixed(RULE_FORM))
    ],
    ("/api/v1/cohorts", "GET"): [
        Case(staff, "/api/v1/cohorts"),
        Case(staff, "/api/v1/cohorts?kita_id={kita}&include_archived=true", ABX),
        Case(staff, "/api/v1/cohorts?programme_id={programme}", ABX),
    ],
    ("/api/v1/cohorts", "POST"): [Case(coordinator, "/api/v1/cohorts", AB, cohort_json)],
    ("/api/v1/cohorts/{cohort_id:int}", "GET"): [
        Case(seen_by_staff, "/api/v1/cohorts/{cohort}", ABX)
    ],
    ("/api/v1/cohorts/{cohort_id:int}", "PUT"): [
        Case(coordinator, "/api/v1/cohorts/{cohort}", AB, cohort_json)
    ],
    ("/api/v1/cohorts/{cohort_id:int}/{action:str}", "POST"): [
        Case(coordinator, "/api/v1/cohorts/{cohort}/publish", AB, fixed({}))
    ],
    ("/api/v1/cohorts/{cohort_id:int}/sessions", "GET"): [
        Case(seen_by_staff, "/api/v1/cohorts/{cohort}/sessions", ABX)
    ],
    ("/api/v1/cohorts/{cohort_id:int}/schedule/preview", "POST"): [
        Case(
            coordinator,
            "/api/v1/cohorts/{cohort}/schedule/preview",
            AB,
            fixed({**RULE, "count": 2}),
        )
    ],
    ("/api/v1/cohorts/{cohort_id:int}/schedule", "PUT"): [
        Case(
            coordinator,
            "/api/v1/cohorts/{cohort}/schedule",
            AB,
            fixed({**RULE, "count": 2}),
            phase=REPLAN,
        )
    ],
    # sessions and attendance
    ("/staff/sessions/{session_id:int}", "GET"): [
        Case(seen_by_staff, "/staff/sessions/{session}", ABX)
    ],
    ("/staff/sessions/{session_id:int}/move", "POST"): [
        Case(coordinator, "/staff/sessions/{future_session}/move", AB, fixed(MOVE_FORM))
    ],
    ("/staff/sessions/{session_id:int}/cancel", "POST"): [
        Case(
            coordinator,
            "/staff/sessions/{future_session}/cancel",
            AB,
            fixed({"reason": "Krank"}),
            phase=ENDS,
        )
    ],
    ("/staff/sessions/{session_id:int}/reinstate", "POST"): [
        # the session is not cancelled (a cancellation waits for its confirmation): 409
        Case(coordinator_then(409), "/staff/sessions/{future_session}/reinstate", AB, fixed({}))
    ],
    ("/staff/sessions/{session_id:int}/substitute", "POST"): [
        Case(coordinator, "/staff/sessions/{session}/substitute", AB, fixed({"trainer_id": ""}))
    ],
    ("/staff/sessions/{session_id:int}/theme", "POST"): [
        Case(trainers, "/staff/sessions/{session}/theme", ABX, fixed({"theme": "Sprache"}))
    ],
    ("/staff/sessions/{session_id:int}/attendance", "GET"): [
        Case(seen_by_staff, "/staff/sessions/{session}/attendance", ABX)
    ],
    ("/staff/sessions/{session_id:int}/attendance", "POST"): [
        Case(trainers, "/staff/sessions/{session}/attendance", ABX, marks_form),
        Case(others_participant, "/staff/sessions/{session}/attendance", MIXED, marks_form),
    ],
    ("/api/v1/sessions/{session_id:int}", "GET"): [
        Case(seen_by_staff, "/api/v1/sessions/{session}", ABX)
    ],
    ("/api/v1/sessions/{session_id:int}/move", "POST"): [
        Case(coordinator, "/api/v1/sessions/{future_session}/move", AB, fixed(MOVE))
    ],
    ("/api/v1/sessions/{session_id:int}/cancel", "POST"): [
        Case(
            coordinator,
            "/api/v1/sessions/{future_session2}/cancel",
            AB,
            fixed({"reason": "Krank"}),
            phase=ENDS,
        )
    ],
    ("/api/v1/sessions/{session_id:int}/substitute", "PUT"): [
        Case(coordinator, "/api/v1/sessions/{session}/substitute", AB, fixed({"trainer_id": None}))
    ],
    ("/api/v1/sessions/{session_id:int}/theme", "PUT"): [
        Case(trainers, "/api/v1/sessions/{session}/theme", ABX, fixed({"theme": "Spiel"}))
    ],
    ("/api/v1/sessions/{session_id:int}/attendance", "GET"): [
        Case(seen_by_staff, "/api/v1/sessions/{session}/attendance", ABX)
    ],
    ("/api/v1/sessions/{session_id:int}/attendance", "PUT"): [
        Case(trainers, "/api/v1/sessions/{session}/attendance", ABX, marks_json),
        Case(others_participant, "/api/v1/sessions/{session}/attendance", MIXED, marks_json),
    ],
    # printables
    # publishing a run's programme too, from the run's page
    ("/staff/cohorts/{cohort_id:int}/publish-programme", "POST"): [
        Case(coordinator, "/staff/cohorts/{draft_cohort}/publish-programme", ABX, fixed({}))
    ],
    ("/staff/cohorts/{cohort_id:int}/attendance-list", "GET"): [
        Case(seen_by_staff, "/staff/cohorts/{cohort}/attendance-list", ABX)
    ],
    ("/staff/cohorts/{cohort_id:int}/certificates", "GET"): [
        Case(coordinator, "/staff/cohorts/{cohort}/certificates", ABX)
    ],
    # a message to everybody in a group or run
    ("/staff/cohorts/{cohort_id:int}/message", "GET"): [
        Case(group_writers, "/staff/cohorts/{cohort}/message", ("A", "B", "P", "X"))
    ],
    ("/staff/cohorts/{cohort_id:int}/message", "POST"): [
        Case(
            group_writers,
            "/staff/cohorts/{cohort}/message",
            ("A", "B", "P", "X"),
            message_form,
        )
    ],
    # contact lists for daily work (the public run P: coordinators only)
    ("/staff/cohorts/{cohort_id:int}/people", "GET"): [
        Case(leaders, "/staff/cohorts/{cohort}/people", ("A", "B", "X", "P"))
    ],
    ("/staff/cohorts/{cohort_id:int}/people/print", "GET"): [
        Case(leaders, "/staff/cohorts/{cohort}/people/print", ("A", "B", "X", "P"))
    ],
    ("/staff/cohorts/{cohort_id:int}/people.csv", "GET"): [
        Case(leaders, "/staff/cohorts/{cohort}/people.csv", ("A", "B", "X", "P"))
    ],
    ("/staff/cohorts/{cohort_id:int}/people.xlsx", "GET"): [
        Case(leaders, "/staff/cohorts/{cohort}/people.xlsx", ("A", "B", "X", "P"))
    ],
    # registrations of public runs: the coordination
    ("/staff/cohorts/{cohort_id:int}/registrations", "GET"): [
        Case(coordinator, "/staff/cohorts/{cohort}/registrations", ("P", "A", "X"))
    ],
    ("/staff/cohorts/{cohort_id:int}/registrations", "POST"): [
        Case(
            coordinator,
            "/staff/cohorts/{cohort}/registrations",
            ("P",),
            fixed({**PERSON_FORM, "consent_method": "paper"}),
        )
    ],
    ("/staff/cohorts/{cohort_id:int}/registrations/capacity", "POST"): [
        Case(
            coordinator,
            "/staff/cohorts/{cohort}/registrations/capacity",
            ("P",),
            fixed({"capacity": "20"}),
        )
    ],
    ("/staff/cohorts/{cohort_id:int}/registrations/{registration_id:int}/move", "POST"): [
        Case(
            coordinator,
            "/staff/cohorts/{cohort}/registrations/{registration}/move",
            ("P",),
            fixed({"to": "waiting", "reason": "Umbuchung"}),
        )
    ],
    ("/staff/cohorts/{cohort_id:int}/registrations/{registration_id:int}/cancel", "POST"): [
        Case(
            coordinator,
            "/staff/cohorts/{cohort}/registrations/{registration}/cancel",
            ("P",),
            fixed({"reason": "Abgesagt"}),
            phase=ENDS,
        )
    ],
    ("/api/v1/cohorts/{cohort_id:int}/registrations", "GET"): [
        Case(coordinator, "/api/v1/cohorts/{cohort}/registrations", ("P", "A", "X"))
    ],
    ("/api/v1/cohorts/{cohort_id:int}/registrations", "POST"): [
        Case(
            coordinator,
            "/api/v1/cohorts/{cohort}/registrations",
            ("P",),
            fixed({"person": {**PERSON, "email": "api@example.org"}, "consent_method": "paper"}),
        )
    ],
    ("/api/v1/cohorts/{cohort_id:int}/capacity", "PUT"): [
        Case(coordinator, "/api/v1/cohorts/{cohort}/capacity", ("P",), fixed({"capacity": 25}))
    ],
    ("/api/v1/registrations/{registration_id:int}/move", "POST"): [
        Case(
            coordinator,
            "/api/v1/registrations/{registration}/move",
            ("P",),
            fixed({"to": "waiting", "reason": "Umbuchung"}),
        )
    ],
    ("/api/v1/registrations/{registration_id:int}/cancel", "POST"): [
        Case(
            coordinator,
            "/api/v1/registrations/{registration}/cancel",
            ("P",),
            fixed({"reason": "Abgesagt"}),
            phase=ENDS,
        )
    ],
    # the public's registrations through the API
    ("/api/v1/events", "GET"): [Case(public, "/api/v1/events")],
    ("/api/v1/events/{cohort_id:int}", "GET"): [
        Case(public_except("A"), "/api/v1/events/{cohort}", ("P", "A"))
    ],
    ("/api/v1/events/{cohort_id:int}/registrations", "POST"): [
        Case(
            public_except("A"),
            "/api/v1/events/{cohort}/registrations",
            ("P", "A"),
            fixed({**PERSON, "email": "public.api@example.org"}),
        )
    ],
    ("/api/v1/events/registrations/cancel", "POST"): [
        Case(
            everybody(404), "/api/v1/events/registrations/cancel", body=fixed({"token": "x" * 43})
        ),
        Case(public, "/api/v1/events/registrations/cancel", ("P",), link("api_token"), phase=ENDS),
    ],
    ("/api/v1/events/registrations/withdraw", "POST"): [
        Case(
            everybody(404), "/api/v1/events/registrations/withdraw", body=fixed({"token": "x" * 43})
        ),
        Case(
            public,
            "/api/v1/events/registrations/withdraw",
            ("P",),
            link("api_withdraw_token"),
            phase=ENDS,
        ),
    ],
    # families in Rucksack groups: partners (own KiTa) and coordinators
    ("/staff/cohorts/{cohort_id:int}/families", "GET"): [
        Case(families, "/staff/cohorts/{cohort}/families", ABX)
    ],
    ("/staff/cohorts/{cohort_id:int}/families", "POST"): [
        Case(families, "/staff/cohorts/{cohort}/families", ABX, family_form)
    ],
    ("/staff/families/{family_id:int}", "GET"): [Case(families, "/staff/families/{family}", ABX)],
    ("/staff/families/{family_id:int}", "POST"): [
        Case(families, "/staff/families/{family}", ABX, family_form)
    ],
    ("/staff/families/{family_id:int}/withdraw", "POST"): [
        Case(families, "/staff/families/{family}/withdraw", ABX, fixed({}), phase=ENDS)
    ],
    ("/staff/families/{family_id:int}/undo-withdrawal", "POST"): [
        # nothing to undo (the withdrawal waits for its confirmation): 409 for those who may
        Case(families_then(409), "/staff/families/{family}/undo-withdrawal", ABX, fixed({}))
    ],
    ("/staff/families/{family_id:int}/consent/withdraw", "POST"): [
        Case(families, "/staff/families/{family}/consent/withdraw", ABX, fixed({}), phase=ENDS)
    ],
    ("/staff/families/{family_id:int}/erasure-request", "POST"): [
        Case(families, "/staff/families/{family}/erasure-request", ABX, fixed({}), phase=ENDS)
    ],
    ("/api/v1/cohorts/{cohort_id:int}/families", "GET"): [
        Case(families, "/api/v1/cohorts/{cohort}/families", ABX)
    ],
    ("/api/v1/cohorts/{cohort_id:int}/families", "POST"): [
        Case(families, "/api/v1/cohorts/{cohort}/families", ABX, enrol_json)
    ],
    ("/api/v1/families/{family_id:int}", "GET"): [Case(families, "/api/v1/families/{family}", ABX)],
    ("/api/v1/families/{family_id:int}", "PUT"): [
        Case(families, "/api/v1/families/{family}", ABX, family_json)
    ],
    ("/api/v1/families/{family_id:int}/withdraw", "POST"): [
        Case(families, "/api/v1/families/{family2}/withdraw", ABX, fixed({}), phase=ENDS)
    ],
    # reports, privacy, audit
    ("/staff/reports", "GET"): [
        Case(reporters, "/staff/reports/"),
        Case(filtered(Role.coordinator, Role.partner), "/staff/reports/?kita={kita}", ABX),
    ],
    ("/staff/reports/report.csv", "GET"): [Case(reporters, "/staff/reports/report.csv")],
    ("/staff/reports/report.xlsx", "GET"): [Case(reporters, "/staff/reports/report.xlsx")],
    ("/api/v1/reports", "GET"): [
        Case(reporters, "/api/v1/reports"),
        Case(filtered(Role.coordinator, Role.partner), "/api/v1/reports?kita={kita}", ABX),
        Case(filtered(Role.coordinator, Role.partner), "/api/v1/reports?cohort={cohort}", ABX),
        Case(
            filtered(Role.coordinator, Role.partner), "/api/v1/reports?programme={programme}", ABX
        ),
    ],
    ("/staff/privacy/requests", "GET"): [Case(coordinator, "/staff/privacy/requests")],
    ("/staff/privacy/{subjects:str}/{subject_id:int}", "GET"): [
        Case(coordinator, "/staff/privacy/{subject}", ("A", "P", "X"))
    ],
    ("/staff/privacy/{subjects:str}/{subject_id:int}/export", "POST"): [
        Case(
            coordinator,
            "/staff/privacy/{subject}/export",
            ("A", "P"),
            fixed({"password": PASSWORD}),
        )
    ],
    ("/staff/privacy/{subjects:str}/{subject_id:int}/erase", "POST"): [
        Case(
            coordinator,
            "/staff/privacy/{subject}/erase",
            ("B",),
            fixed({"password": PASSWORD, "confirm": "1"}),
            phase=ENDS,
        )
    ],
    ("/api/v1/privacy/{subjects:str}/{subject_id:int}/export", "POST"): [
        Case(
            coordinator,
            "/api/v1/privacy/{subject}/export",
            ("A", "P"),
            fixed({"password": PASSWORD}),
        )
    ],
    ("/api/v1/privacy/{subjects:str}/{subject_id:int}/erase", "POST"): [
        Case(
            coordinator,
            "/api/v1/privacy/{subject}/erase",
            ("A",),
            fixed({"password": PASSWORD}),
            phase=ENDS,
        )
    ],
    # the search: every role searches within what it may see (leaks() checks the answers)
    ("/staff/search", "GET"): [
        Case(staff, "/staff/search/?q=marker"),
        Case(staff, "/staff/search/?q=Kiran"),
        Case(staff, "/staff/search/?q=Alphamarker"),
        Case(staff, "/staff/search/?q=Betamarker"),
    ],
    ("/api/v1/search", "GET"): [
        Case(staff, "/api/v1/search?q=marker"),
        Case(staff, "/api/v1/search?q=Kiran"),
    ],
    ("/staff/audit", "GET"): [Case(coordinator, "/staff/audit/")],
    ("/api/v1/audit", "GET"): [Case(coordinator, "/api/v1/audit")],
    ("/api/v1/me", "GET"): [Case(staff, "/api/v1/me")],
}

# ----------------------------------------------------------------------------- checks


def app_routes(app: Litestar) -> set[tuple[str, str]]:
    """Every (path, method) the app answers; a mounted ASGI app (the back office) as "*".
    Litestar's automatic OPTIONS answers carry no data and are left out."""
    found = set()
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            found.add((route.path, "*"))
            continue
        for handler in route.route_handlers:
            if handler.handler_name == "options_handler":
                continue
            found.update((route.path, method) for method in handler.http_methods)
    return found


def test_every_route_is_in_the_matrix(app: Litestar) -> None:
    routes = app_routes(app)
    assert sorted(routes - MATRIX.keys()) == [], "routes without a row in MATRIX"
    assert sorted(MATRIX.keys() - routes) == [], "rows in MATRIX for routes that are gone"


@dataclass
class Caller:
    role: str
    http: httpx.AsyncClient
    csrf: str
    bearer: str | None
    failures: list[str] = field(default_factory=list)

    async def send(self, method: str, url: str, body: dict[str, Any] | None) -> httpx.Response:
        if url.startswith("/api/"):
            headers = {"authorization": f"Bearer {self.bearer}"} if self.bearer else {}
            if method in ("GET", "HEAD", "DELETE") or body is None:
                return await self.http.request(method, url, headers=headers)
            return await self.http.request(method, url, json=body, headers=headers)
        if method in ("GET", "HEAD"):
            return await self.http.request(method, url)
        if url.startswith("/admin/"):
            # the back office's own CSRF check: a cookie and the same value in a header
            self.http.cookies.set("csrftoken", ADMIN_CSRF)
            return await self.http.request(method, url, headers={"x-csrftoken": ADMIN_CSRF})
        return await self.http.request(method, url, data={"_csrf_token": self.csrf, **(body or {})})


ADMIN_CSRF = "matrix-admin-csrf-token"


def outcome_of(response: httpx.Response) -> Expected:
    status = response.status_code
    location = response.headers.get("location", "")
    if status == 401 or (status in (302, 303) and location.startswith("/staff/login?next=")):
        return LOGIN
    if status < 400:
        return OK
    return status


async def fingerprint() -> dict[str, list[dict[str, Any]]]:
    """Every row of every table but the rate counters (a refused public registration still
    counts against the caller's address, on purpose)."""
    tables = [table for table in ALL_TABLES if table is not RateCounter]
    return {
        table._meta.tablename: await table.select().order_by(table._meta.primary_key)
        for table in tables
    }


@dataclass(frozen=True)
class Planned:
    method: str
    url: str
    target: str
    expected: Expected
    body: dict[str, Any] | None
    phase: int
    shows: tuple[str, ...]


def requests_for(role: str, world: World) -> list[Planned]:
    planned = []
    for key, cases in MATRIX.items():
        method = key[1]
        for case in cases:
            if role not in case.roles:
                continue
            for target in case.targets:
                planned.append(
                    Planned(
                        method=case.method if method == "*" else method,
                        url=world.fill(case.url, target),
                        target=target,
                        expected=case.rule(role, target),
                        body=case.body(world, target, role) if case.body else None,
                        phase=case.phase,
                        shows=case.shows,
                    )
                )
    return planned


def leaks(role: str, text: str, shows: tuple[str, ...] = ()) -> list[str]:
    """Planted personal data, or names of another KiTa's things, in an answer to `role`
    that are not theirs to see (`shows`: whose things, but not personal data, the answer
    may show to anybody)."""
    if role == COORDINATOR:
        return []
    own = {OWN[role]} if role in OWN else set()
    private = [m for t, markers in PRIVATE.items() if t not in own for m in markers]
    internal = [m for t, markers in INTERNAL.items() if t not in own | set(shows) for m in markers]
    return [marker for marker in (*private, *internal) if marker in text]


async def sign_in_as(http: httpx.AsyncClient, role: str, world: World) -> Caller:
    csrf = await csrf_token(http, "/staff/login")
    if role == ANON:
        return Caller(role, http, csrf, None)
    account = world.accounts[role]
    await sign_in(http, account.email)
    bearer = await staff_accounts.create_api_token(
        account_id=account.id, name="matrix", now=FROZEN_NOW
    )
    return Caller(role, http, csrf, bearer)


async def check(caller: Caller, request: Planned) -> None:
    response = await caller.send(request.method, request.url, request.body)
    got = outcome_of(response)
    where = f"{request.method} {request.url} (target {request.target})"
    if got != request.expected:
        caller.failures.append(
            f"{where}: expected {request.expected}, got {got} "
            f"[{response.status_code}] {response.text[:200]!r}"
        )
    for marker in leaks(caller.role, response.text, request.shows):
        caller.failures.append(f"{where}: the answer shows {marker!r}")


@pytest.mark.parametrize("role", ROLES)
async def test_each_role_gets_what_the_matrix_says(client: httpx.AsyncClient, role: str) -> None:
    world = await build_world()
    caller = await sign_in_as(client, role, world)
    planned = requests_for(role, world)
    reads = [r for r in planned if r.method in ("GET", "HEAD")]
    writes = [r for r in planned if r.method not in ("GET", "HEAD")]
    refused = [r for r in writes if r.expected != OK]
    answered = sorted((r for r in writes if r.expected == OK), key=lambda r: r.phase)

    for request in reads:
        await check(caller, request)
    before = await fingerprint()
    for request in refused:
        await check(caller, request)
    after = await fingerprint()
    changed = [name for name in before if before[name] != after[name]]
    if changed:
        caller.failures.append(f"refused writes of the {role} changed the tables {changed}")
    for request in answered:
        await check(caller, request)
    assert caller.failures == [], "\n".join(caller.failures)
