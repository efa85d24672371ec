import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from lachan.simulate import bench


class Command(BaseCommand):
    help = ("Benchmark of the laboratory (issue 4): generate the province into a separate database, write 50,000 "
            "tubes (pools and individual samples) and the lab's result file for them, time its import without the "
            "tracing that follows and with it; figures appended to docs/benchmarks.md.")

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=1_000_000)
        parser.add_argument("--seed", type=int, default=2021)
        parser.add_argument("--database-url", action="append", dest="urls",
                            help="a database to benchmark (re-created unless --skip-generate); repeat for several")
        parser.add_argument("--rows", type=int, default=50000, help="rows of the result file (one tube each)")
        parser.add_argument("--positive-rate", type=float, default=0.01)
        parser.add_argument("--checkins-days", type=int, default=0,
                            help="also generate this many days of check-ins (for tracing with something to find)")
        parser.add_argument("--only", choices=["import", "traced", "lookup"], default="",
                            help="measure only this part (lookup: the citizens' result look-up and the dashboard, "
                                 "lachan.simulate.bench_lookup)")
        parser.add_argument("--skip-generate", action="store_true", help="reuse the province already in the databases")
        parser.add_argument("--doc", default=str(Path(settings.BASE_DIR) / "docs" / "benchmarks.md"))
        parser.add_argument("--no-doc", action="store_true")
        parser.add_argument("--child", action="store_true", help="(internal) measure this process's database")

    def handle(self, *args, people, seed, urls, rows, positive_rate, checkins_days, only, skip_generate, doc, no_doc,
               child, **options):
        if child and only == "lookup":
            from lachan.simulate.bench_lookup import measure_all as measure_lookup

            self.stdout.write("RESULT " + json.dumps(measure_lookup(samples=300_000, lookups=2000, seed=seed), default=str))
            return
        if child:
            from lachan.simulate.bench_labs import measure_all

            result = measure_all(rows=rows, seed=seed, positive_rate=positive_rate, only=only)
            self.stdout.write("RESULT " + json.dumps(result, default=str))
            return
        urls = urls or [f"sqlite:///{Path(settings.VAR_DIR) / 'bench' / 'lc_bench_labs.sqlite3'}"]
        machine = bench.machine()
        sections = []
        for url in urls:
            vendor = bench.vendor_of(url)
            entry = {"vendor": vendor, "url": bench.redact(url)}
            self.stdout.write(f"== {vendor}: {entry['url']}")
            if not skip_generate:
                steps = [["migrate", "--noinput", "-v0"], ["simulate_province", "--people", str(people), "--seed", str(seed)]]
                if checkins_days:
                    steps.append(["simulate_checkins", "--days", str(checkins_days), "--seed", str(seed)])
                if not bench.generate(url, steps, entry, out=self.stdout.write, err=self.stderr.write):
                    sections.append(entry)
                    continue
            bench.measure_child(["bench_labs", "--child", "--rows", str(rows), "--seed", str(seed),
                                 "--positive-rate", str(positive_rate), *(["--only", only] if only else [])],
                                url, entry, err=self.stderr.write, timeout=7200)
            self.stdout.write(f"   {entry}")
            sections.append(entry)
        if only == "lookup":
            from lachan.simulate.bench_lookup import doc_section as lookup_doc_section

            text = lookup_doc_section(machine, sections)
        else:
            text = doc_section(machine, sections, skip_generate=skip_generate)
        self.stdout.write(text)
        if not no_doc:
            path = Path(doc)
            path.write_text(path.read_text().rstrip("\n") + "\n" + text)
            self.stdout.write(self.style.SUCCESS(f"Figures appended to {doc}"))


def _run_cell(run: dict | None) -> str:
    if not run:
        return "not measured"
    if "seconds" not in run:
        return run.get("error", "?")
    return f"{run['seconds']:.1f} s (CPU {run['cpu_s']:.1f} s, load {run['load']})"


def doc_section(m, entries, *, skip_generate) -> str:
    first = next((e for e in entries if "people" in e), {})
    file = first.get("file", {})
    lines = [
        f"\n## Laboratory benchmark — {m['date']} — {first.get('people', 0):,} people, a result file of "
        f"{file.get('tubes', 0):,} rows\n",
        f"`python manage.py bench_labs` ({'province kept' if skip_generate else 'province generated'}); machine: "
        f"{m['nproc']} cores ({m['cpu']}), {m['ram_gb']} GB RAM, Python {m['python']}. The file: "
        f"{file.get('tubes', 0):,} tubes ({file.get('pools', 0):,} pools of 5–10, the rest individual; "
        f"{file.get('swabs', 0):,} people swabbed), {file.get('positives', 0)} positive rows "
        f"({file.get('pooled_positives', 0)} pools). Each import committed as in use, then undone (tubes, cases, "
        "messages and audit events deleted). Targets: ≤ 10 s without the tracing, ≤ 60 s with it. The import "
        "queues the telling of a big file's people (a message each, an audit event each) in its transaction; "
        "\"then told\" is the worker's time for it, after the import.\n",
        "| database | generate province | check the file (no write) | import without tracing | cases confirmed "
        "| people told (then told in) | import with tracing | contacts told |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for e in entries:
        if "error" in e and "import" not in e and "traced" not in e:
            lines.append(f"| {e['vendor']} | {e['error']} | | | | | | |")
            continue
        gen = f"{e['simulate_province']:.0f} s" if "simulate_province" in e else "not run (data kept)"
        plain, traced = e.get("import") or {}, e.get("traced") or {}
        summary = plain.get("summary") or traced.get("summary") or {}
        told = summary.get("notified")
        tell = plain.get("tell") or {}
        told_cell = f"{told:,}" if isinstance(told, int) else "–"
        if tell.get("tasks"):
            told_cell += f" ({tell['seconds']:.1f} s, {tell['tasks']} tasks)"
        lines.append(f"| {e['vendor']} | {gen} | {e.get('check', {}).get('seconds', '–')} s | {_run_cell(plain)} "
                     f"| {summary.get('cases', '–')} | {told_cell} "
                     f"| {_run_cell(traced)} | {traced.get('summary', {}).get('contacts_notified', '–')} |")
    return "\n".join(lines) + "\n"
