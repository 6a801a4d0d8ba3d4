"""The staff search: each role finds only what it may see (and no count betrays the rest),
wildcards are plain characters, case and accents do not matter, long texts and bad page
numbers are refused clearly, erased people are never found, and results come 20 a page."""

from __future__ import annotations

import re
from datetime import date

import httpx
import pytest

from programmes.domain.access import Staff
from programmes.domain.accounts import staff_accounts
from programmes.domain.enrolment import search
from programmes.domain.privacy.erasure import erase_subject
from programmes.domain.privacy.subjects import SubjectKind
from programmes.tables import Child, Family, Guardian, Person, Registration
from programmes.vocabulary import ProgrammeKind, Role
from tests.conftest import FROZEN_NOW
from tests.factories import (
    make_cohort,
    make_family_registration,
    make_kita,
    make_person_registration,
    make_programme,
    make_public_run,
    make_staff,
)
from tests.web.helpers import sign_in


async def _family(cohort: int, kita: int, name: str, *, email: str = "", child: str = "") -> int:
    registration = await make_family_registration(cohort, kita, (name,))
    row = await Registration.select(Registration.family).where(Registration.id == registration)
    family = int(row[0]["family"])
    if email:
        await Guardian.update({Guardian.email: email}).where(Guardian.family == family)
    if child:
        await Child.insert(Child(family=family, first_name=child, date_of_birth=date(2021, 5, 1)))
    return family


async def _group(kita: int, trainer: Staff | None = None) -> int:
    programme = await make_programme(ProgrammeKind.rucksack, is_public=False)
    return await make_cohort(programme, kita_id=kita, trainer_ids=(trainer.id,) if trainer else ())


async def _as(client: httpx.AsyncClient, staff: Staff) -> None:
    client.cookies.clear()
    await sign_in(client, staff.email)


def _count(page: str) -> int:
    found = re.search(r"(\d+) Treffer", page)
    assert found, page
    return int(found.group(1))


async def test_each_role_finds_only_what_it_may_see(client: httpx.AsyncClient) -> None:
    kita_a, kita_b = await make_kita("KiTa Ahorn"), await make_kita("KiTa Birke")
    trainer_a, idle_trainer = await make_staff(Role.trainer), await make_staff(Role.trainer)
    group_a, group_b = await _group(kita_a, trainer_a), await _group(kita_b)
    family_a = await _family(
        group_a, kita_a, "Zehra Yılmaz", email="zehra.home@example.org", child="Elifcan"
    )
    family_b = await _family(group_b, kita_b, "Zeynep YILMAZ", email="zeynep@example.org")
    run = await make_public_run()
    await make_person_registration(run, "Jana Yilmaz")
    coordinator = await make_staff(Role.coordinator)
    partner_a = await make_staff(Role.partner, kita_id=kita_a)
    partner_b = await make_staff(Role.partner, kita_id=kita_b)

    assert (await client.get("/staff/search/?q=yilmaz")).status_code in (302, 303)

    await _as(client, coordinator)
    everything = (await client.get("/staff/search/?q=yilmaz")).text
    assert _count(everything) == 3
    for shown in ("Zehra Yılmaz", "Zeynep YILMAZ", "Jana Yilmaz", "KiTa Ahorn", "Elifcan"):
        assert shown in everything
    assert f'href="/staff/families/{family_a}"' in everything
    assert f'href="/staff/cohorts/{run}/registrations"' in everything

    await _as(client, partner_b)
    own = (await client.get("/staff/search/?q=yilmaz")).text
    assert _count(own) == 1
    assert "Zeynep YILMAZ" in own and f'href="/staff/families/{family_b}"' in own
    for hidden in ("Zehra", "Jana", "KiTa Ahorn", "Elifcan"):
        assert hidden not in own
    # nothing of KiTa A, not even by its address or child's name, and no count of it
    for query in ("zehra.home", "Elifcan", "Jana"):
        page = (await client.get("/staff/search/", params={"q": query})).text
        assert _count(page) == 0 and "Nichts gefunden." in page

    await _as(client, partner_a)
    assert _count((await client.get("/staff/search/?q=elifcan")).text) == 1

    await _as(client, trainer_a)
    led = (await client.get("/staff/search/?q=yilmaz")).text
    assert _count(led) == 1 and "Zehra Yılmaz" in led
    assert f'href="/staff/cohorts/{group_a}"' in led  # their group: family pages are not theirs
    assert "/staff/families/" not in led and "zehra.home" not in led and "Elifcan" not in led
    for query in ("zehra.home", "Elifcan"):  # only names, as on their attendance lists
        assert _count((await client.get("/staff/search/", params={"q": query})).text) == 0

    await _as(client, idle_trainer)
    assert _count((await client.get("/staff/search/?q=yilmaz")).text) == 0


