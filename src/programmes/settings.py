"""The one place that reads the environment.

`load_settings()` turns `PROGRAMMES_*` variables into a frozen `Settings`. Every bad value
raises `SettingsError`, whose text is one line naming the variable; the CLI prints it and
exits with status 2, so nobody ever sees a traceback for a typo in a URL.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parseaddr
from enum import StrEnum
from pathlib import Path
from urllib.parse import SplitResult, parse_qs, unquote, urlsplit

DEFAULT_DATABASE_URL = "sqlite:///programmes.sqlite"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
DEFAULT_MAIL_FROM = "programme@hausderkulturen.example"
SECRET_FILE_NAME = ".programmes-secret"  # noqa: S105 (a file name, not a secret)
MIN_SECRET_LENGTH = 32
#: Calendar feeds show sessions from this many days back to this many days ahead.
DEFAULT_FEED_DAYS_BACK = 30
DEFAULT_FEED_DAYS_AHEAD = 400
MAX_FEED_DAYS = 3660


class SettingsError(Exception):
    """A configuration value is missing or wrong; the message names the variable."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(f"{variable}: {problem}")
        self.variable = variable


class Mode(StrEnum):
    development = "development"
    production = "production"
    test = "test"


@dataclass(frozen=True)
class DatabaseConfig:
    """Where the data lives. `sqlite_path` is set for SQLite, `dsn` for PostgreSQL."""

    url: str
    engine: str  # "sqlite" or "postgres"
    sqlite_path: Path | None = None
    dsn: str | None = None

    @property
    def is_sqlite(self) -> bool:
        return self.engine == "sqlite"

    @property
    def display(self) -> str:
        """The URL without a password, for messages and logs."""
        parts = urlsplit(self.url)
        if parts.password:
            netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
            return parts._replace(netloc=netloc).geturl()
        return self.url


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    username: str | None
    password: str | None
    use_tls: bool  # implicit TLS (smtps://)
    starttls: bool
    sender: str


@dataclass(frozen=True)
class RateLimit:
    """At most `hits` within `minutes`, per client address."""

    hits: int
    minutes: int


DEFAULT_IMPRINT_ADDRESS = "Beispielstraße 1, 45699 Herten"
DEFAULT_IMPRINT_PHONE = "+49 2366 000000"
DEFAULT_IMPRINT_EMAIL = "integration@hausderkulturen.example"


@dataclass(frozen=True)
class Imprint:
    """Who runs the service and how to reach them, as the imprint (§ 5 DDG) and the
    privacy notice name them. The organisation's name is `Settings.organisation_name`."""

    address: str = DEFAULT_IMPRINT_ADDRESS
    phone: str = DEFAULT_IMPRINT_PHONE
    email: str = DEFAULT_IMPRINT_EMAIL


@dataclass(frozen=True)
class Settings:
    mode: Mode
    database: DatabaseConfig
    secret_key: str
    base_url: str
    smtp: SmtpConfig | None
    organisation_name: str
    privacy_notice_version: str
    registration_limit: RateLimit | None
    #: Whether closure calendars may be imported from loopback, private or link-local
    #: addresses. Off by default: coordinators type these addresses, and the server must
    #: not become a way to read the office network (SSRF). Tests turn it on for 127.0.0.1.
    allow_private_calendar_hosts: bool = False
    feed_days_back: int = DEFAULT_FEED_DAYS_BACK
    feed_days_ahead: int = DEFAULT_FEED_DAYS_AHEAD
    #: Where large batches of calendar entries are rendered: "process" (a helper process
    #: per server process, at low priority; see domain/feeds/render_pool.py) or "thread" (the
    #: rebuild's worker thread; tests use it, as they start many apps).
    feed_renderer: str = "process"
    #: Retention (domain/privacy/retention.py): public registrants are anonymised this many
    #: days after their runs' last session, families this many months after their cohorts',
    #: and sent mails lose address and text this many days after sending.
    retention_public_days: int = 30
    retention_family_months: int = 24
    retention_mail_days: int = 30
    #: Whether each server process runs retention once a day (on in production by default).
    retention_daily: bool = False
    #: Host names the server answers to besides the base URL's and loopback (e.g. a load
    #: balancer's health check by IP); any other Host header gets 400.
    extra_hosts: tuple[str, ...] = ()
    #: Whether each server process shares its event loop fairly between calendar files,
    #: changes and pages (web/fair_share.py). On by default; off only to measure without.
    fair_share: bool = True
    #: A folder for the write transactions' hold times (bench/mixed.py; see hold_times.py).
    hold_times_folder: Path | None = None
    #: The imprint and contact page (/impressum) and the privacy notice's controller.
    imprint: Imprint = Imprint()

    @property
    def host(self) -> str:
        """Host name of the public base URL (used in calendar UIDs)."""
        return urlsplit(self.base_url).hostname or "localhost"

    @property
    def allowed_hosts(self) -> list[str]:
        """The Host headers served: the base URL's host, loopback names, and the extra ones."""
        return sorted({self.host, "localhost", "127.0.0.1", "[::1]", *self.extra_hosts})

    @property
    def secure_cookies(self) -> bool:
        return self.base_url.startswith("https://")


