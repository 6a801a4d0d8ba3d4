"""The `programmes` command: serve, migrate, demo, user create, token create, mail send,
backup, restore, retention.

Every command first reads the settings and reaches the database; a bad or unreachable value
ends the command with one line naming the variable and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from programmes import backup, db, demo, serving
from programmes.clock import system_clock
from programmes.domain.accounts import staff_accounts
from programmes.domain.catalogue import kitas
from programmes.domain.errors import DomainError
from programmes.domain.mail import delivery, links, outbox
from programmes.domain.privacy import retention
from programmes.settings import Settings, SettingsError, load_settings
from programmes.vocabulary import Role

EXIT_USAGE = 2


def fail(message: str) -> NoReturn:
    print(f"programmes: error: {message}", file=sys.stderr)
    raise SystemExit(EXIT_USAGE)


def prepare(*, migrate: bool = True) -> Settings:
    """Read settings, reach the database and apply migrations; exit 2 with one line on error."""
    try:
        settings = load_settings()
        db.configure(settings.database)
        outbox.set_message_id_host(settings.host)
        links.set_key(settings.secret_key)
        asyncio.run(_prepare_database(settings, migrate=migrate))
    except SettingsError as exc:
        fail(str(exc))
    return settings


async def _prepare_database(settings: Settings, *, migrate: bool) -> None:
    await db.check_connection(settings.database)
    if migrate:
        await db.migrate()


def run(coroutine: Awaitable[Any]) -> Any:
    """Run one command's work with reused connections, closed before the loop ends."""

    async def pooled() -> Any:
        async with db.connection_pool(min_size=1, max_size=2):
            return await coroutine

    try:
        return asyncio.run(pooled())
    except DomainError as exc:
        fail(str(exc))


def cmd_migrate(args: argparse.Namespace) -> None:
    prepare()
    print("Database is up to date.")


def cmd_demo(args: argparse.Namespace) -> None:
    prepare()
    result = run(demo.load_demo(now=system_clock(), force=args.force))
    print(result.summary())


def cmd_serve(args: argparse.Namespace) -> None:
    settings = prepare()
    if args.demo:
        if run(demo.database_is_empty()):
            print(run(demo.load_demo(now=system_clock(), force=False)).summary())
        else:
            print("Demo data not loaded: the database already has data.")
    import uvicorn

    from programmes.logging_config import uvicorn_log_config

    print(f"Serving on http://{args.host}:{args.port} ({settings.database.engine})")
    options: dict[str, Any] = dict(
        app="programmes.asgi:app_from_environment",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        loop="uvloop",
        http="httptools",
        proxy_headers=args.proxy_headers,
        # the request log replaces uvicorn's access log (which writes client addresses and
        # query strings, on the event loop)
        log_config=uvicorn_log_config(request_log=not args.no_access_log),
        access_log=False,
    )
    if args.workers > 1 and serving.AVAILABLE:
        serving.run_workers(uvicorn.Config(**options))
    else:
        uvicorn.run(**options)


def cmd_user_create(args: argparse.Namespace) -> None:
    prepare()
    password = _read_password(args.password_stdin)
    kita_id = run(kitas.kita_id_for(args.kita)) if args.kita else None
    staff = run(
        staff_accounts.create_account(
            email=args.email,
            password=password,
            role=args.role,
            name=args.name or "",
            kita_id=kita_id,
            now=system_clock(),
        )
    )
    print(f"Created {staff.role.value} account {staff.email} (id {staff.id}).")


def cmd_token_create(args: argparse.Namespace) -> None:
    prepare()
    staff = run(staff_accounts.account_by_email(args.email))
    token = run(
        staff_accounts.create_api_token(account_id=staff.id, name=args.name, now=system_clock())
    )
    print("API token (shown once; send it as 'Authorization: Bearer <token>'):")
    print(token)


