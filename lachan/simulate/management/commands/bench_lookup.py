import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from lachan.simulate import bench


class Command(BaseCommand):
    help = ("Benchmark of the citizens' result look-up and the laboratory dashboard (issue 4): on databases that "
            "already hold the synthetic province (simulate_province, bench_labs), write a few hundred thousand tubes, "
            "time look-ups through the API (target p95 ≤ 100 ms) and the dashboard, delete the tubes; figures "
            "appended to docs/benchmarks.md.")

    def add_arguments(self, parser):
        parser.add_argument("--database-url", action="append", dest="urls",
                            help="a database holding the province (kept); repeat for several")
        parser.add_argument("--samples", type=int, default=300_000, help="tubes to write")
        parser.add_argument("--lookups", type=int, default=2000)
        parser.add_argument("--seed", type=int, default=2021)
        parser.add_argument("--doc", default=str(Path(settings.BASE_DIR) / "docs" / "benchmarks.md"))
        parser.add_argument("--no-doc", action="store_true")
        parser.add_argument("--keep", action="store_true", help="keep the tubes written (to look at the pages)")
        parser.add_argument("--child", action="store_true", help="(internal) measure this process's database")

    def handle(self, *args, urls, samples, lookups, seed, doc, no_doc, keep, child, **options):
        if child:
            from lachan.simulate.bench_lookup import measure_all

            result = measure_all(samples=samples, lookups=lookups, seed=seed, keep=keep)
            self.stdout.write("RESULT " + json.dumps(result, default=str))
            return
        urls = urls or [f"sqlite:///{Path(settings.VAR_DIR) / 'bench' / 'lc_bench_labs.sqlite3'}"]
        entries = []
        for url in urls:
            entry = {"vendor": bench.vendor_of(url), "url": bench.redact(url)}
            self.stdout.write(f"== {entry['vendor']}: {entry['url']}")
            bench.measure_child(["bench_lookup", "--child", "--samples", str(samples), "--lookups", str(lookups),
                                 "--seed", str(seed), *(["--keep"] if keep else [])],
                                url, entry, err=self.stderr.write, timeout=7200)
            self.stdout.write(f"   {entry}")
            entries.append(entry)
        from lachan.simulate.bench_lookup import doc_section

        text = doc_section(bench.machine(), entries)
        self.stdout.write(text)
        if not no_doc:
            path = Path(doc)
            path.write_text(path.read_text().rstrip("\n") + "\n" + text)
            self.stdout.write(self.style.SUCCESS(f"Figures appended to {doc}"))
