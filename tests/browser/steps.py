"""The steps people take in the browser walks, written once: signing in (with the second factor
for the practice team), reaching the practice home, uploading and downloading files, filling in
dates. The walks (``test_*.py`` here) call them."""

import re
import time
from datetime import date
from pathlib import Path

from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from tests.factories import PASSWORD

TOTP_KEY = "3132333435363738393031323334353637383930"  # RFC 6238's test secret, hex


def heading(page):
    return page.get_by_role("heading", level=1)


def totp_code(device) -> str:
    """The code the user's authenticator app would show now, for a time step the device has not
    used yet (a code is good once: signing in twice in 30 s needs the next step's code, which the
    device's tolerance of one step accepts)."""
    from django_otp.oath import TOTP

    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    now = time.time()
    for steps_ahead in range(0, device.tolerance + 1):
        totp.time = now + steps_ahead * device.step
        if totp.t() > device.last_t:
            return str(totp.token()).zfill(device.digits)
    raise AssertionError("Every code the device would accept now has been used: wait for the next time step")


def sign_in(page, email: str, password: str) -> None:
    """Fill in and send the sign-in form (from wherever the page is)."""
    page.goto("/accounts/login/")
    page.get_by_label(re.compile(r"^Email")).fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))


def authenticator(user) -> TOTPDevice:
    """The practice-team user's authenticator app, set up (the code pages accept its codes)."""
    return TOTPDevice.objects.create(user=user, name="Authenticator app", key=TOTP_KEY, confirmed=True)


def sign_in_practice(page, user, device) -> None:
    """A practice-team sign-in: the password, then the code from the authenticator app."""
    sign_in(page, user.email, PASSWORD)
    expect(heading(page)).to_have_text("Enter the code from your authenticator app")
    page.get_by_label("Code from your authenticator app").fill(totp_code(device))
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    expect(page.locator(".govuk-error-summary")).to_have_count(0)


def open_practice_home(page) -> None:
    """Through the header, so that a walk does not depend on where the sign-in lands (see
    test_practice_sign_in_lands_on_the_practice_home). A session without the second factor would
    be sent back to the code page."""
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Practice team").click()
    expect(heading(page)).to_have_text("Practice team")


def upload(page, tmp_path: Path, filename: str, content: str, *, dry_run: bool = False) -> None:
    """Choose a file saved on the computer and send it, from the evaluation page."""
    path = tmp_path / filename
    path.write_text(content, encoding="utf-8")
    page.get_by_label("Upload a CSV file or an Excel workbook (.xlsx)").set_input_files(str(path))
    if dry_run:
        page.get_by_label("Check only (dry run)").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Upload file").click()
    expect(heading(page)).to_have_text(filename)  # the upload's own page


def download(page, link) -> tuple[str, bytes]:
    """Click a download link: the file's suggested name and its bytes."""
    with page.expect_download() as info:
        link.click()
    return info.value.suggested_filename, Path(info.value.path()).read_bytes()


def fill_date(scope, legend: str, day: date) -> None:
    """Type a date into the GOV.UK date input (day, month and year boxes) whose legend is ``legend``."""
    group = scope.get_by_role("group", name=legend, exact=True)
    group.get_by_label("Day").fill(str(day.day))
    group.get_by_label("Month").fill(str(day.month))
    group.get_by_label("Year").fill(str(day.year))


def fill_date_time(scope, legend: str, moment) -> None:
    """Type a moment, in UK time, into the GOV.UK date input with hour and minute boxes whose
    legend is ``legend``."""
    local = timezone.localtime(moment)
    group = scope.get_by_role("group", name=legend, exact=True)
    for label, value in (("Day", local.day), ("Month", local.month), ("Year", local.year)):
        group.get_by_label(label, exact=True).fill(str(value))
    group.get_by_label("Hour", exact=True).fill(f"{local.hour:02d}")
    group.get_by_label("Minute", exact=True).fill(f"{local.minute:02d}")


def date_field(day: date) -> str:
    """What Playwright types into a date field (the browser shows it in its own order)."""
    return day.isoformat()
