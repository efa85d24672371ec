import json
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from lachan.simulate import bench

PROVINCE_CODE = "38"  # Thanh Hóa: the province with the most communes, where bench_risk puts its people


def _manage(args: list[str], url: str, *, timeout: float) -> subprocess.CompletedProcess:
    """A child on the database at `url`, with the deployment's province set to the benchmark's."""
    env = bench.child_env(url)
    env["LACHAN_PROVINCE_CODE"] = PROVINCE_CODE
    return subprocess.run([sys.executable, bench.MANAGE, *args], env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


class Command(BaseCommand):
    help = ("Benchmark of the map data, the operations-centre dashboard (issue 6) and the tracing pages and log-in of "
            "issue 12: generate bench_risk's data "
            "(--people people, --cases cases in Thanh Hóa), made current, with places, quarantine facilities, orders "
            "and alerts, 300,000 released tubes, lockdown areas and 14 days of risk levels, into a separate "
            "database, and contacts for the last three weeks' cases (one case with 69 F1s and 562 F2s); then time the "
            "dashboard page, /api/operations/summary and /feed, every map layer, the transmission chain, a tracing "
            "report, the call list and log-in to the dashboard as a province administrator and a commune station. "
            "Target p95 ≤ 300 ms. Prints the figures.")

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=1_000_000)
        parser.add_argument("--cases", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=2021)
        parser.add_argument("--samples", type=int, default=40, help="timed requests of each URL and user")
        parser.add_argument("--database-url", action="append", dest="urls",
                            help="a database to benchmark (re-created unless --skip-generate); repeat for several")
        parser.add_argument("--skip-generate", action="store_true", help="reuse the data already in the databases")
        parser.add_argument("--no-profile", action="store_true", help="no query profile of each URL")
        parser.add_argument("--write-doc", action="store_true", help="append a run-log section to docs/benchmarks.md")
        parser.add_argument("--child", choices=["generate", "tracing", "measure"],
                            help="(internal) work in this process")

    def handle(self, *args, people, cases, seed, samples, urls, skip_generate, no_profile, write_doc, child,  # noqa: C901
               **options):
        if child == "generate":
            from lachan.simulate.bench_situation import generate

            self.stdout.write("RESULT " + json.dumps(generate(people=people, cases=cases, seed=seed), default=str))
            return
        if child == "tracing":
            from lachan.simulate.bench_situation import generate_tracing

            self.stdout.write("RESULT " + json.dumps(generate_tracing(seed=seed), default=str))
            return
        if child == "measure":
            from lachan.simulate.bench_situation import measure

            self.stdout.write("RESULT " + json.dumps(measure(samples=samples, profile=not no_profile), default=str))
            return
        urls = urls or [f"sqlite:///{Path(settings.VAR_DIR) / 'bench' / 'lc_bench_situation.sqlite3'}"]
        machine = bench.machine()
        self.stdout.write(f"machine: {machine}")
        entries, failed = [], []
        for url in urls:
            entry = {"vendor": bench.vendor_of(url), "url": bench.redact(url)}
            entries.append(entry)
            self.stdout.write(f"== {entry['vendor']}: {entry['url']}")
            if skip_generate:
                entry["generation_skipped"] = True
                # A database kept from before issue 12 gets the tracing data (contacts) once, and any new migration.
                for step in (["migrate", "--noinput", "-v0"], ["bench_situation", "--child", "tracing", "--seed",
                                                               str(seed)]):
                    began = time.monotonic()
                    done = _manage(step, url, timeout=7200)
                    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
                    if done.returncode:
                        self.stderr.write(done.stdout[-3000:] + done.stderr[-5000:])
                        raise CommandError(f"{step[0]} failed on {entry['url']}")
                    if line:
                        entry["tracing_generated"] = json.loads(line[7:])
                    self.stdout.write(f"   {' '.join(step[:3])}: {time.monotonic() - began:.0f} s")
            else:
                bench.prepare_database(url)
                steps = [["migrate", "--noinput", "-v0"],
                         ["bench_situation", "--child", "generate", "--people", str(people), "--cases", str(cases),
                          "--seed", str(seed)]]
                ok = True
                for step in steps:
                    began = time.monotonic()
                    done = _manage(step, url, timeout=7200)
                    entry[step[0]] = round(time.monotonic() - began, 1)
                    if done.returncode:
                        self.stderr.write(done.stdout[-3000:] + done.stderr[-5000:])
                        entry["error"] = f"{step[0]} failed"
                        ok = False
                        break
                    line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
                    if line:
                        entry["generated"] = json.loads(line[7:])
                    self.stdout.write(f"   {step[0]}: {entry[step[0]]:.0f} s")
                if not ok:
                    failed.append(entry["vendor"])
                    self.stdout.write(json.dumps(entry, indent=2, ensure_ascii=False))
                    continue
            args = ["bench_situation", "--child", "measure", "--samples", str(samples)]
            if no_profile:
                args.append("--no-profile")
            done = _manage(args, url, timeout=3600)
            line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
            if done.returncode or line is None:
                self.stderr.write(done.stdout[-3000:] + done.stderr[-5000:])
                entry["error"] = "measuring failed"
                failed.append(entry["vendor"])
            else:
                entry.update(json.loads(line[7:]))
            self.stdout.write(json.dumps(entry, indent=2, ensure_ascii=False))
            for user, steps in (entry.get("login") or {}).items():
                for name, f in steps.items():
                    self.stdout.write(f"   {user:8} {name:30} p50 {f['p50']:7.1f}  p95 {f['p95']:7.1f}  max "
                                      f"{f['max']:7.1f} ms")
            for user, figures in (entry.get("users") or {}).items():
                for name, f in figures.items():
                    mark = "  OVER 300 ms" if f["p95"] > 300 else ""
                    self.stdout.write(f"   {user:8} {name:30} p50 {f['p50']:7.1f}  p95 {f['p95']:7.1f}  max "
                                      f"{f['max']:7.1f} ms{mark}")
        if write_doc:
            from lachan.simulate.bench_situation import doc_section

            path = Path(settings.BASE_DIR) / "docs" / "benchmarks.md"
            path.write_text(path.read_text().rstrip("\n") + "\n" + doc_section(
                machine=machine, entries=entries, people=people, cases=cases, samples=samples))
            self.stdout.write(f"appended to {path}")
        if failed:
            raise CommandError(f"the benchmark failed on {', '.join(failed)} (see above)")
