"""A loopback HTTP/1.1 proxy that breaks requests on purpose (threads, one request a connection).

For each request ``choose(method, path)`` names what happens:

- ``pass``: forwarded, the answer returned;
- ``delay``: as ``pass`` after a short pause;
- ``drop_before``: the connection is closed before the service sees the request;
- ``drop_after``: the service handles (and commits) it, then the answer is thrown away;
- ``500`` / ``503``: answered by the proxy (503 with ``Retry-After: 0``);
- ``cut``: half the body is forwarded, then both connections close (a dropped upload). The
  service drops body bytes it has not read yet when it sees the close, so ``arrived`` (when
  given) is waited for first: a dropped upload whose first half did arrive.

Given several upstream ports (service processes sharing one database), requests go to them in
turn, as a round-robin reverse proxy sends them; ``served`` counts the requests each port got.
"""

from __future__ import annotations

import itertools
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence

FAULTS = ("delay", "drop_before", "drop_after", "500", "503")


class FaultProxy:
    def __init__(
        self,
        upstream_port: int | Sequence[int],
        choose: Callable[[str, str], str],
        arrived: Callable[[int], bool] | None = None,
    ) -> None:
        ports = [upstream_port] if isinstance(upstream_port, int) else list(upstream_port)
        self._upstreams = itertools.cycle(ports)
        self.choose = choose
        self.arrived = arrived
        self.counts: Counter[str] = Counter()
        self.served: Counter[int] = Counter()
        self.retry_after = "0"  # what a 503 asks for
        self._lock = threading.Lock()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.port = self._sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._closed = True
        self._sock.close()

    def __enter__(self) -> FaultProxy:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            try:
                head, rest = _read_head(conn)
            except OSError:
                return
            if head is None:
                return
            lines = head.split(b"\r\n")
            method, path, _ = lines[0].decode("latin-1").split(" ", 2)
            length = 0
            kept = [lines[0]]
            for line in lines[1:]:
                name = line.split(b":", 1)[0].strip().lower()
                if name == b"content-length":
                    length = int(line.split(b":", 1)[1])
                if name in (b"connection", b"keep-alive"):
                    continue
                kept.append(line)
            kept.append(b"Connection: close")
            what = self.choose(method, path)
            with self._lock:
                self.counts[what] += 1
                upstream = next(self._upstreams)
            try:
                head = b"\r\n".join(kept) + b"\r\n\r\n"
                self._act(conn, what, head, rest, length, upstream=upstream)
            except OSError:
                pass

    def _act(
        self,
        conn: socket.socket,
        what: str,
        head: bytes,
        rest: bytes,
        length: int,
        *,
        upstream: int,
    ) -> None:
        if what == "cut":
            with socket.create_connection(("127.0.0.1", upstream)) as up:
                up.sendall(head)
                half = length // 2
                sent = rest[:half]
                up.sendall(sent)
                _pump(conn, up, half - len(sent))
                deadline = time.monotonic() + 10
                while self.arrived is not None and not self.arrived(half):
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.005)
            return
        body = rest + _read_exactly(conn, length - len(rest))
        if what == "drop_before":
            return
        if what in ("500", "503"):
            extra = f"Retry-After: {self.retry_after}\r\n".encode() if what == "503" else b""
            conn.sendall(
                f"HTTP/1.1 {what} Fault\r\n".encode()
                + extra
                + b"Content-Length: 0\r\nConnection: close\r\n\r\n"
            )
            return
        if what == "delay":
            time.sleep(0.01)
        with self._lock:
            self.served[upstream] += 1
        with socket.create_connection(("127.0.0.1", upstream)) as up:
            up.sendall(head + body)
            answer = _read_all(up)
        if what == "drop_after":
            return
        conn.sendall(answer)


def _read_head(conn: socket.socket) -> tuple[bytes | None, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None, b""
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    return head, rest


def _read_exactly(conn: socket.socket, n: int) -> bytes:
    parts = []
    while n > 0:
        chunk = conn.recv(min(n, 1 << 20))
        if not chunk:
            break
        parts.append(chunk)
        n -= len(chunk)
    return b"".join(parts)


def _pump(src: socket.socket, dst: socket.socket, n: int) -> None:
    while n > 0:
        chunk = src.recv(min(n, 1 << 20))
        if not chunk:
            return
        dst.sendall(chunk)
        n -= len(chunk)


def _read_all(conn: socket.socket) -> bytes:
    parts = []
    while chunk := conn.recv(1 << 20):
        parts.append(chunk)
    return b"".join(parts)