async def test_wildcards_are_plain_characters(client: httpx.AsyncClient) -> None:
    kita = await make_kita()
    group = await _group(kita)
    for name in ("Anna_Berg", "Ben%Kaya", "Cem\\Demir", "Dora Schmidt", "Emil Bergmann"):
        await _family(group, kita, name)
    await _as(client, await make_staff(Role.coordinator))
    for query, only in (
        ("%", "Ben%Kaya"),
        ("_", "Anna_Berg"),
        ("\\", "Cem\\Demir"),
        ("a_b", "Anna_Berg"),
        ("n%k", "Ben%Kaya"),
    ):
        page = (await client.get("/staff/search/", params={"q": query})).text
        assert _count(page) == 1, query
        assert only.replace("\\", "") in page.replace("\\", ""), query
    assert _count((await client.get("/staff/search/", params={"q": "a%b"})).text) == 0
    assert _count((await client.get("/staff/search/", params={"q": "%%"})).text) == 0


async def test_case_accents_and_scripts_are_matched_as_people_mean_them(
    client: httpx.AsyncClient,
) -> None:
    kita = await make_kita()
    group = await _group(kita)
    await _family(group, kita, "Jürgen MÜLLER", email="J.Mueller@Example.ORG")
    await _family(group, kita, "Gülşen Straßer")
    await _family(group, kita, "ILKAY Öztürk")
    await _family(group, kita, "أحمد محمد")
    await _family(group, kita, "Олена Коваленко")
    await _family(group, kita, "Jana Mueller")  # German "ue" for "ü"
    await _family(group, kita, "Ana Muller")
    await _as(client, await make_staff(Role.coordinator))
    for query, found in (
        ("müller", ["Jürgen MÜLLER", "Jana Mueller", "Ana Muller"]),
        ("mueller", ["Jürgen MÜLLER", "Jana Mueller"]),
        ("muller", ["Jürgen MÜLLER", "Ana Muller"]),
        ("jürgen", ["Jürgen MÜLLER"]),
        ("juergen", ["Jürgen MÜLLER"]),
        ("oeztuerk", ["ILKAY Öztürk"]),
    ):
        page = (await client.get("/staff/search/", params={"q": query})).text
        assert _count(page) == len(found), query
        assert all(name in page for name in found), query
    for query, expected in (
        ("JÜRGEN MÜLLER", "Jürgen MÜLLER"),
        ("j.mueller@example.org", "Jürgen MÜLLER"),
        ("STRASSER", "Gülşen Straßer"),
        ("gülşen", "Gülşen Straßer"),
        ("ılkay", "ILKAY Öztürk"),
        ("ÖZTÜRK", "ILKAY Öztürk"),
        ("محمد", "أحمد محمد"),
        ("коваленко", "Олена Коваленко"),
        ("  jürgen   müller ", "Jürgen MÜLLER"),
        ("gulsen strasser", "Gülşen Straßer"),
        ("ilkay ozturk", "ILKAY Öztürk"),
        ("مُحَمَّد", "أحمد محمد"),  # with vowel marks
    ):
        page = (await client.get("/staff/search/", params={"q": query})).text
        assert _count(page) == 1, query
        assert expected in page, query


async def test_results_come_a_page_at_a_time(client: httpx.AsyncClient) -> None:
    kita = await make_kita()
    group = await _group(kita)
    for number in range(45):
        await _family(group, kita, f"Muster {number:02d}")
    await _family(group, kita, "Somebody Else")
    await _as(client, await make_staff(Role.coordinator))

    first = (await client.get("/staff/search/?q=muster")).text
    assert _count(first) == 45 and "Seite 1 von 3" in first
    assert first.count("Muster ") == 20 and "Muster 00" in first and "Muster 20" not in first
    assert 'rel="next" href="?q=muster&amp;page=2"' in first and 'rel="prev"' not in first
    second = (await client.get("/staff/search/?q=muster&page=2")).text
    assert "Seite 2 von 3" in second and "Muster 20" in second and "Muster 19" not in second
    assert 'rel="prev" href="?q=muster&amp;page=1"' in second
    last = (await client.get("/staff/search/?q=muster&page=3")).text
    assert last.count("Muster ") == 5 and 'rel="next"' not in last

    for beyond in ("4", "99999999999999999999"):
        response = await client.get(f"/staff/search/?q=muster&page={beyond}")
        assert response.status_code == 200
        assert "Seite 3 von 3" in response.text
        assert "Es gibt nur 3 Seiten; dies ist die letzte." in response.text
        assert "Muster 44" in response.text

    for bad in ("abc", "-1", "0", "1.5", "²"):
        response = await client.get("/staff/search/", params={"q": "muster", "page": bad})
        assert response.status_code == 400, bad
        assert "Die Seite ist eine ganze Zahl ab 1." in response.text
        assert "Muster" not in response.text.replace('value="muster"', "")


