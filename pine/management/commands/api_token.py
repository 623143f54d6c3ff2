from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from pine import services
from pine.models import User
from pine.tenancy import user_scope


class Command(BaseCommand):
    help = "Create an API token for a user and print it (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument("--name", default="Command-line token")

    def handle(self, *args, email, name, **options):
        user = User.objects.filter(email__iexact=email, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user with the email address {email}.")
        with transaction.atomic(), user_scope(user.pk):
            _, key = services.api_token_create(user=user, name=name)
        self.stdout.write(key)
