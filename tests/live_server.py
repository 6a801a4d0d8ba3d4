"""A real `programmes serve` in a subprocess, for tests that need real HTTP and several
worker processes (concurrency, durability)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import TEST_SECRET


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[str]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def kill(self) -> None:
        """SIGKILL the server and its workers at once, as a power cut would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


@contextmanager
def live_server(
    database_url: str,
    workdir: Path,
    *,
    workers: int = 2,
    args: Sequence[str] = (),
    **env: str,
) -> Iterator[LiveServer]:
    """`programmes serve` on a free port; `args` are passed on (e.g. `--demo`)."""
    port = free_port()
    log_path = workdir / f"server-{port}.log"
    environment = {
        **os.environ,
        "PROGRAMMES_ENV": "test",
        "PROGRAMMES_DATABASE_URL": database_url,
        "PROGRAMMES_SECRET_KEY": TEST_SECRET,
        "PROGRAMMES_BASE_URL": f"http://127.0.0.1:{port}",
        "PROGRAMMES_REGISTRATION_LIMIT": "off",
        **env,
    }
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "programmes.cli",
                "serve",
                "--port",
                str(port),
                "--workers",
                str(workers),
                "--no-access-log",
                *args,
            ],
            env=environment,
            cwd=workdir,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # a process group of its own, for kill()
        )
    server = LiveServer(f"http://127.0.0.1:{port}", process, log_path)
    try:
        _wait_until_healthy(server)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_healthy(server: LiveServer, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{server.log()}")
        try:
            if httpx.get(server.url + "/health", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server did not become healthy:\n{server.log()}")
