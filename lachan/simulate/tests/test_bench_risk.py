"""The risk levels benchmark end to end, small: the country's 2021 tree in a throw-away SQLite file, a few
thousand people and cases, every unit computed for the largest province and the whole country."""

import json

import pytest

from lachan.simulate import bench


@pytest.mark.bench  # on its own SQLite file, whatever the test database: CI runs it once
def test_risk_benchmark_small(tmp_path):
    url = f"sqlite:///{tmp_path / 'bench.sqlite3'}"
    steps = (["migrate", "--noinput", "-v0"],
             ["bench_risk", "--child", "generate", "--people", "3000", "--cases", "300", "--seed", "1"],
             ["bench_risk", "--child", "measure", "--repeat", "1"])
    for step in steps:
        done = bench.manage(step, database_url=url, timeout=900)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
    result = json.loads(line[7:])
    assert result["people"] == 3000 and result["cases"] == 300 and result["country_communes"] > 10_000
    for key in ("province_4800", "country_4800", "province_2686", "country_2686"):
        run = result[key]
        assert run["rows"] == run["units"] and run["total_s_min"] > 0, key
        assert sum(run["levels"].values()) + run["not_assessed"] == run["units"]
    assert result["country_4800"]["units"] == result["country_units"]
    assert result["province_4800"]["units"] == result["province_communes"] + result["province_districts"] + 1
