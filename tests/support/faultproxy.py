"""A fault-injecting TCP proxy for HTTP/1.1 on loopback (tests and demos of the sync daemon).

Each request gets a mode from the plan (a list cycled in order, or a callable of the request number);
every request goes to HQ on a fresh upstream connection:

* ``pass``        forward the request and HQ's answer untouched (the client connection stays open)
* ``reset``       read the request, then reset the connection (HQ never sees it)
* ``drop``        forward the request, wait for HQ's full answer (HQ has committed), then reset
* ``delay``       forward the request, hold HQ's answer ``delay_s`` (past the client's timeout), then send it
* ``truncate``    forward the request, send only half of HQ's answer, then close
* ``duplicate``   send the request to HQ twice (two connections) and return the second answer
* ``late``        hold the request ``delay_s`` before forwarding it (a slow link: a later request overtakes it)

A faulty mode (all but ``pass`` and ``late``) ends the client connection after its request.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Callable

MODES = ("pass", "reset", "drop", "delay", "truncate", "duplicate", "late")


def _read_message(sock: socket.socket, timeout: float = 30.0) -> bytes:
    """One HTTP/1.1 message (headers + Content-Length body) from ``sock``; b"" on EOF."""
    sock.settimeout(timeout)
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            return b""
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        rest += chunk
    return head + b"\r\n\r\n" + rest


def _reset(sock: socket.socket) -> None:
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    finally:
        sock.close()


class FaultProxy:
    def __init__(self, upstream_port: int, plan: list[str] | Callable[[int], str] = ("pass",), *,
                 delay_s: float = 3.0, upstream_host: str = "127.0.0.1"):
        for m in (plan if isinstance(plan, (list, tuple)) else []):
            if m not in MODES:
                raise ValueError(f"unknown mode {m!r}")
        self.upstream = (upstream_host, upstream_port)
        self.plan = plan
        self.delay_s = delay_s
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.port = self.server.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.count = 0
        self.log: list[str] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def mode_for(self, n: int) -> str:
        if callable(self.plan):
            return self.plan(n)
        return self.plan[n % len(self.plan)]

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        try:
            self.server.close()
        except OSError:
            pass

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._handle, args=(client,), daemon=True).start()

    def _next_mode(self) -> str:
        with self._lock:
            mode = self.mode_for(self.count)
            self.count += 1
            self.log.append(mode)
        return mode

    def _upstream_call(self, request: bytes) -> bytes:
        up = socket.create_connection(self.upstream, timeout=30)
        try:
            up.sendall(request)
            return _read_message(up)
        finally:
            up.close()

    def _handle(self, client: socket.socket) -> None:
        """Serve requests of one client connection, each with the plan's next mode."""
        try:
            while not self._stop.is_set():
                request = _read_message(client, timeout=60)
                if not request:
                    break
                mode = self._next_mode()
                if mode == "reset":
                    return _reset(client)
                if mode == "duplicate":
                    self._upstream_call(request)
                if mode == "late":
                    time.sleep(self.delay_s)
                try:
                    answer = self._upstream_call(request)
                except OSError:
                    return _reset(client)
                if mode == "drop":
                    return _reset(client)
                if mode == "delay":
                    time.sleep(self.delay_s)
                if mode == "truncate":
                    client.sendall(answer[: max(1, len(answer) // 2)])
                    break
                client.sendall(answer)
                if mode == "delay":
                    break
        except OSError:
            pass
        client.close()
