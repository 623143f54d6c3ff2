"""Load the demo data (idempotent): ``seed_demo [--password P] [--json FILE]``."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand

from demo.data import demo_seed


class Command(BaseCommand):
    help = "Load the demo data (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--password", help="Set every demo user's password to this.")
        parser.add_argument(
            "--json", dest="json_file", metavar="FILE", help="Write the demo logins to FILE as JSON ('-' for standard output)."
        )

    def handle(self, *args, password=None, json_file=None, **options):
        users = demo_seed(password=password)
        if json_file == "-":
            self.stdout.write(_dumps(users))
        elif json_file:
            Path(json_file).write_text(_dumps(users) + "\n", encoding="utf-8")
        if json_file != "-":
            self.stdout.write(self.style.SUCCESS(f"Demo data ready: {len(users)} users."))


def _dumps(users: list[dict]) -> str:
    return json.dumps(users, indent=2)
