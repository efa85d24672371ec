import json
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
        parser.add_argument("--api-batch", type=int, default=100,
                            help="check-ins per request for the batch API figure (0: single check-ins only)")
        parser.add_argument("--only", choices=["tracing", "api", "logbook"], default="",
                            help="measure only this part (while working on it)")
        parser.add_argument("--skip-generate", action="store_true", help="reuse the data already in the databases")
        parser.add_argument("--generate-only", action="store_true",
                            help="only generate the data (its timings are kept beside it for a later --skip-generate run)")
        parser.add_argument("--doc", default=str(Path(settings.BASE_DIR) / "docs" / "benchmarks.md"))
        parser.add_argument("--no-doc", action="store_true")
        parser.add_argument("--child", action="store_true", help="(internal) measure this process's database")

    def handle(self, *args, people, days, seed, urls, samples, api_seconds, logbook_rows, skip_generate, doc, no_doc,
               child, generate_only, api_batch, only, **options):
        if child:
            from lachan.simulate.bench_tracing import measure_all

            result = measure_all(samples=samples, api_seconds=api_seconds, logbook_rows=logbook_rows, only=only,
                                 api_batch=api_batch)
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
                steps = [["migrate", "--noinput", "-v0"],
                         ["simulate_province", "--people", str(people), "--seed", str(seed)],
                         ["simulate_checkins", "--days", str(days), "--seed", str(seed)]]
                if not bench.generate(url, steps, entry, out=self.stdout.write, err=self.stderr.write):
                    sections.append(entry)
                    continue
                generation_record(url).parent.mkdir(parents=True, exist_ok=True)
                generation_record(url).write_text(json.dumps({k: entry[k] for k in ("migrate", "simulate_province",
                                                                                        "simulate_checkins")}))
            elif generation_record(url).exists():
                entry.update(json.loads(generation_record(url).read_text()))
            if generate_only:
                continue
            bench.measure_child(["bench_tracing", "--child", "--samples", str(samples), "--api-seconds", str(api_seconds),
                                 "--logbook-rows", str(logbook_rows), "--api-batch", str(api_batch),
                                 *(["--only", only] if only else [])],
                                url, entry, err=self.stderr.write, timeout=3600)
            self.stdout.write(f"   {entry}")
            sections.append(entry)
        if generate_only:
            return
        text = doc_section(machine, sections, skip_generate=skip_generate)
        self.stdout.write(text)
        if not no_doc:
            path = Path(doc)
            path.write_text(path.read_text().rstrip("\n") + "\n" + text)
            self.stdout.write(self.style.SUCCESS(f"Figures appended to {doc}"))


def generation_record(url: str) -> Path:
    """Where the time it took to generate a benchmark database is kept, so a later measuring run can report it."""
    name = "".join(c if c.isalnum() else "_" for c in bench.redact(url))[-80:]
    return Path(settings.VAR_DIR) / "bench" / f"generated-{name}.json"


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
        if skip_generate and "simulate_checkins" in e:
            gen += " (earlier run)"
        t, lb = e.get("tracing", {"error": "not measured"}), e.get("logbook")
        trace = f"{t['p50']:.0f} / {t['p95']:.0f} ms ({t['n']})" if "p50" in t else t.get("error", "?")
        if "cold_ms" in t:
            trace += f"; first, cold: {t['cold_ms']:.0f} ms"
        contacts = f"{t.get('f1_median', '–')} / {t.get('f2_median', '–')} / {t.get('notices_median', '–')}"
        api = " + ".join(_api_cell(e[k]) for k in ("api", "api_batch") if k in e) or "not measured"
        logbook = f"{lb['rows_per_second']:,.0f} rows/s ({lb['rows']:,} rows)" if lb else "not measured"
        lines.append(f"| {e['vendor']} | {gen} | {trace} | {contacts} | {api} | {logbook} |")
    return "\n".join(lines) + "\n"


def _api_cell(a: dict) -> str:
    if "per_second" not in a:
        return a.get("error", "?")
    kind = f"batches of {a['batch']}" if a.get("batch") else "single"
    shape = f"{a['workers']}×{a['threads']} threads" if "workers" in a else f"{a['threads']} threads"
    shape = f"{a['server']} {shape}" if a.get("server") else shape
    p50 = f", p50 {a['p50_ms']:.0f} ms / p99 {a['p99_ms']:.0f} ms" if a.get("p50_ms") is not None else ""
    cpu = (f", server {a['server_cpu_ms']:.2f} ms CPU per check-in on {a['server_cores']:.1f} cores"
           if "server_cpu_ms" in a else "")
    return f"{a['per_second']:,.0f} check-ins/s {kind} ({shape}{p50}{cpu}, {a['failed']} failed)"
