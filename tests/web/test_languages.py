"""Public pages, mails and certificates in German, English, Turkish and Arabic; staff pages
in German and English. How the language is chosen, right to left for Arabic, dates in the
language, and programme and run texts per language with German as the marked fallback."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import httpx
import icalendar

from programmes.clock import BERLIN
from programmes.domain.catalogue import translations as texts
from programmes.domain.mail import links
from programmes.tables import Cohort, Outbox, Programme, Registration
from programmes.vocabulary import Role
from tests.conftest import FROZEN_NOW
from tests.factories import (
    make_cohort,
    make_programme,
    make_rucksack_group,
    make_session,
    make_staff,
)
from tests.feed_world import build_world
from tests.report_world import build_report_world
from tests.web.helpers import post_form, sign_in


def html_tag(html: str) -> str:
    match = re.search(r"<html[^>]*>", html)
    assert match
    return match.group(0)


async def test_arabic_pages_are_right_to_left_with_a_switch_in_each_languages_own_name(
    client: httpx.AsyncClient,
) -> None:
    world = await build_world()
    response = await client.get(f"/events/{world.training_run}?lang=ar")
    assert response.status_code == 200
    html = response.text
    assert html_tag(html) == '<html lang="ar" dir="rtl">'
    assert "التسجيل" in html and "كل الفعاليات" in html  # "Registration", "All events"
    # the date in Arabic (Babel, Berlin time), the times isolated left to right
    assert "السبت، 27 مارس 2027، \u206609:00–12:00\u2069" in html
    assert f'href="/events/{world.training_run}.ics?lang=ar"' in html
    # the switch: every language in its own name, with lang and hreflang, same page
    for code, name in (("de", "Deutsch"), ("en", "English"), ("tr", "Türkçe")):
        assert (
            f'<a href="/events/{world.training_run}?lang={code}" lang="{code}" dir="ltr" '
            f'hreflang="{code}">{name}</a>'
        ) in html
    assert '<strong aria-current="true" lang="ar" dir="rtl">العربية</strong>' in html
    # the e-mail language of the form offers Arabic and Turkish
    assert '<option value="ar" lang="ar" selected>العربية</option>' in html
    assert '<option value="tr" lang="tr" >Türkçe</option>' in html


async def test_the_switch_keeps_the_query(client: httpx.AsyncClient) -> None:
    html = (await client.get("/?kind=training&lang=tr")).text
    assert 'href="/?kind=training&amp;lang=ar"' in html


async def test_turkish_from_the_browsers_accept_language(client: httpx.AsyncClient) -> None:
    response = await client.get("/", headers={"accept-language": "tr-TR,tr;q=0.9,de;q=0.5"})
    # the page depends on the language asked for (and gzip adds Accept-Encoding)
    assert {"Accept-Language", "Cookie"} <= set(response.headers["vary"].split(", "))
    html = response.text
    assert html_tag(html) == '<html lang="tr" dir="ltr">'
    assert "Yaklaşan tarihler" in html  # "Upcoming dates"
    # q-values count: German preferred over Turkish here
    html = (await client.get("/", headers={"accept-language": "tr;q=0.4, de;q=0.8"})).text
    assert html_tag(html) == '<html lang="de" dir="ltr">'
    # a language the service does not speak: the next one the browser accepts
    html = (await client.get("/", headers={"accept-language": "fr-FR, ar;q=0.7"})).text
    assert html_tag(html) == '<html lang="ar" dir="rtl">'


async def test_the_choice_is_remembered_in_a_cookie(client: httpx.AsyncClient) -> None:
    world = await build_world()
    response = await client.get("/?lang=ar", headers={"accept-language": "de"})
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("programmes_lang=ar;")
    assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
    # the cookie beats the browser's header, and a calendar file sets no cookie
    again = await client.get(f"/events/{world.info_run}", headers={"accept-language": "tr"})
    assert html_tag(again.text) == '<html lang="ar" dir="rtl">'
    calendar = await client.get(f"/events/{world.info_run}.ics?lang=tr")
    assert calendar.status_code == 200 and "set-cookie" not in calendar.headers
    assert "programmes_lang" not in calendar.headers.get("set-cookie", "")
    # switching again replaces it
    await client.get("/?lang=tr")
    assert html_tag((await client.get("/")).text) == '<html lang="tr" dir="ltr">'


async def test_an_unknown_language_is_german_and_says_so(client: httpx.AsyncClient) -> None:
    response = await client.get("/?lang=xx")
    assert response.status_code == 200
    assert html_tag(response.text) == '<html lang="de" dir="ltr">'
    assert "Die Sprache „xx“ gibt es hier nicht; diese Seite ist auf Deutsch." in response.text
    assert "programmes_lang" not in response.headers.get("set-cookie", "")
    hostile = (await client.get("/?lang=<script>")).text
    assert "<script>" not in hostile and "&lt;script&gt;" in hostile


async def test_staff_pages_speak_german_and_english_only(client: httpx.AsyncClient) -> None:
    response = await client.get("/staff/login?lang=tr")
    assert html_tag(response.text) == '<html lang="de" dir="ltr">'
    assert "Die Sprache „tr“ gibt es hier nicht; diese Seite ist auf Deutsch." in response.text
    assert 'hreflang="tr"' not in response.text and 'hreflang="en"' in response.text
    # a Turkish visitor of the public pages gets German staff pages; English if the
    # browser accepts it
    await client.get("/?lang=tr")
    assert html_tag((await client.get("/staff/login")).text) == '<html lang="de" dir="ltr">'
    english = await client.get("/staff/login", headers={"accept-language": "tr, en;q=0.5"})
    assert html_tag(english.text) == '<html lang="en" dir="ltr">'


async def test_a_registration_in_arabic_gets_its_mail_in_arabic(
    client: httpx.AsyncClient,
) -> None:
    programme = await make_programme(title="Elternabend Sprache")
    await Programme.update(
        {Programme.translations: texts.stored({"ar": {"title": "أمسية الآباء عن اللغة"}})}
    ).where(Programme.id == programme)
    cohort = await make_cohort(programme)
    await Cohort.update({Cohort.title: "Elternabend Sprache"}).where(Cohort.id == cohort)
    await make_session(cohort, starts_at=datetime(2026, 12, 31, 17, tzinfo=BERLIN))
    response = await post_form(
        client,
        f"/events/{cohort}?lang=ar",
        f"/events/{cohort}/register?lang=ar",
        {"name": "Fatima Al-Ali", "email": "fatima@example.org", "consent": "on"},
    )
    assert response.status_code == 200
    assert "تم تسجيلك." in response.text  # "You are registered."
    registration = await Registration.select(Registration.language).first()
    assert registration is not None and registration["language"] == "ar"
    (mail,) = await Outbox.select(Outbox.subject, Outbox.body_text, Outbox.language)
    assert mail["language"] == "ar"
    assert mail["subject"] == "تم تأكيد التسجيل: \u2068أمسية الآباء عن اللغة\u2069"
    body = mail["body_text"]
    assert body.startswith("مرحبًا،")
    assert "1 مقعد محجوز لك." in body
    # the date in Arabic, the times kept left to right inside the Arabic line
    assert "الخميس، 31 ديسمبر 2026، \u206617:00–19:00\u2069" in body
    # the cancel link's page, in Arabic with the Arabic title
    match = re.search(r"http://testserver(/events/cancel/\S+)", links.fill(body))
    assert match
    cancel = (await client.get(match.group(1))).text
    assert html_tag(cancel) == '<html lang="ar" dir="rtl">'
    assert "<strong><bdi>أمسية الآباء عن اللغة</bdi></strong>" in cancel
    assert "نعم، ألغِ تسجيلي" in cancel  # "Yes, cancel my registration"


async def test_the_mail_language_is_chosen_on_the_form(client: httpx.AsyncClient) -> None:
    programme = await make_programme(title="Infoabend")
    cohort = await make_cohort(programme)
    await make_session(cohort, starts_at=datetime(2026, 12, 31, 17, tzinfo=BERLIN))
    response = await post_form(
        client,
        f"/events/{cohort}",
        f"/events/{cohort}/register",
        {"name": "Ayşe", "email": "ayse@example.org", "consent": "on", "language": "tr"},
    )
    assert response.status_code == 200
    assert "Sie sind angemeldet." in response.text  # the page stays German
    (mail,) = await Outbox.select(Outbox.subject, Outbox.body_text, Outbox.language)
    assert mail["language"] == "tr"
    assert mail["subject"].startswith("Kayıt onaylandı: ")
    assert "31 Aralık 2026 Perşembe, 17:00 – 19:00" in mail["body_text"]


async def test_a_certificate_in_turkish(client: httpx.AsyncClient) -> None:
    world = await build_report_world()
    await sign_in(client, world.coordinator.email)
    html = (await client.get(f"/staff/cohorts/{world.a1}/certificates?language=tr")).text
    assert html_tag(html) == '<html lang="tr" dir="ltr">'
    assert "Katılım belgesi" in html and "Bu belge ile onaylıyoruz ki" in html
    assert "Teilnahmebescheinigung" not in html
    assert re.search(
        r"\d+ (Ocak|Şubat|Mart|Nisan|Mayıs|Haziran|Temmuz|Ağustos|Eylül|Ekim|Kasım|Aralık) 20\d\d",
        html,
    )
    arabic = (await client.get(f"/staff/cohorts/{world.a1}/certificates?language=ar")).text
    assert html_tag(arabic) == '<html lang="ar" dir="rtl">' and "شهادة مشاركة" in arabic
    german = (await client.get(f"/staff/cohorts/{world.a1}/certificates")).text
    assert "Teilnahmebescheinigung" in german and "Hiermit bestätigen wir, dass" in german
    # the links to the other languages
    assert '<a href="?language=tr" lang="tr" dir="ltr" hreflang="tr">Türkçe</a>' in german


async def test_texts_per_language_fall_back_to_german_marked_as_german(
    client: httpx.AsyncClient,
) -> None:
    world = await build_world()
    await Programme.update(
        {Programme.translations: texts.stored({"tr": {"title": "Ayrımcılığı tanımak"}})}
    ).where(Programme.id == world.training)
    await Cohort.update(
        {Cohort.translations: texts.stored({"tr": {"title": "İlkbahar 2027"}})}
    ).where(Cohort.id == world.training_run)

    turkish = (await client.get("/?lang=tr")).text
    training = f'<a href="/events/{world.training_run}"><bdi>'
    info = f'<a href="/events/{world.info_run}"><bdi>'
    # each card's heading links to its event page
    assert f"<h3>{training}Ayrımcılığı tanımak</bdi></a></h3>" in turkish
    assert '<p class="run-title"><bdi>İlkbahar 2027</bdi></p>' in turkish
    # a programme without a Turkish title: German, marked as German
    assert f'<h3 lang="de">{info}Elterncafé: Schule in NRW</bdi></a></h3>' in turkish

    arabic = (await client.get("/?lang=ar")).text
    assert f'<h3 lang="de">{training}Diskriminierung erkennen</bdi></a></h3>' in arabic
    assert '<p class="run-title" lang="de"><bdi>Frühjahr 2027</bdi></p>' in arabic

    # English: the English title, the run's German title apart and marked (not glued)
    english = (await client.get("/?lang=en")).text
    assert f"<h3>{training}Recognising discrimination</bdi></a></h3>" in english
    assert '<p class="run-title" lang="de"><bdi>Frühjahr 2027</bdi></p>' in english
    assert "Recognising discrimination – Frühjahr 2027" not in english

    event = (await client.get(f"/events/{world.training_run}?lang=tr")).text
    assert "<h1><bdi>İlkbahar 2027</bdi></h1>" in event
    event = (await client.get(f"/events/{world.training_run}?lang=ar")).text
    assert '<h1 lang="de"><bdi>Frühjahr 2027</bdi></h1>' in event

    # the calendar feeds too
    feed = icalendar.Calendar.from_ical((await client.get("/feeds/public.ics?lang=tr")).content)
    summaries = {str(event["SUMMARY"]) for event in feed.walk("VEVENT")}
    assert "Ayrımcılığı tanımak – İlkbahar 2027" in summaries
    assert "Elterncafé: Schule in NRW – Dezember" in summaries  # no Turkish title: German


async def test_coordinators_enter_titles_per_language(client: httpx.AsyncClient) -> None:
    world = await build_world()
    await sign_in(client, world.coordinator.email)
    page = f"/staff/programmes/{world.info_event}"
    form = (await client.get(page)).text
    assert 'name="title_tr"' in form and 'name="summary_ar"' in form
    base = {
        "kind": "info_event",
        "title": "Elterncafé: Schule in NRW",
        "certificate_threshold_percent": "75",
        "is_public": "on",
    }
    response = await post_form(
        client,
        page,
        page,
        {**base, "title_tr": "Veli kafesi: NRW'de okul", "summary_ar": "لقاء للآباء والأمهات"},
    )
    assert response.status_code == 303, response.text
    row = await Programme.select(Programme.translations).where(Programme.id == world.info_event)
    assert texts.parse(row[0]["translations"]) == {
        "tr": {"title": "Veli kafesi: NRW'de okul"},
        "ar": {"summary": "لقاء للآباء والأمهات"},
    }
    assert "Veli kafesi: NRW&#39;de okul" in (await client.get("/?lang=tr")).text

    # too long: a clear error naming the field, nothing stored
    response = await post_form(client, page, page, {**base, "title_tr": "x" * 201})
    assert response.status_code == 422
    assert "title_tr" in response.text and "Bitte höchstens 200 Zeichen." in response.text
    row = await Programme.select(Programme.translations).where(Programme.id == world.info_event)
    assert texts.parse(row[0]["translations"])["tr"] == {"title": "Veli kafesi: NRW'de okul"}

    # a run's title per language
    cohort_page = f"/staff/cohorts/{world.info_run}/edit"
    form = (await client.get(cohort_page)).text
    assert 'name="title_en"' in form and 'name="title_ar"' in form


async def test_long_arabic_titles_wrap_on_a_phone(client: httpx.AsyncClient) -> None:
    css = (await client.get("/static/app.css")).text
    assert "overflow-wrap: anywhere" in css and "min-width: 0" in css
    # logical properties only: the page mirrors for Arabic
    assert not re.search(r"(margin|padding|border)-(left|right)\b|[^-]\b(left|right):", css)
    assert "text-align: start" in css
    start = FROZEN_NOW + timedelta(days=3)
    programme = await make_programme(title="ت" * 200)
    cohort = await make_cohort(programme)
    await Cohort.update({Cohort.title: "ت" * 200}).where(Cohort.id == cohort)
    await make_session(cohort, starts_at=start)
    html = (await client.get(f"/events/{cohort}?lang=ar")).text
    assert "ت" * 200 in html


async def test_a_cancelled_date_reaches_a_turkish_registrant_in_turkish(
    client: httpx.AsyncClient,
) -> None:
    world = await build_world()
    await Programme.update(
        {Programme.translations: texts.stored({"tr": {"title": "Veli kafesi"}})}
    ).where(Programme.id == world.info_event)
    await Cohort.update({Cohort.translations: texts.stored({"tr": {"title": "Aralık"}})}).where(
        Cohort.id == world.info_run
    )
    response = await post_form(
        client,
        f"/events/{world.info_run}",
        f"/events/{world.info_run}/register",
        {"name": "Ayşe", "email": "ayse@example.org", "consent": "on", "language": "tr"},
    )
    assert response.status_code == 200
    await Outbox.delete(force=True)
    await sign_in(client, world.coordinator.email)
    session = world.sessions["info"][0]
    page = f"/staff/sessions/{session}/"
    response = await post_form(
        client,
        page,
        f"/staff/sessions/{session}/cancel",
        {"reason": "Krankheit", "confirmed": "yes"},
    )
    assert response.status_code == 303, response.text
    (mail,) = await Outbox.select(Outbox.subject, Outbox.body_text, Outbox.language).where(
        Outbox.to_address == "ayse@example.org"
    )
    assert mail["language"] == "tr"
    assert mail["subject"] == "İptal edildi: Aralık"
    assert "3 Aralık 2026 Perşembe, 18:00" in mail["body_text"]


async def test_a_kita_partner_enrols_a_family_whose_mails_are_turkish(
    client: httpx.AsyncClient,
) -> None:
    kita, cohort = await make_rucksack_group(capacity=5)
    partner = await make_staff(Role.partner, kita_id=kita)
    await sign_in(client, partner.email)
    page = f"/staff/cohorts/{cohort}/families"
    form = (await client.get(page)).text
    assert '<option value="tr" lang="tr" >Türkçe</option>' in form  # staff page, yet offered
    assert '<option value="ar" lang="ar" >العربية</option>' in form
    key = re.search(r'name="form_key" value="([^"]+)"', form)
    assert key
    family = {
        "g0_name": "Ayşe Yılmaz",
        "g0_languages": "Türkisch",
        "g0_email": "ayse.yilmaz@example.org",
        "c0_first_name": "Elif",
        "c0_date_of_birth": "2021-08-01",
        "consent_method": "paper",
        "consent_given_on": "2026-11-20",
        "language": "tr",
        "form_key": key.group(1),
    }
    response = await post_form(client, page, page, family)
    assert response.status_code == 303, response.text[:2000]
    registration = await Registration.select(Registration.language).first()
    assert registration is not None and registration["language"] == "tr"
    mails = await Outbox.select(Outbox.subject, Outbox.language).where(
        Outbox.to_address == "ayse.yilmaz@example.org"
    )
    assert mails and all(mail["language"] == "tr" for mail in mails)
    assert mails[0]["subject"].startswith(("Kayıt onaylandı: ", "Bekleme listesi: "))
    # the family's page keeps Turkish chosen (a correction does not reset it to German)
    family_page = (await client.get(response.headers["location"])).text
    assert '<option value="tr" lang="tr" selected>Türkçe</option>' in family_page


async def test_pages_the_router_refuses_speak_the_readers_language(
    client: httpx.AsyncClient,
) -> None:
    """No page at the address, a method the address does not take, a role that may not:
    a sentence in the page's language, never Litestar's English status phrase."""
    cases = [
        ("de", "GET", "/gibt-es-nicht", 404, "Unter dieser Adresse gibt es keine Seite"),
        ("ar", "GET", "/gibt-es-nicht", 404, "لا توجد صفحة على هذا العنوان"),
        ("tr", "GET", "/gibt-es-nicht", 404, "Bu adreste bir sayfa yok"),
        ("de", "DELETE", "/", 405, "Diese Adresse lässt sich so nicht verwenden"),
    ]
    for language, method, path, status, words in cases:
        response = await client.request(method, f"{path}?lang={language}")
        assert response.status_code == status, (language, path)
        assert words in response.text, (language, path)
        for english in ("Not Found", "Method Not Allowed"):
            assert english not in response.text, (language, path)

    await make_staff(email="trainerin@example.org", role=Role.trainer)
    await sign_in(client, "trainerin@example.org")
    refused = await client.get("/staff/accounts?lang=de")
    assert refused.status_code == 403
    assert "Das darf Ihre Rolle nicht." in refused.text
    assert "Your role may not do this." not in refused.text
