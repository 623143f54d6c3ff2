"""The demo practice team's shared authenticator secret, so a person trying the demo can sign in
without setting up an app. Demo data only: real accounts set up their own on first sign-in.
Importable without Django settings (the dev launcher prints codes from it)."""

import base64

from django_otp.oath import TOTP

DEMO_TOTP_SECRET_HEX = "50494e452d64656d6f2d746f74702d6b6579210a"
DEMO_TOTP_SECRET_BASE32 = base64.b32encode(bytes.fromhex(DEMO_TOTP_SECRET_HEX)).decode()


def demo_totp_code() -> str:
    """The current 6-digit code of the demo authenticator."""
    return f"{TOTP(bytes.fromhex(DEMO_TOTP_SECRET_HEX)).token():06d}"
