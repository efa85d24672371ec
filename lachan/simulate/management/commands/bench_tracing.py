import json
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from lachan.simulate import bench


class Command(BaseCommand):
    help = ("Benchmark of tracing (issue 3): generate the province and its check-ins into a separate database, time "
            "tracing one F0, the check-in API and the logbook import; figures appended to docs/benchmarks.md.")

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=1_000_000)
        parser.add_argument("--days", type=int, default=21)
        parser.add_argument("--seed", type=int, default=2021)
        parser.add_argument("--database-url", action="append", dest="urls",
                            help="a database to benchmark (re-created unless --skip-generate); repeat for several")
        parser.add_argument("--samples", type=int, default=30, help="cases traced")
        parser.add_argument("--api-seconds", type=float, default=10.0)
        parser.add_argument("--logbook-rows", type=int, default=50000)
        parser.add_argument("--skip-generate", action="store_true", help="reuse the data already in the databases")
        parser.add_argument("--doc", default=str(Path(settings.BASE_DIR) / "docs" / "benchmarks.md"))
        parser.add_argument("--no-doc", action="store_true")
        parser.add_argument("--child", action="store_true", help="(internal) measure this process's database")

    def handle(self, *args, people, days, seed, urls, samples, api_seconds, logbook_rows, skip_generate, doc, no_doc,
               child, **options):
        if child:
            from lachan.simulate.bench_tracing import measure_all

            result = measure_all(samples=samples, api_seconds=api_seconds, logbook_rows=logbook_rows)
            self.stdout.write("RESULT " + json.dumps(result, default=str))
            return
        urls = urls or [f"sqlite:///{Path(settings.VAR_DIR) / 'bench' / 'lc_bench3.sqlite3'}"]
        machine = bench.machine()
        sections = []
        for url in urls:
            vendor = bench.vendor_of(url)
            entry = {"vendor": vendor, "url": bench.redact(url)}
            self.stdout.write(f"== {vendor}: {entry['url']}")
            if not skip_generate:
                bench.prepare_database(url)
                steps = [["migrate", "--noinput", "-v0"],
                         ["simulate_province", "--people", str(people), "--seed", str(seed)],
                         ["simulate_checkins", "--days", str(days), "--seed", str(seed)]]
                for step in steps:
                    began = time.monotonic()
                    done = bench.manage(step, database_url=url, timeout=7200)
                    entry[step[0]] = round(time.monotonic() - began, 1)
                    if done.returncode:
                        self.stderr.write(done.stdout[-2000:] + done.stderr[-2000:])
                        entry["error"] = f"{step[0]} failed"
                        break
                    self.stdout.write(f"   {step[0]}: {entry[step[0]]:.0f} s")
                if "error" in entry:
                    sections.append(entry)
                    continue
            done = bench.manage(["bench_tracing", "--child", "--samples", str(samples), "--api-seconds", str(api_seconds),
                                 "--logbook-rows", str(logbook_rows)], database_url=url, timeout=3600)
            line = next((x for x in done.stdout.splitlines() if x.startswith("RESULT ")), None)
            if line is None:
                self.stderr.write(done.stdout[-2000:] + done.stderr[-3000:])
                entry["error"] = "measuring failed"
            else:
                entry.update(json.loads(line[7:]))
            self.stdout.write(f"   {entry}")
            sections.append(entry)
        text = doc_section(machine, sections, skip_generate=skip_generate)
        self.stdout.write(text)
        if not no_doc:
            path = Path(doc)
            path.write_text(path.read_text().rstrip("\n") + "\n" + text)
            self.stdout.write(self.style.SUCCESS(f"Figures appended to {doc}"))


def doc_section(m, entries, *, skip_generate) -> str:
    first = next((e for e in entries if "people" in e), {})
    lines = [
        f"\n## Tracing benchmark — {m['date']} — {first.get('people', 0):,} people, {first.get('venues', 0):,} venues, "
        f"{first.get('checkins', 0):,} check-ins\n",
        f"`python manage.py bench_tracing` ({'data kept' if skip_generate else 'generated'}); machine: {m['nproc']} cores "
        f"({m['cpu']}), {m['ram_gb']} GB RAM, Python {m['python']}. Targets: trace one F0 p50 ≤ 200 ms, p95 ≤ 1 s; "
        "check-in API ≥ 1,000/s; logbook import ≥ 40,000 rows/s.\n",
        "| database | generate (province / check-ins) | trace one F0 p50 / p95 (n) | median F1 / F2 / notices "
        "| check-in API | logbook import |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for e in entries:
        if "error" in e and "tracing" not in e:
            lines.append(f"| {e['vendor']} | {e['error']} | | | | |")
            continue
        gen = (f"{e['simulate_province']:.0f} s / {e['simulate_checkins']:.0f} s" if "simulate_checkins" in e
               else "not run (data kept)")
        t, a, lb = e["tracing"], e["api"], e["logbook"]
        trace = f"{t['p50']:.0f} / {t['p95']:.0f} ms ({t['n']})" if "p50" in t else t.get("error", "?")
        contacts = f"{t.get('f1_median', '–')} / {t.get('f2_median', '–')} / {t.get('notices_median', '–')}"
        lines.append(f"| {e['vendor']} | {gen} | {trace} | {contacts} | {a['per_second']:,.0f}/s ({a['threads']} threads, "
                     f"{a['failed']} failed) | {lb['rows_per_second']:,.0f} rows/s ({lb['rows']:,} rows) |")
    return "\n".join(lines) + "\n"
