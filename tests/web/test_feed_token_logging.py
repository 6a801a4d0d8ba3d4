"""What the server's log shows of requests: a real server (`programmes serve`, with its
request log on, as in production) answers requests, and its whole output is searched for
tokens, e-mail addresses, query values and client addresses."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from programmes.domain.feeds import feed_tokens
from programmes.vocabulary import Role
from tests.conftest import FROZEN_NOW, TEST_SECRET
from tests.factories import make_staff

SRC = Path(__file__).resolve().parents[2] / "src"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def served(database_url: str, tmp_path: Path, paths: list[str]) -> tuple[list[int], str]:
    """Start `programmes serve`, GET each path, stop the server (SIGINT, as Ctrl-C would);
    the statuses and everything the server wrote."""
    port = free_port()
    output = tmp_path / "server.log"
    environment = {
        **os.environ,
        "PROGRAMMES_ENV": "test",
        "PROGRAMMES_DATABASE_URL": database_url,
        "PROGRAMMES_SECRET_KEY": TEST_SECRET,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")])),
    }
    with output.open("wb") as log:
        server = subprocess.Popen(  # noqa: ASYNC220 (a server for the whole test)
            [sys.executable, "-m", "programmes.cli", "serve", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=environment,
            cwd=tmp_path,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            async with httpx.AsyncClient(base_url=base, timeout=10) as http:
                for _ in range(600):  # a loaded machine may take a while to start it
                    assert server.poll() is None, output.read_text()
                    try:
                        if (await http.get("/health")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.1)
                statuses = [(await http.get(path)).status_code for path in paths]
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=20)
    return statuses, output.read_text(encoding="utf-8", errors="replace")


@pytest.mark.slow
async def test_tokens_are_masked_in_the_request_log(
    database: None, database_url: str, tmp_path: Path
) -> None:
    staff = await make_staff(Role.trainer)
    token = await feed_tokens.create_feed_token(account_id=staff.id, now=FROZEN_NOW)
    statuses, logged = await served(
        database_url,
        tmp_path,
        [f"/feeds/private/{token}.ics?lang=en", f"/feeds/private/{token}x.ics"],
    )
    assert statuses == [200, 404]
    assert "GET /feeds/private/***?lang=*** 200 " in logged, logged
    assert "GET /feeds/private/*** 404 " in logged, logged
    assert token not in logged
    assert token[len(feed_tokens.FEED_TOKEN_PREFIX) :] not in logged


@pytest.mark.slow
async def test_the_request_log_keeps_no_address_and_no_query_value(
    database: None, database_url: str, tmp_path: Path
) -> None:
    statuses, logged = await served(
        database_url,
        tmp_path,
        [
            "/?email=someone@example.org&x=1",
            "/events/?someone%40example.org",
            "/someone@example.org",
        ],
    )
    assert statuses == [200, 404, 404]
    lines = re.findall(r"^INFO: +GET .*$", logged, flags=re.MULTILINE)
    assert any(re.search(r"GET /\?email=\*\*\*&x=\*\*\* 200 \d+\.\d ms$", x) for x in lines), lines
    assert "GET /events/?***=*** 404 " in logged, logged
    assert "GET /*** 404 " in logged, logged
    assert "example.org" not in logged
    assert "someone" not in logged
    # the client's address is in no request line (uvicorn's access log wrote it)
    assert lines and not any("127.0.0.1" in line for line in lines), lines