def load_settings(
    environ: Mapping[str, str] | None = None, *, workdir: Path | None = None
) -> Settings:
    """Read and check every setting; raise `SettingsError` naming the first bad one."""
    env = os.environ if environ is None else environ
    cwd = workdir or Path.cwd()
    mode = _parse_mode(env.get("PROGRAMMES_ENV", "development"))
    return Settings(
        mode=mode,
        database=parse_database_url(env.get("PROGRAMMES_DATABASE_URL") or DEFAULT_DATABASE_URL),
        secret_key=_secret_key(env.get("PROGRAMMES_SECRET_KEY"), mode, cwd),
        base_url=_parse_base_url(env.get("PROGRAMMES_BASE_URL") or DEFAULT_BASE_URL),
        smtp=_parse_smtp_url(env.get("PROGRAMMES_SMTP_URL") or None, env),
        organisation_name=(
            env.get("PROGRAMMES_ORGANISATION") or "Haus der Kulturen Herten"
        ).strip(),
        privacy_notice_version=(env.get("PROGRAMMES_PRIVACY_NOTICE_VERSION") or "2026-09").strip(),
        registration_limit=_parse_rate_limit(
            env.get("PROGRAMMES_REGISTRATION_LIMIT", "30/10"), "PROGRAMMES_REGISTRATION_LIMIT"
        ),
        allow_private_calendar_hosts=_parse_flag(
            "PROGRAMMES_ALLOW_PRIVATE_CALENDAR_HOSTS",
            env.get("PROGRAMMES_ALLOW_PRIVATE_CALENDAR_HOSTS"),
        ),
        feed_days_back=_parse_days(
            env, "PROGRAMMES_FEED_DAYS_BACK", DEFAULT_FEED_DAYS_BACK, minimum=0
        ),
        feed_days_ahead=_parse_days(
            env, "PROGRAMMES_FEED_DAYS_AHEAD", DEFAULT_FEED_DAYS_AHEAD, minimum=1
        ),
        feed_renderer=_parse_choice(
            env, "PROGRAMMES_FEED_RENDERER", FEED_RENDERERS, default="process"
        ),
        retention_public_days=_parse_days(env, "PROGRAMMES_RETENTION_PUBLIC_DAYS", 30, minimum=0),
        retention_family_months=_parse_days(
            env, "PROGRAMMES_RETENTION_FAMILY_MONTHS", 24, minimum=1, maximum=120, unit="months"
        ),
        retention_mail_days=_parse_days(env, "PROGRAMMES_RETENTION_MAIL_DAYS", 30, minimum=0),
        extra_hosts=_parse_hosts(env.get("PROGRAMMES_ALLOWED_HOSTS", "")),
        retention_daily=_parse_flag(
            "PROGRAMMES_RETENTION_DAILY",
            env.get("PROGRAMMES_RETENTION_DAILY")
            or ("true" if mode is Mode.production else "false"),
        ),
        fair_share=_parse_flag("PROGRAMMES_FAIR_SHARE", env.get("PROGRAMMES_FAIR_SHARE") or "true"),
        hold_times_folder=Path(env["PROGRAMMES_HOLD_TIMES"]).resolve()
        if env.get("PROGRAMMES_HOLD_TIMES")
        else None,
        imprint=Imprint(
            address=_one_line(env, "PROGRAMMES_IMPRINT_ADDRESS", DEFAULT_IMPRINT_ADDRESS),
            phone=_one_line(env, "PROGRAMMES_IMPRINT_PHONE", DEFAULT_IMPRINT_PHONE),
            email=_imprint_email(env.get("PROGRAMMES_IMPRINT_EMAIL")),
        ),
    )


