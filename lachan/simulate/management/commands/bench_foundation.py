import json
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from lachan.simulate import bench


class Command(BaseCommand):
    help = ("Benchmark of the foundation: generate N people into a separate database, time the people "
            "pages, measure the demo server's memory; figures appended to docs/benchmarks.md.")

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=1_000_000)
        parser.add_argument("--seed", type=int, default=2021)
        parser.add_argument("--database-url", action="append", dest="urls",
                            help="a database to benchmark (re-created!); repeat for several. "
                                 "Default: a SQLite file under var/bench/")
        parser.add_argument("--samples", type=int, default=40, help="requests per page and user")
        parser.add_argument("--skip-generate", action="store_true", help="reuse the data already in the databases")
        parser.add_argument("--no-memory", action="store_true")
        parser.add_argument("--doc", default=str(Path(settings.BASE_DIR) / "docs" / "benchmarks.md"))
        parser.add_argument("--no-doc", action="store_true")
        parser.add_argument("--child-requests", action="store_true", help=
                            "(internal) measure the pages on this process's database and print JSON")

    def handle(self, *args, people, seed, urls, samples, skip_generate, no_memory, doc, no_doc, child_requests, **options):
        if child_requests:
            self.stdout.write("RESULT " + json.dumps(bench.measure_requests(samples=samples)))
            return
        if people < 1:
            raise CommandError("--people must be at least 1")
        urls = urls or [f"sqlite:///{Path(settings.VAR_DIR) / 'bench' / 'lc_bench.sqlite3'}"]
        results = {"people": people, "machine": bench.machine(), "databases": []}
        for url in urls:
            vendor = bench.vendor_of(url)
            entry = {"vendor": vendor, "url": bench.redact(url), "generation_skipped": skip_generate}
            results["databases"].append(entry)
            self.stdout.write(f"== {vendor}: {entry['url']}")
            if not skip_generate:
                try:
                    bench.prepare_database(url)
                except Exception as exc:  # noqa: BLE001 - report and go on with the next database
                    entry["error"] = f"cannot prepare the database: {exc}"
                    self.stderr.write(entry["error"])
                    continue
                done = bench.manage(["migrate", "--noinput", "-v0"], database_url=url)
                if done.returncode:
                    entry["error"] = "migrate failed"
                    self.stderr.write(done.stderr[-2000:])
                    continue
                self.stdout.write(f"   generating {people:,} people…")
                start = time.monotonic()
                done = bench.manage(["simulate_province", "--people", str(people), "--seed", str(seed)], database_url=url)
                entry["generate_seconds"] = round(time.monotonic() - start, 1)
                if done.returncode:
                    entry["error"] = "generation failed"
                    self.stderr.write(done.stdout[-2000:] + done.stderr[-2000:])
                    continue
                self.stdout.write(done.stdout)
                self.stdout.write(f"   generate: {entry['generate_seconds']:.1f} s")
                entry["size_mb"] = bench.sqlite_size_mb(url)
            self.stdout.write("   timing the people pages…")
            done = bench.manage(["bench_foundation", "--child-requests", "--samples", str(samples)], database_url=url)
            line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
            entry["requests"] = json.loads(line[7:]) if line else {"error": "the page timings failed"}
            if not line:
                self.stderr.write(done.stdout[-2000:] + done.stderr[-3000:])
            self._print_requests(entry["requests"])
        if not no_memory:
            # A demo database of its own (as `make demo` prepares it), so the real one is left alone.
            (Path(settings.VAR_DIR) / "bench").mkdir(parents=True, exist_ok=True)
            demo_url = f"sqlite:///{Path(settings.VAR_DIR) / 'bench' / 'demo.sqlite3'}"
            self.stdout.write(f"== memory of the demo server ({demo_url})")
            for step in (["migrate", "--noinput", "-v0"], ["demo_setup", "--people", "20000", "--seed", "2021"]):
                done = bench.manage(step, database_url=demo_url, demo=True)
                if done.returncode:
                    self.stderr.write(done.stdout[-2000:] + done.stderr[-2000:])
            results["memory"] = bench.measure_server_memory(database_url=demo_url)
            self.stdout.write(f"   {results['memory']}")
        if not no_doc:
            bench.write_doc(results, Path(doc))
            self.stdout.write(self.style.SUCCESS(f"Figures appended to {doc}"))
        self.stdout.write(bench.doc_section(results))

    def _print_requests(self, figures):
        if "error" in figures:
            self.stdout.write(f"   {figures['error']}")
            return
        for user, pages in figures.items():
            cells = ", ".join(f"{k} p50 {v['p50']:.0f} ms p95 {v['p95']:.0f} ms" for k, v in pages.items())
            self.stdout.write(f"   {user}: {cells}")
