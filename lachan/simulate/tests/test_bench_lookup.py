"""The result look-up benchmark end to end, small: a throw-away SQLite province, tubes written, look-ups
through the API (found, wrong date of birth, unknown code), the dashboard and advice pages timed, and
nothing left behind."""

import json
import sqlite3

import pytest

from lachan.simulate import bench
from lachan.simulate.bench_lookup import doc_section


@pytest.mark.bench  # on its own SQLite file, whatever the test database: CI runs it once
def test_lookup_benchmark_on_a_small_province(tmp_path):
    path = tmp_path / "bench.sqlite3"
    url = f"sqlite:///{path}"
    for step in (["migrate", "--noinput", "-v0"], ["simulate_province", "--people", "1500", "--seed", "1"]):
        done = bench.manage(step, database_url=url, timeout=600)
        assert done.returncode == 0, done.stderr[-2000:]
    done = bench.manage(["bench_lookup", "--child", "--samples", "400", "--lookups", "60"], database_url=url,
                        timeout=600)
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
    assert line, done.stdout[-2000:] + done.stderr[-2000:]
    result = json.loads(line[7:])
    assert result["file"]["tubes"] == 400 and result["file"]["swabs"] >= 400
    look = result["lookup"]
    assert look["found"]["status"] == {"200": look["found"]["n"]} and look["found"]["n"] > 30
    assert set(look["wrong_birth_date"]["status"]) == {"404"} and set(look["unknown_code"]["status"]) == {"404"}
    assert look["wrong_birth_date"]["p50"] >= 60 and look["unknown_code"]["p50"] >= 60  # the failures' floor
    assert look["page"]["status"] == {"200": look["page"]["n"]}
    assert set(result["pages"]) == {"province", "district", "laboratory"}
    for pages in result["pages"].values():
        assert all(pages[k] > 0 for k in ("dashboard_first", "dashboard_cold", "dashboard_warm", "advice_warm"))
    with sqlite3.connect(path) as db:  # nothing left behind
        assert db.execute("SELECT count(*) FROM labs_sample").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM accounts_auditevent WHERE ip LIKE '198.18.%'").fetchone()[0] == 0
        assert db.execute("SELECT count(*) FROM labs_resultstatperiod").fetchone()[0] == 0
    text = doc_section(bench.machine(), [{"vendor": "SQLite", **result}])
    assert "| SQLite |" in text and "right date of birth" in text and "| province |" in text
