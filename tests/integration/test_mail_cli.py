"""`programmes mail send` as real processes: in parallel, and killed in the middle."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from programmes.db import write_transaction
from programmes.domain.mail.delivery import LEASE
from programmes.domain.mail.outbox import OutgoingMail, enqueue
from programmes.tables import Outbox
from tests.conftest import FROZEN_NOW, TEST_SECRET
from tests.integration.conftest import MAIL_FROM
from tests.smtp_server import PATIENCE, SmtpServer

PROGRAMMES = [sys.executable, "-m", "programmes.cli"]

pytestmark = pytest.mark.slow


def environment(database_url: str, smtp_url: str | None) -> dict[str, str]:
    env = {
        **os.environ,
        "PROGRAMMES_ENV": "test",
        "PROGRAMMES_DATABASE_URL": database_url,
        "PROGRAMMES_SECRET_KEY": TEST_SECRET,
        "PROGRAMMES_BASE_URL": "http://testserver",
        "PROGRAMMES_MAIL_FROM": MAIL_FROM,
    }
    env.pop("PROGRAMMES_SMTP_URL", None)
    if smtp_url:
        env["PROGRAMMES_SMTP_URL"] = smtp_url
    return env


def start(*args: str, database_url: str, smtp_url: str | None, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*PROGRAMMES, "mail", "send", *args],
        env=environment(database_url, smtp_url),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=PATIENCE)
    return process.returncode, out, err


async def add_mails(count: int, to: str = "eltern@familie.example") -> list[int]:
    ids = []
    async with write_transaction():
        for n in range(1, count + 1):
            ids.append(
                await enqueue(
                    OutgoingMail(to, f"Nachricht {n}", f"Text {n} für die Familie"),
                    now=FROZEN_NOW,
                )
            )
    return ids


async def message_ids() -> dict[int, str]:
    rows = await Outbox.select(Outbox.id, Outbox.message_id)
    return {int(row["id"]): str(row["message_id"]) for row in rows}


async def test_without_a_mail_server_mail_stays_and_the_log_names_no_address(
    database_url: str, tmp_path: Path
) -> None:
    [outbox_id] = await add_mails(1, to="anna.beispiel@familie.example")

    code, out, err = finish(start(database_url=database_url, smtp_url=None, cwd=tmp_path))

    assert code == 0, err
    assert "1 message(s) wait in the outbox" in out
    assert f"outbox {outbox_id} not sent: no mail server configured" in err
    assert "Nachricht 1" in err
    assert "anna.beispiel" not in out + err
    assert "Text 1" not in out + err
    again = finish(start(database_url=database_url, smtp_url=None, cwd=tmp_path))
    assert f"outbox {outbox_id}" not in again[2]  # logged once, not on every run
    assert await Outbox.count().where(Outbox.sent_at.is_null()) == 1


async def test_two_processes_at_once_send_each_message_exactly_once(
    database_url: str, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    ids = await add_mails(30)
    smtp_server.handler.rendezvous = 2  # the first messages wait until both are sending

    processes = [
        start("--once", database_url=database_url, smtp_url=smtp_server.url, cwd=tmp_path)
        for _ in range(2)
    ]
    results = [finish(process) for process in processes]

    for code, out, err in results:
        assert code == 0, err
        assert "wait in the outbox" in out
    sent = [int(out.split()[1].rstrip(",")) for _, out, _ in results]
    assert all(n > 0 for n in sent), sent  # both really took part
    assert sum(sent) == 30
    counts = smtp_server.handler.counts_by_message_id()
    assert set(counts) == set((await message_ids()).values())
    assert set(counts.values()) == {1}
    assert await Outbox.count().where(Outbox.sent_at.is_not_null()) == len(ids)


@pytest.mark.parametrize("server_accepted", [False, True], ids=["not-accepted", "accepted"])
async def test_a_killed_sender_loses_nothing_and_repeats_at_most_the_message_in_flight(
    database_url: str, smtp_server: SmtpServer, tmp_path: Path, server_accepted: bool
) -> None:
    """SIGKILL while the server holds message 3 (it has the data, the sender waits for the
    answer). Messages 1 and 2 were marked sent before; 4 to 6 were never touched. A restart
    sends 4 to 6 at once but keeps away from message 3 during its lease; after the lease,
    message 3 is sent again with the same Message-ID. Only if the server had accepted it
    (the documented ambiguous window) does it arrive twice."""
    ids = await add_mails(6)
    handler = smtp_server.handler
    handler.hold_subject = "Nachricht 3"
    handler.hold_reply = "250 OK: queued" if server_accepted else "451 4.3.0 connection lost"

    sender = start(database_url=database_url, smtp_url=smtp_server.url, cwd=tmp_path)
    assert handler.holding.wait(PATIENCE), finish(sender)
    sender.send_signal(signal.SIGKILL)
    assert sender.wait(timeout=PATIENCE) == -signal.SIGKILL
    handler.release.set()
    sender.communicate()

    rows = {
        int(row["id"]): row
        for row in await Outbox.select(
            Outbox.id, Outbox.sent_at, Outbox.claimed_until, Outbox.attempts
        )
    }
    assert all(rows[i]["sent_at"] is not None for i in ids[:2])  # marked right away
    assert rows[ids[2]]["sent_at"] is None
    assert rows[ids[2]]["claimed_until"] is not None
    assert all(rows[i]["attempts"] == 0 for i in ids[3:])

    restart = finish(start(database_url=database_url, smtp_url=smtp_server.url, cwd=tmp_path))
    assert restart[0] == 0, restart[2]
    assert restart[1].startswith("Sent 3,"), restart[1]
    assert await Outbox.count().where(Outbox.sent_at.is_null()) == 1

    # The lease runs out (as if LEASE had passed), and the next run takes message 3.
    await Outbox.update({Outbox.claimed_until: Outbox.claimed_until - LEASE}).where(
        Outbox.id == ids[2]
    )
    late = finish(start(database_url=database_url, smtp_url=smtp_server.url, cwd=tmp_path))
    assert late[0] == 0, late[2]
    assert late[1].startswith("Sent 1,"), late[1]
    assert "an earlier attempt ended without a result" in late[2]

    by_outbox_id = await message_ids()
    counts = smtp_server.handler.counts_by_message_id()
    for outbox_id in ids:
        expected = 2 if (outbox_id == ids[2] and server_accepted) else 1
        assert counts[by_outbox_id[outbox_id]] == expected, outbox_id
    assert sum(counts.values()) == 6 + server_accepted
    assert await Outbox.count().where(Outbox.sent_at.is_null()) == 0


async def test_an_unreachable_mail_server_is_one_line_and_exit_1(
    database_url: str, tmp_path: Path
) -> None:
    with socket.socket() as probe:  # nobody listens here
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    await add_mails(1)

    code, out, err = finish(
        start(database_url=database_url, smtp_url=f"smtp://127.0.0.1:{port}", cwd=tmp_path)
    )

    assert code == 1
    assert "1 message(s) wait in the outbox" in out
    assert (
        err.strip()
        .splitlines()[-1]
        .startswith("programmes: error: PROGRAMMES_SMTP_URL: the mail server cannot be used")
    )
    assert "Traceback" not in err
    assert (await Outbox.select(Outbox.attempts).first()) == {"attempts": 0}