async def test_a_long_text_is_refused_before_anything_is_read(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    kita = await make_kita()
    await _family(await _group(kita), kita, "A" * 150)
    await _as(client, await make_staff(Role.coordinator))
    assert _count((await client.get("/staff/search/", params={"q": "A" * 100})).text) == 1

    async def no_reading(*args: object) -> None:
        raise AssertionError("a refused search read the families")

    monkeypatch.setattr(search, "_family_matches", no_reading)
    response = await client.get("/staff/search/", params={"q": "A" * 500})
    assert response.status_code == 400
    assert "Bitte höchstens 100 Zeichen als Suchbegriff eingeben." in response.text
    assert 'aria-invalid="true"' in response.text and "Treffer" not in response.text


async def test_an_empty_search_shows_the_empty_page(client: httpx.AsyncClient) -> None:
    kita = await make_kita()
    await _family(await _group(kita), kita, "Anna Leer")
    await _as(client, await make_staff(Role.coordinator))
    for url in ("/staff/search/", "/staff/search/?q=", "/staff/search/?q=+++", "/staff/search"):
        response = await client.get(url)
        assert response.status_code == 200, url
        assert 'name="q"' in response.text
        assert "Treffer" not in response.text and "Anna Leer" not in response.text
    home = await client.get("/staff/")
    assert 'href="/staff/search/"' in home.text


async def test_erased_people_are_never_found_by_their_old_names(
    client: httpx.AsyncClient,
) -> None:
    kita = await make_kita()
    family = await _family(await _group(kita), kita, "Frieda Vergessen", email="frieda@example.org")
    run = await make_public_run()
    registration = await make_person_registration(run, "Paul Vergessen")
    person = (
        await Registration.select(Registration.person).where(Registration.id == registration)
    )[0]["person"]
    await _family(await _group(kita), kita, "Vera Vergessenheit")
    coordinator = await make_staff(Role.coordinator)
    await _as(client, coordinator)
    assert _count((await client.get("/staff/search/?q=vergessen")).text) == 3

    await erase_subject(
        staff=coordinator, kind=SubjectKind.family, subject_id=family, now=FROZEN_NOW
    )
    await erase_subject(
        staff=coordinator, kind=SubjectKind.person, subject_id=person, now=FROZEN_NOW
    )
    assert await Family.count().where(Family.anonymised_at.is_not_null()) == 1
    assert await Person.count().where(Person.anonymised_at.is_not_null()) == 1
    after = (await client.get("/staff/search/?q=vergessen")).text
    assert _count(after) == 1 and "Vera Vergessenheit" in after
    assert _count((await client.get("/staff/search/?q=frieda")).text) == 0


async def test_the_api_searches_within_the_same_scope(client: httpx.AsyncClient) -> None:
    kita_a, kita_b = await make_kita(), await make_kita()
    family_a = await _family(await _group(kita_a), kita_a, "Zehra Öztürk", email="z@example.org")
    await _family(await _group(kita_b), kita_b, "Zeynep Öztürk")
    partner = await make_staff(Role.partner, kita_id=kita_a)
    token = await staff_accounts.create_api_token(account_id=partner.id, name="t", now=FROZEN_NOW)
    headers = {"authorization": f"Bearer {token}"}

    found = (await client.get("/api/v1/search?q=OZTURK", headers=headers)).json()
    assert found["total"] == 1 and found["pages"] == 1 and found["page"] == 1
    [hit] = found["hits"]
    assert hit["kind"] == "family" and hit["id"] == family_a
    assert hit["names"] == ["Zehra Öztürk"] and hit["emails"] == ["z@example.org"]

    long = await client.get("/api/v1/search", params={"q": "x" * 500}, headers=headers)
    assert long.status_code == 400 and "100" in long.text and "q" in long.text
    for bad in ("abc", "-1"):
        refused = await client.get(f"/api/v1/search?q=z&page={bad}", headers=headers)
        assert refused.status_code == 400 and "page" in refused.text
    empty = (await client.get("/api/v1/search?q=", headers=headers)).json()
    assert empty["hits"] == [] and empty["total"] == 0
    assert (await client.get("/api/v1/search?q=z")).status_code == 401
