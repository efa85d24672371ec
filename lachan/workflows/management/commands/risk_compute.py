from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from lachan.accounts.actors import system_actor
from lachan.core.dates import day_parse
from lachan.core.errors import DomainError
from lachan.core.models import Policy
from lachan.geo.models import AdminUnit


def _day(value: str) -> date:
    day = day_parse(value)
    if day is not None:
        return day
    raise CommandError(f"not a date: {value!r} (YYYY-MM-DD or DD/MM/YYYY)")


class Command(BaseCommand):
    help = ("Compute the risk level of every administrative unit for a day (default: yesterday) from the platform's "
            "cases and clusters and the values entered by the province; recomputing a day keeps its overrides.")

    def add_arguments(self, parser):
        parser.add_argument("--date", dest="day", help="the day to assess (YYYY-MM-DD or DD/MM/YYYY)")
        parser.add_argument("--days", type=int, default=1, help="assess this many days ending on --date")
        parser.add_argument("--tree", help="administrative tree (default: the deployment's)")
        parser.add_argument("--unit", help="official code of the unit to assess with those beneath it")
        parser.add_argument("--policy", help="try this `risk` policy version instead of the one in force")
        parser.add_argument("--dry-run", action="store_true", help="compute and print, save nothing")

    def handle(self, *args, day, days, tree, unit, policy, dry_run, **options):
        from lachan.workflows.risk_levels import risk_levels_compute

        last = _day(day) if day else timezone.localdate() - timedelta(days=1)
        if not 1 <= days <= 366:
            raise CommandError("--days must be from 1 to 366")
        root = None
        if unit:
            root = AdminUnit.objects.filter(code=unit, **({"tree": tree} if tree else {})).first()
            if root is None:
                raise CommandError(f"unknown unit {unit!r}")
            tree = root.tree
        version = None
        if policy:
            version = Policy.objects.filter(kind="risk", version=policy).first()
            if version is None:
                raise CommandError(f"unknown risk policy version {policy!r}")
        for offset in range(days - 1, -1, -1):
            on = last - timedelta(days=offset)
            try:
                summary = risk_levels_compute(on=on, tree=tree, root=root, policy=version, save=not dry_run,
                                              by=system_actor("risk_compute"))
            except DomainError as exc:
                raise CommandError(f"{on}: {exc.message}") from exc
            self.stdout.write(str(summary) + (" (not saved)" if dry_run else ""))
