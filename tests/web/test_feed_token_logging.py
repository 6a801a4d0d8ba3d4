"""A private feed token never reaches a log: a real server (`programmes serve`, uvicorn with
its access log) answers feed requests, and its whole output is searched for the token."""

from __future__ import annotations

import asyncio
import os
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


@pytest.mark.slow
async def test_tokens_are_masked_in_the_access_log(
    database: None, database_url: str, tmp_path: Path
) -> None:
    staff = await make_staff(Role.trainer)
    token = await feed_tokens.create_feed_token(account_id=staff.id, now=FROZEN_NOW)
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
                for _ in range(100):
                    try:
                        if (await http.get("/health")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    await asyncio.sleep(0.1)
                ok = await http.get(f"/feeds/private/{token}.ics?lang=en")
                rotated_away = await http.get(f"/feeds/private/{token}x.ics")
        finally:
            server.send_signal(signal.SIGINT)
            server.wait(timeout=20)
    assert ok.status_code == 200
    assert rotated_away.status_code == 404
    logged = output.read_text(encoding="utf-8", errors="replace")
    assert "GET /feeds/private/*** HTTP/1.1" in logged, logged
    assert token not in logged
    assert token[len(feed_tokens.FEED_TOKEN_PREFIX) :] not in logged