def _one_line(env: Mapping[str, str], var: str, default: str) -> str:
    """A short line of text for a public page; unset or blank: default."""
    text = (env.get(var) or "").strip()
    if not text:
        return default
    if len(text) > 300 or any(ord(c) < 32 for c in text):
        raise SettingsError(var, "must be one line of at most 300 characters")
    return text


def _imprint_email(value: str | None) -> str:
    text = (value or "").strip()
    if not text:
        return DEFAULT_IMPRINT_EMAIL
    name, address = parseaddr(text)
    if name or address != text or "@" not in address or any(c.isspace() for c in address):
        raise SettingsError("PROGRAMMES_IMPRINT_EMAIL", f"must be one e-mail address, not {text!r}")
    return address


def _parse_rate_limit(value: str, var: str) -> RateLimit | None:
    """ "30/10" = 30 per 10 minutes; "off" or "0" disables the limit."""
    value = value.strip().lower()
    if value in ("off", "0", ""):
        return None
    hits, _, minutes = value.partition("/")
    try:
        limit = RateLimit(hits=int(hits), minutes=int(minutes or "1"))
    except ValueError:
        raise SettingsError(
            var, f"must look like 30/10 (hits per minutes) or off, not {value!r}"
        ) from None
    if limit.hits < 1 or not 1 <= limit.minutes <= 24 * 60:
        raise SettingsError(var, "needs at least 1 hit per 1 to 1440 minutes")
    return limit


_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"", "0", "false", "no", "off"})


