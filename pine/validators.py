"""Validators shared by forms, serializers and models."""

import io
import zipfile

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError

EARLIEST_YEAR, LATEST_YEAR = 2000, 2100

# Django's password validators (AUTH_PASSWORD_VALIDATORS), in the GOV.UK style, by their codes.
PASSWORD_MESSAGES = {
    "password_too_short": "Your password must be at least {min_length} characters",
    "password_too_common": "Your password is too common: choose one that is harder to guess",
    "password_entirely_numeric": "Your password must not be only numbers",
    "password_too_similar": "Your password must not be like your {verbose_name}",
}
PASSWORD_HINT = "At least 10 characters. Not only numbers, not a common password, and not like your name or email address."


def validate_new_password(password: str, *, user=None) -> None:
    """Every check of AUTH_PASSWORD_VALIDATORS on a password being set (``user``: whose it will
    be, saved or not, for the likeness to their name and email address). Raises one
    ValidationError listing each problem in the GOV.UK style."""
    try:
        password_validation.validate_password(password, user)
    except ValidationError as error:
        problems = []
        for problem in error.error_list:
            template = PASSWORD_MESSAGES.get(problem.code)
            params = dict(problem.params or {})
            if params.get("verbose_name") == "email":
                params["verbose_name"] = "email address"
            problems.append(ValidationError(template.format(**params), code=problem.code) if template else problem)
        raise ValidationError(problems) from None


def validate_plausible_datetime(value) -> None:
    """Programme dates fall in this century: anything else is a typing slip (e.g. 0202 for 2026)."""
    if value is not None and not EARLIEST_YEAR <= value.year <= LATEST_YEAR:
        raise ValidationError(f"Enter a date between {EARLIEST_YEAR} and {LATEST_YEAR}.", code="implausible_date")


DOCUMENT_TYPE_MESSAGE = "The file must be a PDF or a Word (.docx) document"


def document_kind(content: bytes) -> str | None:
    """ "pdf" or "docx" by what the file holds (its first bytes and, for Word, the parts of its zip
    package), never by its name; None for anything else (a text file renamed .pdf, a spreadsheet)."""
    if content[:1024].lstrip(b"\r\n\t \xef\xbb\xbf").startswith(b"%PDF"):
        return "pdf"
    if content.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as package:
                names = set(package.namelist())
        except (zipfile.BadZipFile, ValueError, EOFError):
            return None
        if "[Content_Types].xml" in names and "word/document.xml" in names:
            return "docx"
    return None


def validate_document(content: bytes, *, name: str = "") -> str:
    """The kind of a PDF or Word document (see ``document_kind``); anything else is refused."""
    kind = document_kind(content)
    if kind is None:
        raise ValidationError(DOCUMENT_TYPE_MESSAGE, code="document_type")
    return kind
