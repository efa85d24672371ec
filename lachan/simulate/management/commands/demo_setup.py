from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from lachan.core.errors import DomainError
from lachan.simulate.demo import demo_setup


class Command(BaseCommand):
    help = "Prepare the demo: units, the synthetic province (skipped if already there), one log-in per role."

    def add_arguments(self, parser):
        parser.add_argument("--people", type=int, default=20000)
        parser.add_argument("--seed", type=int, default=2021)
        parser.add_argument("--tree", default=settings.LACHAN_ADMIN_TREE, choices=["2021", "2025"])
        parser.add_argument("--province", default=settings.LACHAN_PROVINCE_CODE, help="official province code")

    def handle(self, *args, people, seed, tree, province, **options):
        try:
            logins = demo_setup(
                people=people, seed=seed, tree=tree, province_code=province, log=lambda msg: self.stdout.write(msg)
            )
        except DomainError as exc:
            raise CommandError(str(exc.message)) from None
        header = ("User name", "Role", "Jurisdiction", "Password")
        rows = [(x.username, str(x.role), x.jurisdiction, x.password) for x in logins]
        widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(4)]
        line = "  ".join("-" * w for w in widths)
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS("Demo log-ins (http://127.0.0.1:8000):"))
        self.stdout.write("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
        self.stdout.write(line)
        for row in rows:
            self.stdout.write("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