def _parse_flag(variable: str, value: str | None) -> bool:
    """`true`/`1`/`yes`/`on` or `false`/`0`/`no`/`off` (unset: false); anything else is an
    error, so that a typo never silently means "off"."""
    text = (value or "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise SettingsError(variable, f"must be true or false, not {value!r}")


def _parse_days(
    env: Mapping[str, str],
    var: str,
    default: int,
    *,
    minimum: int,
    maximum: int = MAX_FEED_DAYS,
    unit: str = "days",
) -> int:
    """A whole number (of days, unless `unit` says otherwise) between `minimum` and
    `maximum`; unset or blank: default."""
    raw = (env.get(var) or "").strip()
    if not raw:
        return default
    problem = f"must be a whole number of {unit} from {minimum} to {maximum}, not {raw!r}"
    if not raw.isascii() or not raw.isdigit():
        raise SettingsError(var, problem)
    days = int(raw)
    if not minimum <= days <= maximum:
        raise SettingsError(var, problem)
    return days


FEED_RENDERERS = ("process", "thread")


def _parse_choice(
    env: Mapping[str, str], var: str, allowed: tuple[str, ...], *, default: str
) -> str:
    raw = (env.get(var) or "").strip().lower()
    if not raw:
        return default
    if raw not in allowed:
        raise SettingsError(var, f"must be one of {', '.join(allowed)}, not {raw!r}")
    return raw


def _parse_mode(value: str) -> Mode:
    try:
        return Mode(value.strip().lower())
    except ValueError:
        allowed = ", ".join(m.value for m in Mode)
        raise SettingsError("PROGRAMMES_ENV", f"must be one of {allowed}, not {value!r}") from None


def parse_database_url(url: str) -> DatabaseConfig:
    """Accept `sqlite:///relative.sqlite`, `sqlite:////absolute.sqlite` or `postgresql://…`."""
    var = "PROGRAMMES_DATABASE_URL"
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise SettingsError(var, f"is not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        return _sqlite_config(url, parts)
    if scheme in ("postgresql", "postgres"):
        return _postgres_config(url, parts)
    raise SettingsError(
        var, f"must start with sqlite:/// or postgresql://, not {scheme or 'no scheme'!r}"
    )


def _sqlite_config(url: str, parts: SplitResult) -> DatabaseConfig:
    var = "PROGRAMMES_DATABASE_URL"
    if parts.netloc:
        raise SettingsError(var, "a SQLite URL has no host: use sqlite:///file.sqlite")
    raw_path = parts.path[1:] if parts.path.startswith("/") else parts.path
    if not raw_path or raw_path.endswith("/"):
        raise SettingsError(var, "names no SQLite file: use sqlite:///programmes.sqlite")
    if "\x00" in raw_path:
        raise SettingsError(var, "contains a NUL byte")
    return DatabaseConfig(url=url, engine="sqlite", sqlite_path=Path(raw_path))


def _postgres_config(url: str, parts: SplitResult) -> DatabaseConfig:
    var = "PROGRAMMES_DATABASE_URL"
    try:
        port = parts.port
    except ValueError:
        raise SettingsError(var, "has a port that is not a number") from None
    if port is not None and not 0 < port < 65536:
        raise SettingsError(var, "has a port out of range")
    if not parts.hostname and "host" not in parse_qs(parts.query):
        raise SettingsError(var, "names no PostgreSQL host: use postgresql://user@host/db")
    if not parts.path.strip("/"):
        raise SettingsError(var, "names no database: use postgresql://user@host/dbname")
    dsn = url if parts.scheme == "postgresql" else "postgresql" + url[len(parts.scheme) :]
    return DatabaseConfig(url=url, engine="postgres", dsn=dsn)


def _secret_key(value: str | None, mode: Mode, cwd: Path) -> str:
    var = "PROGRAMMES_SECRET_KEY"
    if value is not None and value.strip():
        if len(value.strip()) < MIN_SECRET_LENGTH:
            raise SettingsError(var, f"must be at least {MIN_SECRET_LENGTH} characters long")
        return value.strip()
    if mode is Mode.production:
        raise SettingsError(var, "is required in production (PROGRAMMES_ENV=production)")
    return _development_secret(cwd / SECRET_FILE_NAME)


def _development_secret(path: Path) -> str:
    """Keep a generated secret in a local file so sessions survive restarts in development."""
    try:
        if path.exists():
            stored = path.read_text(encoding="ascii").strip()
            if len(stored) >= MIN_SECRET_LENGTH:
                return stored
        secret = secrets.token_urlsafe(48)
        path.write_text(secret + "\n", encoding="ascii")
        path.chmod(0o600)
        return secret
    except OSError as exc:
        raise SettingsError(
            "PROGRAMMES_SECRET_KEY", f"is unset and {path} cannot be used ({exc.strerror})"
        ) from None


_HOST_NAME = re.compile(
    r"^(\*\.)?(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$"
)


def _parse_hosts(value: str) -> tuple[str, ...]:
    """Comma-separated host names or IP addresses; `*.example.org` for every subdomain."""
    hosts = []
    for raw in value.split(","):
        host = raw.strip().lower()
        if not host:
            continue
        try:
            ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            if not _HOST_NAME.match(host):
                raise SettingsError(
                    "PROGRAMMES_ALLOWED_HOSTS",
                    f"must list host names or addresses separated by commas, not {raw.strip()!r}",
                ) from None
        hosts.append(host)
    return tuple(hosts)


def _parse_base_url(url: str) -> str:
    var = "PROGRAMMES_BASE_URL"
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(var, f"must be an http:// or https:// URL with a host, not {url!r}")
    if parts.query or parts.fragment:
        raise SettingsError(var, "must not have a query or fragment")
    try:
        _ = parts.port
    except ValueError:
        raise SettingsError(var, "has a port that is not a number") from None
    return url.strip().rstrip("/")


def _parse_smtp_url(url: str | None, env: Mapping[str, str]) -> SmtpConfig | None:
    """`smtp://[user:pass@]host[:port][?starttls=1]` or `smtps://…`; unset means no SMTP.
    User and password are percent-decoded (`%40` for `@`, `%3A` for `:`, `%2F` for `/`)."""
    if url is None:
        return None
    var = "PROGRAMMES_SMTP_URL"
    parts = urlsplit(url.strip())
    if parts.scheme not in ("smtp", "smtps"):
        raise SettingsError(var, f"must start with smtp:// or smtps://, not {url.split(':')[0]!r}")
    if not parts.hostname:
        raise SettingsError(var, "names no mail server host")
    try:
        port = parts.port
    except ValueError:
        raise SettingsError(var, "has a port that is not a number") from None
    query = parse_qs(parts.query)
    sender = _parse_mail_from(env.get("PROGRAMMES_MAIL_FROM"))
    return SmtpConfig(
        host=parts.hostname,
        port=port or (465 if parts.scheme == "smtps" else 25),
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
        use_tls=parts.scheme == "smtps",
        starttls=query.get("starttls", ["0"])[0] in ("1", "true", "yes"),
        sender=sender,
    )


def _parse_mail_from(value: str | None) -> str:
    """`address@example.org` or `Name <address@example.org>`: one address, one line (it
    goes into every mail's From header and SMTP envelope)."""
    sender = (value or DEFAULT_MAIL_FROM).strip()
    _, address = parseaddr(sender)
    if any(char in sender for char in "\r\n\x00") or "@" not in address or "," in sender:
        raise SettingsError(
            "PROGRAMMES_MAIL_FROM",
            "must be one e-mail address, optionally with a name: Name <address@example.org>",
        )
    return sender
