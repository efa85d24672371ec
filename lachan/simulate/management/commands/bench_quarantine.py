import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from lachan.simulate import bench


class Command(BaseCommand):
    help = ("Benchmark of quarantine orders (issue 5): generate the province into a separate database, write a "
            "tracing result of --orders F1 contacts of one case, and time quarantining them in bulk (orders, tests, "
            "events, audit); figures appended to docs/benchmarks.md. The location pings load is "
            "bench_quarantine_pings.")

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=2021)
        parser.add_argument("--database-url", action="append", dest="urls",
                            help="a database to benchmark (re-created unless --skip-generate); repeat for several")
        parser.add_argument("--orders", type=int, default=10_000, help="F1 contacts quarantined at once")
        parser.add_argument("--skip-generate", action="store_true", help="reuse the province already in the databases")
        parser.add_argument("--doc", default=str(Path(settings.BASE_DIR) / "docs" / "benchmarks.md"))
        parser.add_argument("--no-doc", action="store_true")
        parser.add_argument("--child", action="store_true", help="(internal) measure this process's database")

    def handle(self, *args, people, seed, urls, orders, skip_generate, doc, no_doc, child, **options):
        if child:
            from lachan.simulate.bench_quarantine import measure_all

            self.stdout.write("RESULT " + json.dumps(measure_all(orders=orders, seed=seed), default=str))
            return
        urls = urls or [f"sqlite:///{Path(settings.VAR_DIR) / 'bench' / 'lc_bench_quarantine.sqlite3'}"]
        machine = bench.machine()
        sections = []
        for url in urls:
            entry = {"vendor": bench.vendor_of(url), "url": bench.redact(url)}
            self.stdout.write(f"== {entry['vendor']}: {entry['url']}")
            if not skip_generate:
                steps = [["migrate", "--noinput", "-v0"], ["simulate_province", "--people", str(people), "--seed", str(seed)]]
                if not bench.generate(url, steps, entry, out=self.stdout.write, err=self.stderr.write):
                    sections.append(entry)
                    continue
            bench.measure_child(["bench_quarantine", "--child", "--orders", str(orders), "--seed", str(seed)], url, entry,
                                err=self.stderr.write, timeout=3600)
            self.stdout.write(f"   {entry}")
            sections.append(entry)
        from lachan.simulate.bench_quarantine import doc_section

        text = doc_section(machine, sections, skip_generate=skip_generate)
        self.stdout.write(text)
        if not no_doc:
            path = Path(doc)
            path.write_text(path.read_text().rstrip("\n") + "\n" + text)
            self.stdout.write(self.style.SUCCESS(f"Figures appended to {doc}"))
