"""The check-in API benchmark end to end, small: a throw-away SQLite province, a real `manage.py serve`,
forked load generators, single check-ins and batches, the benchmark's check-ins removed afterwards."""

import json
import sqlite3

import pytest

from lachan.simulate import bench


@pytest.mark.bench  # on its own SQLite file, whatever the test database: CI runs it once
def test_checkin_api_benchmark_against_a_real_server(tmp_path):
    path = tmp_path / "bench.sqlite3"
    url = f"sqlite:///{path}"
    for step in (["migrate", "--noinput", "-v0"], ["simulate_province", "--people", "5000", "--seed", "1"]):
        done = bench.manage(step, database_url=url, timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
    done = bench.manage(["bench_tracing", "--child", "--only", "api", "--api-seconds", "0.5", "--api-batch", "5"],
                        database_url=url, timeout=300)
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
    assert line, done.stdout[-2000:] + done.stderr[-2000:]
    result = json.loads(line[7:])
    assert "tracing" not in result and "logbook" not in result
    single, batch = result["api"], result["api_batch"]
    assert single["batch"] == 0 and batch["batch"] == 5 and single["workers"] == 2
    for figures in (single, batch):
        assert figures["ok"] > 0 and figures["failed"] == 0 and figures["connection_errors"] == 0, figures
        # New visits; on this 5,000-person province a fast server may come back to a person and venue within the
        # dedupe window now and then: a second scan, answered 200 with the existing check-in.
        assert set(figures["statuses"]) <= {"200", "201"} and figures["created"] >= 0.8 * figures["ok"], figures
        assert figures["per_second"] == pytest.approx(figures["ok"] / 0.5)
        assert 0 < figures["p50_ms"] <= figures["p99_ms"] and figures["server_cpu_ms"] > 0
    assert batch["requests"] * 5 == batch["ok"]
    with sqlite3.connect(path) as db:  # the benchmark leaves no check-in behind
        assert db.execute("SELECT count(*) FROM venues_checkin WHERE client_key LIKE 'bench-%'").fetchone()[0] == 0
