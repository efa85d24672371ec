from datetime import date

from django.core.management.base import BaseCommand, CommandError

from lachan.core.errors import DomainError
from lachan.simulate.checkins import checkins_generate
from lachan.simulate.province import DEFAULT_AS_OF


class Command(BaseCommand):
    help = ("Generate venue check-ins and proximity encounters for the synthetic province over N days before the "
            "reference date — deterministic for a seed.")

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=21)
        parser.add_argument("--seed", type=int, default=2021)
        parser.add_argument("--end", default=DEFAULT_AS_OF.isoformat(), help="the day after the last simulated day")
        parser.add_argument("--device-share", type=float, default=0.3, help="share of people with a proximity app")
        parser.add_argument("--fresh", action="store_true", help="replace the synthetic check-ins already there")

    def handle(self, *args, days, seed, end, device_share, fresh, **options):
        try:
            end_date = date.fromisoformat(end)
        except ValueError:
            raise CommandError(f"--end: not a date: {end!r}") from None
        if not 0 <= device_share <= 1:
            raise CommandError("--device-share must be between 0 and 1")
        try:
            report = checkins_generate(seed=seed, days=days, end=end_date, device_share=device_share, fresh=fresh,
                                       log=lambda msg: self.stdout.write(msg))
        except DomainError as exc:
            raise CommandError(str(exc.message)) from None
        for key, value in report.counts.items():
            self.stdout.write(f"  {key:<22} {value:>12,}")
        self.stdout.write(self.style.SUCCESS(f"Check-ins generated in {report.seconds:.1f} s."))
