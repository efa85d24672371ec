"""The check-in benchmark's load generator against a tiny keep-alive HTTP server."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lachan.simulate.loadgen import Plan, _parse, drive, run


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as gunicorn answers

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.seen.append((self.path, self.headers["Authorization"], body))
        if self.path.endswith("/batch"):
            n = len(body["checkins"])
            status, answer = 200, {"created": n - 1, "existing": 0, "failed": 1, "results": []}
        elif body["person_id"] == "bad":
            status, answer = 404, {"code": "checkin_person_unknown"}
        else:
            status, answer = 201, {"id": 1}
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.seen = []
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _plan(server, **kwargs):
    now = time.time()
    return Plan(port=server.server_address[1], auth="lc_secret", qrs=["code.sig", "other.sig"], people=["p1", "p2", "bad"],
                key_prefix="bench-t-", connections=2, start_at=now + 0.1, stop_at=now + 0.6, **kwargs)


def test_single_check_ins_are_counted_by_status(server):
    out = drive(_plan(server))
    assert out.requests > 5 and out.errors == 0
    assert out.ok + out.failed == out.requests and out.failed > 0 and out.ok > out.failed and out.created == out.ok
    assert set(out.statuses) == {201, 404} and "404" in out.sample_error
    assert len(out.latencies_ms) == out.requests
    path, authorization, body = server.seen[0]
    assert path == "/api/venues/checkins" and authorization == "Bearer lc_secret"
    assert body["qr"] in ("code.sig", "other.sig") and body["client_key"].startswith("bench-t-")
    assert {b["qr"] for _p, _a, b in server.seen} == {"code.sig", "other.sig"}
    keys = [b["client_key"] for _p, _a, b in server.seen]
    assert len(keys) == len(set(keys))  # every request a new check-in


def test_batches_count_their_items_and_plans_run_in_processes(server):
    out = run([_plan(server, batch=5, path="/api/venues/checkins/batch") for _ in range(2)])
    assert out.requests > 2 and out.ok == out.created == 4 * out.requests and out.failed == out.requests
    assert len(server.seen[0][2]["checkins"]) == 5


def test_parse_waits_for_the_whole_answer():
    whole = b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
    assert _parse(bytearray(whole[:-1])) is None
    assert _parse(bytearray(whole + b"HTTP/1.1")) == (201, b"{}", False, len(whole))
    with pytest.raises(ValueError):
        _parse(bytearray(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"))
