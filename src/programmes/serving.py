"""How `programmes serve --workers N` spreads connections over its workers.

uvicorn binds one listening socket in its parent process and hands it to every worker.
When connections arrive together (a browser opening several, a load balancer's pool, a
benchmark's clients), whichever worker wakes first accepts all that are queued: in the
mixed-load benchmark 10 feed connections landed 8 and 2, or 10 and 0, and the busier
worker served its clients at half the rate of the other while that one idled.

So each worker listens on a socket of its own, all bound to the same address with
SO_REUSEPORT, and the kernel spreads new connections over them (by a hash of the
client's address and port). uvicorn's supervisor still starts, watches and restarts the
workers: it hands each worker a `PortShare`, which the worker unpickles into its own
listening socket. The parent's socket holds the address (so "address in use" is reported
at once) but does not listen.

Only where the system has SO_REUSEPORT (Linux, the BSDs); elsewhere, and with one
worker, uvicorn's own socket is used.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import uvicorn

#: Whether this system can give each worker a socket of its own.
AVAILABLE = hasattr(socket, "SO_REUSEPORT")


def bound_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to (host, port) that shares the port with the others like it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def listening_socket(host: str, port: int, backlog: int) -> socket.socket:
    """A worker's own listening socket (called where a `PortShare` is unpickled)."""
    sock = bound_socket(host, port)
    sock.listen(backlog)
    return sock


class PortShare(socket.socket):
    """The parent's hold on the address. Pickled for a worker, it becomes that worker's
    own listening socket on the same address (`listening_socket`)."""

    def __init__(self, host: str, port: int, backlog: int) -> None:
        held = bound_socket(host, port)
        super().__init__(held.family, held.type, held.proto, fileno=held.detach())
        self.share = (host, port, backlog)

    def __reduce__(self) -> tuple[Any, ...]:
        return (listening_socket, self.share)


def run_workers(config: uvicorn.Config) -> None:
    """Run `config.workers` workers under uvicorn's supervisor, each listening on a socket
    of its own; until the supervisor is told to stop (Ctrl+C, SIGTERM)."""
    from uvicorn.supervisors import Multiprocess

    share = PortShare(config.host, config.port, config.backlog)
    try:
        Multiprocess(config, sockets=[share]).run()
    except KeyboardInterrupt:
        pass
    finally:
        share.close()
