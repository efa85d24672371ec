import json
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand

from lachan.simulate import bench


class Command(BaseCommand):
    help = ("Benchmark of the daily risk levels (issue 6): generate the country's 2021 tree with --people people and "
            "--cases cases in its largest province into a separate database, then time the whole computation "
            "(gathering the inputs, the rules for every unit, the day's rows written) for that province and for "
            "the whole country (≈ 10,600 communes), under Decisions 4800 and 2686. Target ≤ 5 s. Prints the figures.")

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=1_000_000)
        parser.add_argument("--cases", type=int, default=100_000)
        parser.add_argument("--seed", type=int, default=2021)
        parser.add_argument("--repeat", type=int, default=3, help="timed runs of each computation")
        parser.add_argument("--database-url", action="append", dest="urls",
                            help="a database to benchmark (re-created unless --skip-generate); repeat for several")
        parser.add_argument("--skip-generate", action="store_true", help="reuse the data already in the databases")
        parser.add_argument("--child", choices=["generate", "measure"], help="(internal) work in this process")

    def handle(self, *args, people, cases, seed, repeat, urls, skip_generate, child, **options):
        if child == "generate":
            from lachan.simulate.bench_risk import generate

            self.stdout.write("RESULT " + json.dumps(generate(people=people, cases=cases, seed=seed)))
            return
        if child == "measure":
            from lachan.simulate.bench_risk import measure

            self.stdout.write("RESULT " + json.dumps(measure(repeat=repeat), default=str))
            return
        urls = urls or [f"sqlite:///{Path(settings.VAR_DIR) / 'bench' / 'lc_bench_risk.sqlite3'}"]
        machine = bench.machine()
        self.stdout.write(f"machine: {machine}")
        for url in urls:
            entry = {"vendor": bench.vendor_of(url), "url": bench.redact(url)}
            self.stdout.write(f"== {entry['vendor']}: {entry['url']}")
            if not skip_generate:
                steps = [["migrate", "--noinput", "-v0"],
                         ["bench_risk", "--child", "generate", "--people", str(people), "--cases", str(cases),
                          "--seed", str(seed)]]
                if not bench.generate(url, steps, entry, out=self.stdout.write, err=self.stderr.write):
                    self.stdout.write(f"   {entry}")
                    continue
            bench.measure_child(["bench_risk", "--child", "measure", "--repeat", str(repeat)], url, entry,
                                err=self.stderr.write, timeout=3600)
            self.stdout.write(json.dumps(entry, indent=2, ensure_ascii=False))
