"""The foundation benchmark (issue 2): generate 1,000,000 people, time people pages, measure memory.

Each database gets its own child processes (`DATABASE_URL=…`), so the benchmark never touches the
demo database except to start a server on it for the memory figure.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import platform
import random
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings

from lachan.core.numbers import is_ascii_digits

MANAGE = str(Path(settings.BASE_DIR) / "manage.py")
REQUEST_URLS = ("people:list", "people:detail")


def child_env(database_url: str | None = None, *, demo: bool = False) -> dict[str, str]:
    env = dict(os.environ)
    if demo:  # exactly as `make demo` runs the server
        env.update({"DEBUG": "1", "LACHAN_EMBEDDED": "1", "PYTHONUNBUFFERED": "1"})
    else:
        # DEBUG off (no query log); static files from the finders, as in tests (no collectstatic needed).
        env.update({"DEBUG": "0", "LACHAN_ALLOW_DEV_SECRET": "1", "LACHAN_TESTING": "1", "PYTHONUNBUFFERED": "1"})
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def manage(args: list[str], *, database_url: str | None, timeout: float = 1800, demo: bool = False
           ) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, MANAGE, *args], env=child_env(database_url, demo=demo), capture_output=True, text=True, timeout=timeout,
        check=False,
    )


def prepare_database(url: str) -> None:
    """An empty database at `url`: the SQLite file removed, or the PostgreSQL database re-created."""
    if url.startswith("sqlite"):
        path = Path(url.split("sqlite:///", 1)[1])
        path.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    if not re.fullmatch(r"[A-Za-z0-9_]+", name):
        raise ValueError(f"unexpected database name {name!r}")
    admin = urllib.parse.urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def generate(url: str, steps: list[list[str]], entry: dict, *, out, err, timeout: float = 7200) -> bool:
    """Re-create the database at `url` and run the management commands `steps` on it, one after another;
    each one's seconds go in `entry` under its name (or entry["error"]). Returns whether all succeeded."""
    prepare_database(url)
    for step in steps:
        began = time.monotonic()
        done = manage(step, database_url=url, timeout=timeout)
        entry[step[0]] = round(time.monotonic() - began, 1)
        if done.returncode:
            err(done.stdout[-2000:] + done.stderr[-2000:])
            entry["error"] = f"{step[0]} failed"
            return False
        out(f"   {step[0]}: {entry[step[0]]:.0f} s")
    return True


