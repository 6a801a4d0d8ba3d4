"""Settings come from the environment; every bad value names its variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from programmes.settings import SECRET_FILE_NAME, Mode, SettingsError, load_settings

SECRET = "s" * 40


def test_defaults_need_nothing_installed(tmp_path: Path) -> None:
    settings = load_settings({}, workdir=tmp_path)
    assert settings.mode is Mode.development
    assert settings.database.is_sqlite
    assert str(settings.database.sqlite_path) == "programmes.sqlite"
    assert settings.base_url == "http://127.0.0.1:8000"
    assert settings.smtp is None


def test_development_secret_is_generated_once_and_kept(tmp_path: Path) -> None:
    first = load_settings({}, workdir=tmp_path).secret_key
    second = load_settings({}, workdir=tmp_path).secret_key
    assert first == second
    assert len(first) >= 32
    secret_file = tmp_path / SECRET_FILE_NAME
    assert secret_file.stat().st_mode & 0o077 == 0  # readable by the owner only


def test_production_requires_a_secret(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings({"PROGRAMMES_ENV": "production"}, workdir=tmp_path)
    assert error.value.variable == "PROGRAMMES_SECRET_KEY"
    assert "required in production" in str(error.value)
    assert not (tmp_path / SECRET_FILE_NAME).exists()


def test_postgres_url_selects_postgres(tmp_path: Path) -> None:
    settings = load_settings(
        {"PROGRAMMES_DATABASE_URL": "postgresql://app:pw@db.internal:5433/programmes"},
        workdir=tmp_path,
    )
    assert settings.database.engine == "postgres"
    assert settings.database.display == "postgresql://app:***@db.internal:5433/programmes"


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        (
            "PROGRAMMES_DATABASE_URL",
            "mysql://localhost/x",
            "must start with sqlite:/// or postgresql://",
        ),
        ("PROGRAMMES_DATABASE_URL", "postgresql://localhost:99999/x", "port"),
        ("PROGRAMMES_DATABASE_URL", "postgresql://localhost:abc/x", "port"),
        ("PROGRAMMES_DATABASE_URL", "postgresql://localhost/", "names no database"),
        ("PROGRAMMES_DATABASE_URL", "sqlite://", "names no SQLite file"),
        ("PROGRAMMES_DATABASE_URL", "sqlite://host/file.db", "has no host"),
        ("PROGRAMMES_DATABASE_URL", "not a url", "must start with"),
        ("PROGRAMMES_SECRET_KEY", "short", "at least 32 characters"),
        ("PROGRAMMES_BASE_URL", "ftp://example.org", "http:// or https://"),
        ("PROGRAMMES_BASE_URL", "https://example.org/?x=1", "query"),
        ("PROGRAMMES_SMTP_URL", "http://mail.example.org", "smtp:// or smtps://"),
        ("PROGRAMMES_SMTP_URL", "smtp://:25", "no mail server host"),
        ("PROGRAMMES_ENV", "staging", "must be one of"),
        ("PROGRAMMES_ALLOW_PRIVATE_CALENDAR_HOSTS", "ja", "must be true or false"),
        ("PROGRAMMES_FAIR_SHARE", "sometimes", "must be true or false"),
    ],
)
def test_bad_values_name_the_variable(
    tmp_path: Path, variable: str, value: str, expected: str
) -> None:
    env = {"PROGRAMMES_SECRET_KEY": SECRET, variable: value}
    with pytest.raises(SettingsError) as error:
        load_settings(env, workdir=tmp_path)
    assert error.value.variable == variable
    assert str(error.value).startswith(f"{variable}: ")
    assert expected in str(error.value)
    assert "\n" not in str(error.value)


def test_smtp_url_is_parsed(tmp_path: Path) -> None:
    settings = load_settings(
        {"PROGRAMMES_SMTP_URL": "smtp://user:secret@127.0.0.1:2525?starttls=1"}, workdir=tmp_path
    )
    assert settings.smtp is not None
    assert (settings.smtp.host, settings.smtp.port, settings.smtp.username) == (
        "127.0.0.1",
        2525,
        "user",
    )
    assert settings.smtp.starttls
    assert not settings.smtp.use_tls


@pytest.mark.parametrize(
    "sender", ["no-address", "a@b.example\r\nBcc: c@d.example", "a@b.example, c@d.example"]
)
def test_a_bad_sender_address_names_the_variable(tmp_path: Path, sender: str) -> None:
    env = {"PROGRAMMES_SMTP_URL": "smtp://127.0.0.1", "PROGRAMMES_MAIL_FROM": sender}
    with pytest.raises(SettingsError) as error:
        load_settings(env, workdir=tmp_path)
    assert error.value.variable == "PROGRAMMES_MAIL_FROM"


def test_the_sender_may_carry_a_name(tmp_path: Path) -> None:
    env = {
        "PROGRAMMES_SMTP_URL": "smtp://127.0.0.1",
        "PROGRAMMES_MAIL_FROM": "Haus der Kulturen <programme@hdk.example>",
    }
    settings = load_settings(env, workdir=tmp_path)
    assert settings.smtp is not None
    assert settings.smtp.sender == "Haus der Kulturen <programme@hdk.example>"


def test_smtp_credentials_are_percent_decoded(tmp_path: Path) -> None:
    settings = load_settings(
        {"PROGRAMMES_SMTP_URL": "smtps://versand%40hdk.example:p%40ss%3Aw%2Frd@mail.example"},
        workdir=tmp_path,
    )
    assert settings.smtp is not None
    assert (settings.smtp.username, settings.smtp.password) == ("versand@hdk.example", "p@ss:w/rd")
    assert (settings.smtp.port, settings.smtp.use_tls) == (465, True)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("1", True), (" YES ", True), ("on", True), ("false", False), ("0", False)],
)
def test_private_calendar_hosts_flag(tmp_path: Path, value: str, expected: bool) -> None:
    settings = load_settings({"PROGRAMMES_ALLOW_PRIVATE_CALENDAR_HOSTS": value}, workdir=tmp_path)
    assert settings.allow_private_calendar_hosts is expected


def test_feed_window_defaults(tmp_path: Path) -> None:
    settings = load_settings({}, workdir=tmp_path)
    assert (settings.feed_days_back, settings.feed_days_ahead) == (30, 400)


def test_feed_window_can_be_set(tmp_path: Path) -> None:
    settings = load_settings(
        {"PROGRAMMES_FEED_DAYS_BACK": " 0 ", "PROGRAMMES_FEED_DAYS_AHEAD": "730"},
        workdir=tmp_path,
    )
    assert (settings.feed_days_back, settings.feed_days_ahead) == (0, 730)


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("PROGRAMMES_FEED_DAYS_BACK", "-1"),
        ("PROGRAMMES_FEED_DAYS_BACK", "thirty"),
        ("PROGRAMMES_FEED_DAYS_BACK", "1.5"),
        ("PROGRAMMES_FEED_DAYS_BACK", "٣٠"),  # Arabic-Indic digits are digits, but not ours
        ("PROGRAMMES_FEED_DAYS_AHEAD", "0"),
        ("PROGRAMMES_FEED_DAYS_AHEAD", "99999"),
    ],
)
def test_bad_feed_window_names_the_variable(tmp_path: Path, variable: str, value: str) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings({variable: value}, workdir=tmp_path)
    assert error.value.variable == variable
    assert str(error.value) == (
        f"{variable}: must be a whole number of days from "
        f"{0 if variable.endswith('BACK') else 1} to 3660, not {value!r}"
    )
