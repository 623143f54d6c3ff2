from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from pine import services
from pine.models import ApiToken, User
from pine.tenancy import user_scope


class Command(BaseCommand):
    help = "Create an API token for a user and print it (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--name", default="Command-line token")
        parser.add_argument("--scope", choices=ApiToken.Scope.values, default=ApiToken.Scope.READ, help="read (default) or write")
        parser.add_argument("--days", type=int, default=None, help="days until it expires (default: the longest allowed)")

    def handle(self, *args, email, name, scope, days, **options):
        user = User.objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user with the email address {email}.")
        with transaction.atomic(), user_scope(user.pk):
            try:
                _, key = services.api_token_create(user=user, name=name, scope=scope, days=days)
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from None
        self.stdout.write(key)
