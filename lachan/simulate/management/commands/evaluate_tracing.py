import time
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from lachan.accounts.actors import system_actor
from lachan.cases.models import Case
from lachan.core.errors import DomainError
from lachan.simulate import bench
from lachan.simulate.checkins import checkins_generate, window_of
from lachan.simulate.evaluation import cases_confirm_and_trace, tracing_evaluate
from lachan.simulate.outbreak import Params, outbreak_simulate
from lachan.simulate.province import DEFAULT_AS_OF, SYNTH_ID_LIMIT, province_generate, synthetic_exists
from lachan.venues.models import CheckIn


class Command(BaseCommand):
    help = ("Evaluate tracing quality: simulate an outbreak over the synthetic province's households, check-ins and "
            "proximity, confirm and trace the detected cases with the platform, report recall and burden.")

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=30000, help="province size if none is generated yet")
        parser.add_argument("--days", type=int, default=21)
        parser.add_argument("--seed", type=int, default=2021)
        parser.add_argument("--index", type=int, default=Params.index_infections, help="index infections")
        parser.add_argument("--doc", default=str(Path(settings.BASE_DIR) / "docs" / "benchmarks.md"))
        parser.add_argument("--no-doc", action="store_true")

    def handle(self, *args, people, days, seed, index, doc, no_doc, **options):
        log = self.stdout.write
        began = time.monotonic()
        try:
            if not synthetic_exists():
                log(f"Generating a province of {people:,} people…")
                province_generate(people=people, seed=seed, log=log)
            if not CheckIn.objects.filter(person_id__lt=SYNTH_ID_LIMIT).exists():
                log(f"Generating {days} days of check-ins…")
                checkins_generate(seed=seed, days=days, end=DEFAULT_AS_OF)
        except DomainError as exc:
            raise CommandError(str(exc.message)) from None
        start, end = window_of(days=days, end=DEFAULT_AS_OF)
        removed = Case.objects.filter(person_id__lt=SYNTH_ID_LIMIT).delete()[0]
        if removed:
            log(f"Removed {removed:,} rows of a previous evaluation (cases of synthetic people).")
        t = time.monotonic()
        outbreak = outbreak_simulate(seed=seed, start=start, end=end, params=Params(index_infections=index))
        log(f"Outbreak: {len(outbreak.infections):,} infections, {len(outbreak.confirmed()):,} confirmed "
            f"({time.monotonic() - t:.1f} s). Tracing…")
        cases, timings = cases_confirm_and_trace(outbreak, by=system_actor("evaluate_tracing"), log=log)
        result = tracing_evaluate(outbreak, cases)
        result.trace_ms = timings
        from lachan.people.models import Person

        size = Person.objects.filter(id__lt=SYNTH_ID_LIMIT).count()
        checkins = CheckIn.objects.filter(person_id__lt=SYNTH_ID_LIMIT).count()
        rows = result.rows()
        if timings:
            rows.append(("confirm + trace one F0, p50 / p95",
                         f"{bench.percentile(timings, 0.5):.0f} / {bench.percentile(timings, 0.95):.0f} ms"))
        width = max(len(k) for k, _v in rows)
        log("")
        for key, value in rows:
            log(f"{key:<{width}}  {value}")
        misses = Counter_of(result.misses)
        if misses:
            log("Missed traced transmissions by channel: " + ", ".join(f"{k} {v}" for k, v in misses.items()))
        total = time.monotonic() - began
        if not no_doc:
            section = doc_section(rows, people=size, checkins=checkins, days=days, seed=seed, index=index,
                                  seconds=total, url=settings.DATABASES["default"], misses=misses)
            path = Path(doc)
            path.write_text(path.read_text().rstrip("\n") + "\n" + section if path.exists() else section)
            log(self.style.SUCCESS(f"Figures appended to {doc}"))
        for key, target in (("household", 0.95), ("small_venue", 0.95)):
            value = result.recall[key].value
            if value is not None and value < target:
                self.stderr.write(f"recall for {key} is {value:.3f}, under the {target} target")


def Counter_of(misses):  # noqa: N802 - a tiny local helper
    from collections import Counter

    return dict(Counter(t.channel for t in misses))


def doc_section(rows, *, people, checkins, days, seed, index, seconds, url, misses) -> str:
    m = bench.machine()
    vendor = "SQLite" if "sqlite" in url["ENGINE"] else "PostgreSQL"
    lines = [
        f"\n## Tracing quality — {m['date']} — {people:,} people, {checkins:,} check-ins over {days} days\n",
        f"`python manage.py evaluate_tracing --seed {seed} --index {index}` on {vendor}; machine: {m['nproc']} cores "
        f"({m['cpu']}), {m['ram_gb']} GB RAM, Python {m['python']}; {seconds:.0f} s in all.\n",
        "| measure | value |", "| --- | --- |",
    ]
    lines += [f"| {k} | {v} |" for k, v in rows]
    if misses:
        lines.append("\nMissed traced transmissions by channel: " + ", ".join(f"{k} {v}" for k, v in misses.items())
                     + ".")
    return "\n".join(lines) + "\n"


__all__ = ["Command", "date"]