def cmd_mail_send(args: argparse.Namespace) -> None:
    settings = prepare()
    report, waiting = run(_send_mail(settings, once=args.once, limit=args.limit))
    if settings.smtp is None:
        print(
            "No mail server configured (PROGRAMMES_SMTP_URL is unset): "
            f"{waiting} message(s) wait in the outbox."
        )
        return
    print(f"{report.summary()} {waiting} message(s) wait in the outbox.")
    if report.unreachable:
        print(
            f"programmes: error: PROGRAMMES_SMTP_URL: the mail server cannot be used "
            f"({report.unreachable})",
            file=sys.stderr,
        )
        raise SystemExit(1)


async def _send_mail(
    settings: Settings, *, once: bool, limit: int
) -> tuple[delivery.DeliveryReport, int]:
    if once:
        report = await delivery.deliver_due(settings.smtp, now=system_clock(), limit=limit)
    else:
        report = await delivery.deliver_all(settings.smtp, clock=system_clock, limit=limit)
    return report, await delivery.waiting_count()


def cmd_backup(args: argparse.Namespace) -> None:
    settings = prepare(migrate=False)
    try:
        backup.backup(settings.database, args.path)
    except backup.BackupError as exc:
        fail(str(exc))
    print(f"Backup of {settings.database.display} written to {args.path}.")
    _print_fingerprints(run(backup.table_fingerprints(settings.database)))


def cmd_restore(args: argparse.Namespace) -> None:
    settings = prepare()
    if not args.force and run(backup.holds_data(settings.database)):
        fail(
            f"{settings.database.display} holds data; restoring replaces all of it. "
            "Stop the server, then run again with --force."
        )
    try:
        backup.restore(settings.database, args.path)
    except backup.BackupError as exc:
        fail(str(exc))
    prepare()  # a backup from an older version gets this version's migrations
    print(f"Restored {settings.database.display} from {args.path}.")
    _print_fingerprints(run(backup.table_fingerprints(settings.database)))


def cmd_retention(args: argparse.Namespace) -> None:
    from programmes.web.public import retention_policy

    settings = prepare()
    report = run(
        retention.apply_retention(
            retention_policy(settings), now=system_clock(), dry_run=args.dry_run
        )
    )
    print(report.summary())


def _print_fingerprints(fingerprints: list[backup.TableFingerprint]) -> None:
    for item in fingerprints:
        print(f"  {item.table:<28} {item.rows:>8} rows  {item.sha256[:16]}")


