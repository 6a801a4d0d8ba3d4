"""`programmes serve --workers N`: each worker listens on a socket of its own on the same
address, and the kernel spreads connections over them (serving.py)."""

from __future__ import annotations

import pickle
import socket
from collections.abc import Iterator
from contextlib import ExitStack, closing

import pytest

from programmes import serving
from tests.live_server import free_port

pytestmark = pytest.mark.skipif(not serving.AVAILABLE, reason="needs SO_REUSEPORT")


def accepted(sock: socket.socket) -> int:
    """How many connections are waiting on `sock` (accepting and closing them)."""
    sock.setblocking(False)
    count = 0
    while True:
        try:
            connection, _ = sock.accept()
        except BlockingIOError:
            return count
        connection.close()
        count += 1


@pytest.fixture
def share() -> Iterator[serving.PortShare]:
    held = serving.PortShare("127.0.0.1", free_port(), 128)
    with closing(held):
        yield held


def test_each_worker_gets_a_listening_socket_of_its_own_and_both_get_connections(
    share: serving.PortShare,
) -> None:
    """What a worker unpickles is a socket listening on the parent's address. 64 clients
    that connect at once are all answered, and neither worker is left out."""
    port = share.getsockname()[1]
    with ExitStack() as stack:
        workers = [stack.enter_context(pickle.loads(pickle.dumps(share))) for _ in range(2)]
        assert all(w.getsockname() == ("127.0.0.1", port) for w in workers)
        assert all(w.fileno() != share.fileno() for w in workers)
        clients = [
            stack.enter_context(socket.create_connection(("127.0.0.1", port))) for _ in range(64)
        ]

        counts = [accepted(worker) for worker in workers]

    assert sum(counts) == len(clients)
    assert min(counts) > 0


def test_the_parent_holds_the_address_but_does_not_answer(share: serving.PortShare) -> None:
    """Before a worker listens nobody answers, and another program cannot take the port."""
    port = share.getsockname()[1]
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2)
    with socket.socket() as other, pytest.raises(OSError, match="in use"):
        other.bind(("127.0.0.1", port))
