"""A small HTTP load generator for the check-in API benchmark.

It shares the 2-core machine with the server it measures, so it spends as little CPU as it can: raw
keep-alive HTTP/1.1 on a few sockets per process, multiplexed with `selectors`, requests built from a
byte template, responses parsed only as far as the status and, for batches, the summary counts.
No Django here: the processes are forked from the benchmark after its database connections are closed.
"""

from __future__ import annotations

import json
import multiprocessing
import selectors
import socket
import time
from dataclasses import dataclass, field

HEAD = ("POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {auth}\r\n"
        "Content-Type: application/json\r\nContent-Length: {length}\r\n\r\n")


@dataclass
class Plan:
    """What one load-generator process sends. `batch` 0: one check-in per request, else that many."""

    port: int
    auth: str
    qrs: list[str]  # venues taken in turn (a prime count keeps person × venue pairs from repeating soon)
    people: list[str]
    key_prefix: str
    connections: int
    start_at: float  # time.time(): answers before it are warm-up and not counted
    stop_at: float
    batch: int = 0
    path: str = "/api/venues/checkins"


@dataclass
class Outcome:
    ok: int = 0  # check-ins answered 200/201 (a batch counts its items)
    created: int = 0  # of which new (201): the others were found as retries or second scans
    failed: int = 0
    requests: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    sample_error: str = ""
    errors: int = 0  # connection errors and malformed answers


class _Conn:
    __slots__ = ("sock", "buf", "sent_at", "items")

    def __init__(self, sock):
        self.sock, self.buf, self.sent_at, self.items = sock, bytearray(), 0.0, 0


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _parse(buf: bytearray) -> tuple[int, bytes, bool, int] | None:
    """(status, body, keep_alive, consumed) of the first whole response in buf, or None if incomplete."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return None
    head = bytes(buf[:end]).decode("latin-1").split("\r\n")
    status = int(head[0].split(" ", 2)[1])
    length, keep_alive = 0, True
    for line in head[1:]:
        name, _sep, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "connection" and value.strip().lower() == "close":
            keep_alive = False
        elif name == "transfer-encoding":
            raise ValueError("chunked answers are not supported")
    if len(buf) < end + 4 + length:
        return None
    return status, bytes(buf[end + 4:end + 4 + length]), keep_alive, end + 4 + length


def drive(plan: Plan) -> Outcome:
    """Keep one request in flight on each connection until stop_at."""
    out = Outcome()
    sel = selectors.DefaultSelector()
    n = 0
    people, qrs = plan.people, plan.qrs

    def body_one() -> bytes:
        nonlocal n
        n += 1
        return (f'{{"qr":"{qrs[n % len(qrs)]}","person_id":"{people[n % len(people)]}",'
                f'"client_key":"{plan.key_prefix}{n}"}}').encode()

    def send(conn: _Conn) -> None:
        if plan.batch:
            body = b'{"checkins":[' + b",".join(body_one() for _ in range(plan.batch)) + b"]}"
        else:
            body = body_one()
        conn.items = plan.batch or 1
        conn.sent_at = time.time()
        conn.sock.sendall(HEAD.format(path=plan.path, auth=plan.auth, length=len(body)).encode() + body)

    def open_conn() -> None:
        conn = _Conn(_connect(plan.port))
        sel.register(conn.sock, selectors.EVENT_READ, conn)
        send(conn)

    for _ in range(plan.connections):
        open_conn()
    while sel.get_map():
        for key, _mask in sel.select(timeout=1.0):
            conn = key.data
            try:
                chunk = conn.sock.recv(262144)
                if not chunk:
                    raise ConnectionError("closed by the server")
                conn.buf += chunk
                parsed = _parse(conn.buf)
            except (OSError, ValueError) as exc:
                sel.unregister(conn.sock)
                conn.sock.close()
                out.errors += 1
                out.sample_error = out.sample_error or repr(exc)
                if time.time() < plan.stop_at:
                    open_conn()
                continue
            if parsed is None:
                continue
            status, body, keep_alive, consumed = parsed
            del conn.buf[:consumed]
            now = time.time()
            if plan.start_at <= now <= plan.stop_at:  # answered within the measured window
                out.requests += 1
                out.statuses[status] = out.statuses.get(status, 0) + 1
                out.latencies_ms.append((now - conn.sent_at) * 1000)
                if plan.batch and status == 200:
                    summary = json.loads(body)
                    out.ok += summary["created"] + summary["existing"]
                    out.created += summary["created"]
                    out.failed += summary["failed"]
                elif 200 <= status < 300:
                    out.ok += conn.items
                    out.created += conn.items if status == 201 else 0
                else:
                    out.failed += conn.items
                    out.sample_error = out.sample_error or f"{status} {body[:300]!r}"
            if now >= plan.stop_at or not keep_alive:
                sel.unregister(conn.sock)
                conn.sock.close()
                if not keep_alive and now < plan.stop_at:
                    open_conn()
                continue
            send(conn)
    sel.close()
    return out


def run(plans: list[Plan]) -> Outcome:
    """Drive every plan in its own forked process; the outcomes added up."""
    context = multiprocessing.get_context("fork")
    with context.Pool(len(plans)) as pool:
        outcomes = pool.map(drive, plans)
    total = Outcome()
    for o in outcomes:
        total.ok += o.ok
        total.created += o.created
        total.failed += o.failed
        total.requests += o.requests
        total.errors += o.errors
        total.latencies_ms += o.latencies_ms
        for status, count in o.statuses.items():
            total.statuses[status] = total.statuses.get(status, 0) + count
        total.sample_error = total.sample_error or o.sample_error
    return total