def _read_password(from_stdin: bool) -> str:
    if from_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat password: ") != first:
        fail("the passwords do not match")
    return first


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="programmes",
        description="Rucksack KiTa cohorts, trainings and info events: the service and its tools.",
        epilog="Configuration comes from PROGRAMMES_* environment variables (see README).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")

    serve = commands.add_parser(
        "serve",
        help="apply migrations, then serve the web app",
        description="Apply migrations, then serve the web app with uvicorn (uvloop, httptools).",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    serve.add_argument("--workers", type=_positive, default=1, help="worker processes")
    serve.add_argument("--demo", action="store_true", help="load demo data into an empty database")
    serve.add_argument(
        "--proxy-headers", action="store_true", help="trust X-Forwarded-* (behind a proxy)"
    )
    serve.add_argument(
        "--no-access-log",
        action="store_true",
        help="do not log each request (the log has no addresses and no query values)",
    )
    serve.set_defaults(handler=cmd_serve)

    migrate = commands.add_parser(
        "migrate", help="apply database migrations", description="Apply database migrations."
    )
    migrate.set_defaults(handler=cmd_migrate)

    demo_ = commands.add_parser(
        "demo",
        help="load the demo data set",
        description="Load invented demo data (KiTas, cohorts, events, families, one account "
        "per role). Refuses a database that has data unless --force is given.",
    )
    demo_.add_argument("--force", action="store_true", help="delete all data first")
    demo_.set_defaults(handler=cmd_demo)

    user = commands.add_parser("user", help="manage staff accounts", description="Staff accounts.")
    user_commands = user.add_subparsers(dest="user_command", required=True, metavar="action")
    create = user_commands.add_parser(
        "create",
        help="create a staff account",
        description="Create a staff account. The password is asked for, or read from "
        "standard input with --password-stdin.",
    )
    create.add_argument("--role", required=True, choices=[r.value for r in Role])
    create.add_argument("--email", required=True)
    create.add_argument("--name", help="display name")
    create.add_argument("--kita", help="the partner's KiTa (id or exact name); partners only")
    create.add_argument("--password-stdin", action="store_true", help="read password from stdin")
    create.set_defaults(handler=cmd_user_create)

    token = commands.add_parser("token", help="API tokens", description="API tokens for scripts.")
    token_commands = token.add_subparsers(dest="token_command", required=True, metavar="action")
    token_create = token_commands.add_parser(
        "create", help="create an API token", description="Create a bearer token for an account."
    )
    token_create.add_argument("--email", required=True, help="the account's e-mail address")
    token_create.add_argument("--name", required=True, help="what the token is for")
    token_create.set_defaults(handler=cmd_token_create)

    mail = commands.add_parser("mail", help="the outgoing mail", description="Outgoing mail.")
    mail_commands = mail.add_subparsers(dest="mail_command", required=True, metavar="action")
    mail_send = mail_commands.add_parser(
        "send",
        help="deliver due mail from the outbox and exit",
        description="Deliver the mail that is due from the outbox over PROGRAMMES_SMTP_URL, "
        "then exit (the web server also does this in the background). Safe to run while "
        "the server or other senders run: each message is sent once. Without a mail server "
        "configured, nothing is sent and the messages stay in the outbox. Exit status 1 "
        "when the mail server cannot be reached.",
    )
    mail_send.add_argument(
        "--once", action="store_true", help="one round of at most --limit messages, then exit"
    )
    mail_send.add_argument(
        "--limit",
        type=_batch_size,
        default=delivery.DEFAULT_BATCH,
        help=f"messages per round (default {delivery.DEFAULT_BATCH})",
    )
    mail_send.set_defaults(handler=cmd_mail_send)

    backup_ = commands.add_parser(
        "backup",
        help="write a backup of the whole database to a file",
        description="Write a backup of the whole database to PATH (replacing a file there): "
        "SQLite through its online backup API, safe while the server runs; PostgreSQL with "
        "pg_dump in custom format. Prints each table's row count and content hash.",
    )
    backup_.add_argument("path", type=Path, metavar="PATH")
    backup_.set_defaults(handler=cmd_backup)

    restore = commands.add_parser(
        "restore",
        help="replace the database's contents with a backup",
        description="Replace every row of the database with the backup at PATH (made by "
        "'programmes backup' on the same engine), then apply migrations. Stop the server "
        "first. Refuses a database that holds data unless --force is given; on PostgreSQL "
        "a restore that fails changes nothing. Prints each table's row count and content "
        "hash, to compare with those printed by the backup.",
    )
    restore.add_argument("path", type=Path, metavar="PATH")
    restore.add_argument("--force", action="store_true", help="replace a database that holds data")
    restore.set_defaults(handler=cmd_restore)

    retention_ = commands.add_parser(
        "retention",
        help="anonymise personal data that is kept no longer",
        description="Anonymise public registrants PROGRAMMES_RETENTION_PUBLIC_DAYS after "
        "their runs ended, families PROGRAMMES_RETENTION_FAMILY_MONTHS after their "
        "cohorts ended, and clear the address and text of mails sent more than "
        "PROGRAMMES_RETENTION_MAIL_DAYS ago. Reports stay the same. Safe to repeat.",
    )
    retention_.add_argument(
        "--dry-run", action="store_true", help="only say what would be anonymised"
    )
    retention_.set_defaults(handler=cmd_retention)
    return parser


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if not 1 <= number <= 64:
        raise argparse.ArgumentTypeError("must be between 1 and 64")
    return number


def _batch_size(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if not 1 <= number <= 1000:
        raise argparse.ArgumentTypeError("must be between 1 and 1000")
    return number


def main(argv: Sequence[str] | None = None) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    handler: Callable[[argparse.Namespace], None] = args.handler
    handler(args)


if __name__ == "__main__":
    main()
