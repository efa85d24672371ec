"""The laboratory benchmark end to end, small: a throw-away SQLite province, a result file imported without
and with tracing, the database left as it was; and the section it writes."""

import json
import sqlite3

import pytest

from lachan.simulate import bench
from lachan.simulate.management.commands.bench_labs import doc_section


@pytest.mark.bench  # on its own SQLite file, whatever the test database: CI runs it once
def test_lab_benchmark_on_a_small_province(tmp_path):
    path = tmp_path / "bench.sqlite3"
    url = f"sqlite:///{path}"
    for step in (["migrate", "--noinput", "-v0"], ["simulate_province", "--people", "1500", "--seed", "1"]):
        done = bench.manage(step, database_url=url, timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
    done = bench.manage(["bench_labs", "--child", "--rows", "300", "--positive-rate", "0.1"], database_url=url,
                        timeout=600)
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
    assert line, done.stdout[-2000:] + done.stderr[-3000:]
    result = json.loads(line[7:])
    assert result["people"] == 1500 and result["file"]["tubes"] == 300 and result["check"]["errors"] == 0
    assert result["file"]["rounds"] >= 1 and result["file"]["swabs"] > 300  # pools of 5–10 and individual samples
    for key in ("import", "traced"):
        run = result[key]
        assert run["applied"] == 300 and run["seconds"] > 0, run
        summary = run["summary"]
        assert summary["negative"] + summary.get("retest", 0) + summary.get("positive", 0) == result["file"]["swabs"]
        assert summary["cases"] == summary.get("positive", 0) == run["cases"]
    assert result["traced"]["summary"]["contacts_notified"] >= 0
    with sqlite3.connect(path) as db:  # nothing left behind but the benchmark laboratory, its account and campaign
        for table in ("labs_sample", "labs_swab", "labs_resultimport", "cases_case", "notifications_message"):
            assert db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0, table
    text = doc_section(bench.machine(), [{"vendor": "SQLite", "url": url, "migrate": 1.0, "simulate_province": 2.0,
                                          **result}], skip_generate=False)
    assert "## Laboratory benchmark" in text and "1,500 people" in text and "| SQLite | 2 s |" in text
