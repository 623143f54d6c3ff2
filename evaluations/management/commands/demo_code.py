"""Print the current two-factor code of a demo practice-team account (development only), so a
person trying the demo does not need an authenticator app."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from evaluations.management.commands.seed_demo import DEMO_TOTP_SECRET_HEX


class Command(BaseCommand):
    help = "Print the current 6-digit code for a demo practice-team account (DEBUG only)."

    def add_arguments(self, parser):
        parser.add_argument("email", nargs="?", default="admin@pine.example")

    def handle(self, *args, email, **options):
        if not settings.DEBUG:
            raise CommandError("demo_code works only with DEBUG=1, on demo data.")
        device = TOTPDevice.objects.filter(user__email=email, key=DEMO_TOTP_SECRET_HEX, confirmed=True).first()
        if device is None:
            raise CommandError(f"{email} has no demo authenticator.")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        self.stdout.write(f"{totp.token():0{device.digits}d}")
