"""The coordinators' back office: piccolo-admin, built once and mounted at /admin/.

It signs in against the same `Account` table and `SessionsBase` sessions as the staff
pages, so a coordinator who signed in at /staff/login is signed in here too. Our guard
lets only coordinators through (others get 403, anonymous visitors the sign-in page);
piccolo-admin's own check (`admin` flag) is a second line. Edits made here set
`updated_at` (and raise a changed session's `sequence`) like the service's own changes, so
calendar feeds and subscribed calendars pick them up, and are audited
(`domain/catalogue/back_office.py`).

The office works in German: the admin's own texts are German (its built-in translation),
tables sit in German menu groups, and column headings are German (`COLUMN_LABELS`; piccolo
has no per-column display name, so the mount rewrites the titles of the table schemas the
admin's pages read). Rows that other rows point to name themselves (`get_readable` on the
tables), so a cohort shows its programme's title rather than its id, and the sidebar links
back to the staff pages.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any, Final

from litestar import asgi
from litestar.enums import ScopeType
from litestar.handlers.asgi_handlers import ASGIRouteHandler
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from piccolo.table import Table
from piccolo_admin.endpoints import TableConfig, create_admin
from piccolo_admin.translations.data import ENGLISH, GERMAN
from piccolo_api.crud.hooks import Hook, HookType
from piccolo_api.session_auth.tables import SessionsBase

from programmes.clock import Clock, system_clock
from programmes.domain.catalogue import back_office
from programmes.settings import Settings
from programmes.tables import (
    Account,
    ApiToken,
    Attendance,
    AuditEvent,
    Child,
    ClosureDay,
    Cohort,
    CohortTrainer,
    Family,
    FeedToken,
    Guardian,
    Kita,
    Outbox,
    Person,
    Place,
    Programme,
    Registration,
    Session,
)
from programmes.web.guards import requires_coordinator

#: The tables of the back office, by German menu group.
MENU_GROUPS: Final[dict[str, list[type[Table]]]] = {
    "Angebote": [Programme, Cohort, CohortTrainer, Session],
    "KiTas und Orte": [Kita, ClosureDay, Place],
    "Teilnehmende": [Family, Guardian, Child, Person, Registration, Attendance],
    "Mitarbeitende": [Account, ApiToken, FeedToken],
    "Protokolle": [AuditEvent, Outbox],
}
ADMIN_TABLES: list[type[Table]] = [table for tables in MENU_GROUPS.values() for table in tables]
_GROUP_OF: Final = {table: group for group, tables in MENU_GROUPS.items() for table in tables}

#: German column headings; a (table, column) entry wins over a column's general one.
COLUMN_LABELS: Final[dict[str, str]] = {
    "id": "Nr.",
    "kind": "Art",
    "title": "Titel",
    "title_en": "Titel (Englisch)",
    "summary": "Beschreibung",
    "summary_en": "Beschreibung (Englisch)",
    "translations": "Übersetzungen",
    "audience": "Für wen",
    "cost": "Kosten",
    "is_public": "Öffentlich",
    "status": "Status",
    "min_age_years": "Jüngstes Kind (Jahre)",
    "max_age_years": "Ältestes Kind (Jahre)",
    "certificate_threshold_percent": "Bescheinigung ab (%)",
    "themes": "Themen",
    "created_at": "Angelegt am",
    "updated_at": "Geändert am",
    "programme": "Angebot",
    "kita": "KiTa",
    "language": "Sprache",
    "languages": "Sprachen",
    "location": "Ort",
    "capacity": "Plätze",
    "seats_taken": "Belegte Plätze",
    "waiting_counter": "Wartelisten-Zähler",
    "max_seats_per_registration": "Höchstens Plätze je Anmeldung",
    "registration_opens_at": "Anmeldung ab",
    "registration_closes_at": "Anmeldung bis",
    "schedule_rule": "Terminregel",
    "cohort": "Gruppe",
    "trainer": "Elternbegleitung",
    "starts_at": "Beginn",
    "ends_at": "Ende",
    "theme": "Thema",
    "note": "Notiz",
    "cancel_reason": "Ausfallgrund",
    "substitute": "Vertretung",
    "sequence": "Kalender-Version",
    "name": "Name",
    "address": "Adresse",
    "closures_ical_url": "Schließtage-Kalender (URL)",
    "calendar_pause": "Pause in Trägerkalendern (inherit/pause/meet)",
    "archived_at": "Archiviert am",
    "first_day": "Erster Tag",
    "last_day": "Letzter Tag",
    "reason": "Grund",
    "source": "Quelle",
    "source_uid": "Quell-Kennung",
    "family": "Familie",
    "person": "Person",
    "anonymised_at": "Anonymisiert am",
    "phone": "Telefon",
    "email": "E-Mail",
    "reach_via_kita": "Erreichbar über die KiTa",
    "first_name": "Vorname",
    "last_name": "Nachname",
    "date_of_birth": "Geburtsdatum",
    "seats": "Plätze",
    "waiting_position": "Wartelistenplatz",
    "needs": "Bedarfe",
    "cancel_token_hash": "Storno-Schlüssel (Hash)",
    "dedupe_key": "Doppel-Schutz",
    "consent_notice_version": "Fassung des Datenschutzhinweises",
    "consent_method": "Einwilligung per",
    "consent_given_on": "Einwilligung am",
    "consent_recorded_by": "Einwilligung erfasst von",
    "cancelled_at": "Storniert am",
    "consent_withdrawn_at": "Einwilligung widerrufen am",
    "session": "Termin",
    "registration": "Anmeldung",
    "mark": "Anwesenheit",
    "recorded_by": "Erfasst von",
    "recorded_at": "Erfasst am",
    "username": "E-Mail (Anmeldename)",
    "password": "Passwort",
    "active": "Aktiv",
    "admin": "Backoffice-Zugang",
    "superuser": "Alle Rechte",
    "role": "Rolle",
    "last_login": "Letzte Anmeldung",
    "account": "Konto",
    "token_hash": "Schlüssel (Hash)",
    "revoked_at": "Widerrufen am",
    "last_used_at": "Zuletzt benutzt",
    "actor": "Wer",
    "action": "Aktion",
    "object_type": "Art des Eintrags",
    "object_id": "Nr. des Eintrags",
    "detail": "Einzelheiten",
    "at": "Zeitpunkt",
    "recipient": "Empfänger",
    "subject": "Betreff",
    "attempts": "Versuche",
    "sent_at": "Gesendet am",
    "message_id": "Nachrichten-Kennung",
    "to_address": "An",
    "body_text": "Text",
    "attachment_name": "Anhang (Name)",
    "attachment": "Anhang",
    "attachment_type": "Anhang (Typ)",
    "related_type": "Bezieht sich auf (Art)",
    "related_id": "Bezieht sich auf (Nr.)",
    "next_attempt_at": "Nächster Versuch",
    "last_error": "Letzter Fehler",
    "claimed_until": "In Arbeit bis",
    "failed_at": "Endgültig gescheitert am",
    "place": "Ort (Adresse)",
    "street": "Straße",
    "postcode": "Postleitzahl",
    "town": "Ort",
    "latitude": "Breitengrad",
    "longitude": "Längengrad",
    "public_cancel_note": "Hinweis zur Absage (öffentlich)",
    "reminder_minutes": "Erinnerung (Minuten vorher)",
}
_TABLE_COLUMN_LABELS: Final[dict[tuple[str, str], str]] = {
    ("cohort", "title"): "Gruppe",
    ("programme", "title"): "Angebot",
    ("account", "first_name"): "Name",
    ("account", "email"): "E-Mail (weitere)",
}
_SCHEMA_PATH: Final = re.compile(r"/api/tables/([a-z_]+)/schema/?$")


def build_admin(settings: Settings) -> ASGIApp:
    return _admin(production=settings.secure_cookies, host=settings.host)


def _clock(request: Any) -> Clock:
    """The app's clock (tests freeze it): piccolo-admin runs inside our app, whose scope it
    keeps; the admin itself is built once per process, before any app exists."""
    app = request.scope.get("litestar_app")
    return app.state.clock if app is not None else system_clock  # type: ignore[no-any-return]


def _actor_id(request: Any) -> int | None:
    """The signed-in coordinator (piccolo-admin's session user wraps our Account row)."""
    user = getattr(request, "user", None)
    return getattr(user, "user_id", None)


def _table_config(table: type[Table]) -> TableConfig:
    stamped = back_office.has_change_stamp(table)

    async def on_create(row: Table, request: Any) -> Table:
        now = _clock(request)()
        if stamped:
            row = back_office.stamp_new_row(row, now=now)
        fields = [c._meta.name for c in table._meta.columns if c._meta.name != "id"]
        await back_office.audit_edit(
            table, None, fields, action="created", actor_id=_actor_id(request), now=now
        )
        return row

    async def on_edit(row_id: Any, values: dict[Any, Any], request: Any) -> dict[Any, Any]:
        now = _clock(request)()
        await back_office.audit_edit(
            table, row_id, values, action="edited", actor_id=_actor_id(request), now=now
        )
        return await back_office.stamp_edit(table, row_id, values, now=now) if stamped else values

    async def on_delete(row_id: Any, request: Any) -> None:
        await back_office.audit_edit(
            table, row_id, [], action="deleted", actor_id=_actor_id(request), now=_clock(request)()
        )

    return TableConfig(
        table,
        menu_group=_GROUP_OF[table],
        hooks=[
            Hook(HookType.pre_save, on_create),
            Hook(HookType.pre_patch, on_edit),
            Hook(HookType.pre_delete, on_delete),
        ],
    )


@lru_cache(maxsize=4)
def _admin(*, production: bool, host: str) -> ASGIApp:
    """Building piccolo-admin takes most of a second, so it is built once per process; it
    reaches the database through the tables, which follow the configured engine."""
    return create_admin(  # type: ignore[no-any-return]
        tables=[_table_config(table) for table in ADMIN_TABLES],
        auth_table=Account,
        session_table=SessionsBase,
        site_name="Programme – Backoffice",
        default_language_code="de",
        translations=[GERMAN, ENGLISH],
        sidebar_links={"← Zurück zum Mitarbeiterbereich": "/staff/"},
        production=production,
        allowed_hosts=[host],
    )


def column_label(table: str, column: str) -> str | None:
    """The German heading of a table's column, if we have one."""
    return _TABLE_COLUMN_LABELS.get((table, column)) or COLUMN_LABELS.get(column)


def german_schema(table: str, schema: dict[str, Any]) -> dict[str, Any]:
    """A table schema as piccolo-admin serves it, with German titles on its columns (the
    admin shows a column's `title` as its heading and form label)."""
    for name, field in (schema.get("properties") or {}).items():
        label = column_label(table, name)
        if label is not None and isinstance(field, dict):
            field["title"] = label
    return schema


def admin_route(admin: ASGIApp) -> ASGIRouteHandler:
    @asgi("/admin", is_mount=True, copy_scope=True, guards=[requires_coordinator])
    async def back_office(scope: Scope, receive: Receive, send: Send) -> None:
        match = (
            _SCHEMA_PATH.search(scope.get("path", "")) if scope["type"] == ScopeType.HTTP else None
        )
        if match is None or scope.get("method") != "GET":
            await admin(scope, receive, send)
            return
        await admin(scope, receive, _rewriting_schema(match.group(1), send))

    return back_office


def _rewriting_schema(table: str, send: Send) -> Send:
    """A `send` that holds a schema answer back until it is complete, then passes it on
    with German column titles (and the new length)."""
    start: dict[str, Any] = {}
    body = bytearray()

    async def rewriting_send(message: Message) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
            return
        if message["type"] != "http.response.body":
            await send(message)
            return
        body.extend(message.get("body", b""))
        if message.get("more_body", False):
            return
        content = bytes(body)
        if start.get("status") == 200:
            try:
                content = json.dumps(german_schema(table, json.loads(content))).encode()
            except (ValueError, TypeError):
                content = bytes(body)
        headers = [
            (key, value)
            for key, value in start.get("headers", [])
            if key.lower() != b"content-length"
        ]
        headers.append((b"content-length", str(len(content)).encode()))
        await send({**start, "headers": headers})  # type: ignore[arg-type]
        await send({"type": "http.response.body", "body": content, "more_body": False})

    return rewriting_send