def measure_child(args: list[str], url: str, entry: dict, *, err, timeout: float = 7200) -> None:
    """Run a benchmark command's `--child` on the database at `url`; its RESULT line goes into `entry`
    (or entry["error"] with the child's output written to `err`)."""
    done = manage(args, database_url=url, timeout=timeout)
    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
    if line is None:
        err(done.stdout[-2000:] + done.stderr[-3000:])
        entry["error"] = "measuring failed"
    else:
        entry.update(json.loads(line[7:]))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def measure_requests(*, samples: int) -> dict:
    """Run inside a child on the benchmark database: timings of the people pages through the test Client."""
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from lachan.accounts.models import User
    from lachan.people.models import Person

    from .demo import _accounts

    try:
        list_url = reverse("people:list")
        reverse("people:detail", args=["00000000-0000-7000-8000-000000000000"])
    except NoReverseMatch as exc:
        return {"error": f"people pages not available: {exc}"}
    _accounts(tree=settings.LACHAN_ADMIN_TREE, province_code=settings.LACHAN_PROVINCE_CODE)
    rng = random.Random(7)
    results: dict[str, dict] = {}
    for username in ("province", "commune"):
        user = User.objects.get(username=username)
        client = Client()
        client.force_login(user)
        scope = Person.objects.all()
        if user.jurisdiction_unit and user.jurisdiction_unit.level == 3:
            scope = scope.filter(commune=user.jurisdiction_unit)
        sample = list(scope.exclude(national_id="").exclude(phone="").order_by("id")[:2000:40])
        people = [rng.choice(sample) for _ in range(samples)]
        queries = []
        for p in people:
            words = p.full_name.split()
            queries.append(rng.choice([
                p.full_name, p.search_name, f"{words[0]} {words[-1]}", p.search_name.split()[-1], p.national_id, p.phone,
            ]))

        def timed(url, params=None, *, _client=client):
            start = time.perf_counter()
            response = _client.get(url, params or {})
            elapsed = (time.perf_counter() - start) * 1000
            if response.status_code != 200:
                raise RuntimeError(f"GET {url} {params} → {response.status_code}")
            return elapsed

        for _warm in range(2):
            timed(list_url)
            timed(list_url, {"q": queries[0]})
        figures = {
            "list": [timed(list_url, {"page": rng.randint(1, 20)} if i % 2 else None) for i in range(samples)],
            "search": [timed(list_url, {"q": q}) for q in queries],
            "detail": [timed(reverse("people:detail", args=[p.pk])) for p in people],
        }
        results[username] = {
            key: {"p50": round(statistics.median(v), 1), "p95": round(percentile(v, 0.95), 1), "n": len(v)}
            for key, v in figures.items()
        }
    return results


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if is_ascii_digits(entry.name):
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def rss_mb(pid: int) -> float:
    total = 0
    for p in _descendants(pid):
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def measure_server_memory(*, database_url: str | None, requests: int = 60) -> dict:
    """Start the demo server on a free port, log in as the province admin, browse, read the RSS."""
    from django.core.management import get_commands

    port = _free_port()
    if "serve" in get_commands():
        args = ["serve", "--host", "127.0.0.1", "--port", str(port)]
    else:
        args = ["runserver", "--noreload", f"127.0.0.1:{port}"]
    proc = subprocess.Popen(
        [sys.executable, MANAGE, *args], env=child_env(database_url, demo=True), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if proc.poll() is not None:
                    return {"error": f"the server exited with {proc.returncode}"}
                time.sleep(0.3)
        else:
            return {"error": "the server did not start in 60 s"}
        idle = rss_mb(proc.pid)
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        login = base + "/accounts/login/"
        try:
            from django.urls import reverse

            login = base + reverse("accounts:login")
        except Exception:  # noqa: BLE001 - fall back to the conventional path
            pass
        try:
            opener.open(login, timeout=30).read()
        except OSError as exc:
            return {"error": f"the log-in page failed: {exc}", "idle_mb": round(idle, 1)}
        token = next((c.value for c in jar if c.name == "csrftoken"), "")
        from .demo import DEMO_PASSWORD

        body = urllib.parse.urlencode({"username": "province", "password": DEMO_PASSWORD, "csrfmiddlewaretoken": token})
        request = urllib.request.Request(login, data=body.encode(), headers={"Referer": login})
        try:
            opener.open(request, timeout=30).read()
        except OSError as exc:
            return {"error": f"log-in failed: {exc}", "idle_mb": round(idle, 1)}
        paths = ["/", "/people/", "/people/?q=nguyen+van", "/people/?q=Tr%E1%BA%A7n+Th%E1%BB%8B", "/people/?page=3", "/api/openapi.json"]
        ok = 0
        for i in range(requests):
            try:
                opener.open(base + paths[i % len(paths)], timeout=30).read()
                ok += 1
            except OSError:
                pass
        return {"idle_mb": round(idle, 1), "after_mb": round(rss_mb(proc.pid), 1), "requests_ok": ok,
                "requests": requests, "command": args[0]}
    finally:
        try:
            os.killpg(proc.pid, 15)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = 0.0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "ram_gb": round(ram, 1), "cpu": cpu, "python": platform.python_version(),
            "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}


def redact(url: str) -> str:
    if url.startswith("sqlite"):
        return url
    parts = urllib.parse.urlsplit(url)
    if parts.password:
        parts = parts._replace(netloc=parts.netloc.replace(":" + parts.password + "@", ":***@"))
    return urllib.parse.urlunsplit(parts)


DOC_INTRO = """# Benchmarks

Figures measured by `make bench` (`python manage.py bench_foundation`). Each run appends a section
below with the machine and the date. To reproduce:

```sh
make install
.venv/bin/python manage.py bench_foundation                       # SQLite file under var/bench/
.venv/bin/python manage.py bench_foundation \\
    --database-url sqlite:///var/bench/lc_bench.sqlite3 \\
    --database-url postgres://postgres@127.0.0.1:5432/lc_bench     # and PostgreSQL (re-created!)
```

What is measured (targets from issue 2):
- **generate**: `simulate_province --people 1000000` into an empty, migrated database, wall-clock
  time of the whole command (target ≤ 5 minutes on SQLite and on PostgreSQL).
- **people list / search / person page**: Django's test Client, logged in as the province
  administrator (whole province) and as a commune health station; list pages 1–20, searches by
  name with and without diacritics, national ID and phone; person pages of random people
  (targets: list and search p95 ≤ 200 ms, person page p95 ≤ 100 ms). DEBUG is off.
- **memory**: resident memory (VmRSS summed over the process tree) of the demo server
  (`manage.py serve`, or `runserver --noreload` before `serve` existed) on the demo database, after
  logging in and ~60 page requests (target ≤ 300 MB), run as `make demo` runs it (DEBUG=1,
  LACHAN_EMBEDDED=1) on a demo database of its own (var/bench/demo.sqlite3, 20,000 people).
"""


def doc_section(results: dict) -> str:
    m = results["machine"]
    lines = [
        f"\n## {m['date']} — {results['people']:,} people\n",
        f"Machine: {m['nproc']} cores ({m['cpu']}), {m['ram_gb']} GB RAM, Python {m['python']}.\n",
        "| database | generate | user | list p50 / p95 | search p50 / p95 | person page p50 / p95 |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    verdicts = []
    for db in results["databases"]:
        gen = db.get("generate_seconds")
        if gen is not None:
            gen_text = f"{gen:.0f} s"
        else:
            gen_text = "not run (data kept)" if db.get("generation_skipped") else db.get("error", "failed")
        if gen is not None and gen > 300:
            verdicts.append(f"generation on {db['vendor']} took {gen:.0f} s, over the 5-minute target")
        req = db.get("requests") or {}
        if "error" in req or not req:
            lines.append(f"| {db['vendor']} | {gen_text} | – | {req.get('error', 'not measured')} | | |")
            continue
        for user, figures in req.items():
            cells = []
            for key, target in (("list", 200), ("search", 200), ("detail", 100)):
                f = figures[key]
                cells.append(f"{f['p50']:.0f} / {f['p95']:.0f} ms")
                if f["p95"] > target:
                    verdicts.append(f"{key} p95 for the {user} user on {db['vendor']} is {f['p95']:.0f} ms (target {target} ms)")
            lines.append(f"| {db['vendor']} | {gen_text} | {user} | " + " | ".join(cells) + " |")
    mem = results.get("memory") or {}
    if "error" in mem or not mem:
        lines.append(f"\nDemo server memory: not measured ({mem.get('error', 'skipped')}).")
    else:
        lines.append(
            f"\nDemo server memory (`{mem['command']}`): {mem['idle_mb']:.0f} MB idle, {mem['after_mb']:.0f} MB after "
            f"{mem['requests_ok']}/{mem['requests']} requests."
        )
        if mem["after_mb"] > 300:
            verdicts.append(f"the demo server uses {mem['after_mb']:.0f} MB, over the 300 MB target")
    lines.append("")
    lines.append("Missed targets: " + ("; ".join(verdicts) + "." if verdicts else "none."))
    return "\n".join(lines) + "\n"


def write_doc(results: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = path.read_text() if path.exists() else DOC_INTRO
    path.write_text(text.rstrip("\n") + "\n" + doc_section(results))


def vendor_of(url: str) -> str:
    return "SQLite" if url.startswith("sqlite") else "PostgreSQL"


def sqlite_size_mb(url: str) -> float | None:
    if not url.startswith("sqlite"):
        return None
    path = Path(url.split("sqlite:///", 1)[1])
    return round(sum(Path(str(path) + s).stat().st_size for s in ("", "-wal") if Path(str(path) + s).exists()) / 2**20, 1)

