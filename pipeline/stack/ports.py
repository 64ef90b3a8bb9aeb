"""Port checks: fail early with a clear message instead of a JVM bind error deep in a log."""
from __future__ import annotations

import socket

from pipeline.stack.errors import StackError

HOST = "127.0.0.1"


def is_free(port: int) -> bool:
    # SO_REUSEADDR as the JVMs set it, so a socket in TIME_WAIT does not count as taken.
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError:
            return False
        return True


def require_free(ports: dict[str, int], log_file) -> None:
    for what, port in ports.items():
        if not is_free(port):
            raise StackError(f"port {port} ({what}) is already in use by another process; "
                             f"choose another or stop that process (log: {log_file})")


def free_ports(count: int) -> list[int]:
    """Distinct ports nothing listens on right now, for stacks started next to other stacks."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind((HOST, 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()
