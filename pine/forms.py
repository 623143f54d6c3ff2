"""GOV.UK Design System forms: a renderer with our templates and a mixin that styles widgets."""

from datetime import UTC, date, datetime, time

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.forms.renderers import TemplatesSetting
from django.utils import timezone

from pine.models import ROLE_DESCRIPTIONS, AgencyType, ApiToken, Region, Role, User
from pine.notifications import KINDS
from pine.validators import PASSWORD_HINT, validate_new_password


class GovukFormRenderer(TemplatesSetting):
    form_template_name = "govuk/form.html"
    field_template_name = "govuk/field.html"


WIDGET_CLASSES = {
    forms.Textarea: "govuk-textarea",
    forms.Select: "govuk-select",
    forms.ClearableFileInput: "govuk-file-upload",
    forms.FileInput: "govuk-file-upload",
    forms.CheckboxInput: "govuk-checkboxes__input",
    forms.RadioSelect: "govuk-radios__input",
}


class GovukForm(forms.Form):
    """Styles each widget the GOV.UK way and points it at its hint and, once validated, its error
    message. Validation is not triggered here: subclasses may still add fields after __init__."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.style_fields()

    def style_fields(self) -> None:
        """Style every field; a form that adds fields in its own __init__ calls it again after."""
        for name, field in self.fields.items():
            widget = field.widget
            css = next((c for t, c in WIDGET_CLASSES.items() if isinstance(widget, t)), "govuk-input")
            if isinstance(widget, GovukDateInput):
                css = "govuk-date-input"
            if css == "govuk-input" and getattr(field, "max_length", None) and field.max_length <= 10:
                css += " govuk-input--width-10"
            present = widget.attrs.get("class", "").split()
            widget.attrs["class"] = " ".join([*present, *(c for c in css.split() if c not in present)])
            if field.help_text:
                widget.attrs["aria-describedby"] = f"{self[name].auto_id}_helptext"

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name not in self.fields:
                continue
            attrs = self.fields[name].widget.attrs
            css = attrs.get("class", "govuk-input").split()
            attrs["class"] = " ".join([*css, f"{css[0]}--error"]) if css else "govuk-input--error"
            attrs["aria-describedby"] = " ".join(filter(None, [attrs.get("aria-describedby"), f"{self[name].auto_id}_error"]))


class GovukModelForm(GovukForm, forms.ModelForm):
    pass


class GovukDateInput(forms.Widget):
    """The GOV.UK date input: day, month and year boxes in a fieldset (``templates/govuk/date_input.html``),
    so a date reads the same in every browser (a native date input shows 04/01/2024 in US order).
    Its value is posted as ``<name>-day``, ``<name>-month`` and ``<name>-year``; a client that posts
    one ISO date in ``<name>`` (the tests, an older page) still works."""

    template_name = "govuk/date_input.html"
    input_type = "govuk_date"  # the field template draws it as a fieldset
    PARTS = ("day", "month", "year")

    def format_value(self, value):
        if isinstance(value, date):
            return {"day": value.day, "month": value.month, "year": value.year}
        if isinstance(value, dict):
            return value
        if isinstance(value, str) and value:
            try:
                return self.format_value(date.fromisoformat(value))
            except ValueError:
                return {}
        return {}

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        error = "--error" in context["widget"]["attrs"].get("class", "")
        parts = self.format_value(value)
        context["widget"]["parts"] = [
            {"name": f"{name}-{part}", "id": f"{context['widget']['attrs'].get('id', name)}-{part}", "label": part.title(),
             "value": parts.get(part, ""), "width": 4 if part == "year" else 2, "error": error}
            for part in self.PARTS
        ]  # fmt: skip
        return context

    def value_from_datadict(self, data, files, name):
        if name in data and not any(f"{name}-{part}" in data for part in self.PARTS):
            return data.get(name)
        return {part: (data.get(f"{name}-{part}") or "").strip() for part in self.PARTS}

    def value_omitted_from_data(self, data, files, name):
        return name not in data and not any(f"{name}-{part}" in data for part in self.PARTS)

    def id_for_label(self, id_):
        return f"{id_}-day" if id_ else id_


def _date_from_parts(name: str, given: dict[str, str]) -> date:
    """A date from the day, month and year boxes, or the GOV.UK error saying what is wrong."""
    missing = [part for part, text in given.items() if not text]
    if missing:
        raise ValidationError(f"{name} must include a {' and '.join(missing)}", code="incomplete", params={"parts": missing})
    if not all(text.isdigit() for text in given.values()) or len(given["year"]) != 4:
        raise ValidationError(f"{name} must be a real date", code="invalid", params={"parts": list(given)})
    try:
        return date(int(given["year"]), int(given["month"]), int(given["day"]))
    except ValueError:
        raise ValidationError(f"{name} must be a real date", code="invalid", params={"parts": list(given)}) from None


class GovukDateField(forms.Field):
    """A date asked for with the GOV.UK date input, with its error messages ("… must include a
    month", "… must be a real date"). ``name`` is how the messages speak of it ("Date signed")."""

    widget = GovukDateInput

    def __init__(self, *, label: str, name: str | None = None, **kwargs):
        self.name = name or label
        kwargs.setdefault("help_text", "For example, 27 3 2025")
        super().__init__(label=label, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value.strip())
            except ValueError:
                raise ValidationError(f"{self.name} must be a real date", code="invalid") from None
        given = {part: value.get(part, "") for part in GovukDateInput.PARTS}
        if not any(given.values()):
            return None
        return _date_from_parts(self.name, given)

    def validate(self, value):
        if value is None and self.required:
            raise ValidationError(self.error_messages.get("required_date") or f"Enter {self.name.lower()}", code="required")


class GovukDateTimeInput(GovukDateInput):
    """The GOV.UK date input with a time under it: day, month and year boxes, then hour and minute
    boxes (24-hour clock), in one fieldset. Times are UK time (``TIME_ZONE``, Europe/London): a
    stored moment is shown as the clock in London read then. Posted as ``<name>-day`` ...
    ``<name>-minute``; one ISO date-time in ``<name>`` (the tests, an API-like client) still works."""

    template_name = "govuk/datetime_input.html"
    DATE_PARTS = GovukDateInput.PARTS
    TIME_PARTS = ("hour", "minute")
    PARTS = DATE_PARTS + TIME_PARTS

    def format_value(self, value):
        if isinstance(value, str) and value:
            value = parse_datetime(value)
        if isinstance(value, datetime):
            local = timezone.localtime(value) if timezone.is_aware(value) else value
            return {"day": local.day, "month": local.month, "year": local.year, "hour": f"{local.hour:02d}",
                    "minute": f"{local.minute:02d}"}  # fmt: skip
        if isinstance(value, dict):
            return value
        return {}

    # The boxes the field's last error was about (set by ``GovukDateTimeField.clean``): only those
    # are drawn in error, as the GOV.UK pattern asks; none named means all of them.
    error_parts: tuple[str, ...] = ()

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        parts = context["widget"]["parts"]
        if self.error_parts:
            for part in parts:
                part["error"] = part["error"] and part["name"].rsplit("-", 1)[1] in self.error_parts
        context["widget"]["date_parts"] = [p for p in parts if p["name"].rsplit("-", 1)[1] in self.DATE_PARTS]
        context["widget"]["time_parts"] = [p for p in parts if p["name"].rsplit("-", 1)[1] in self.TIME_PARTS]
        return context


def parse_datetime(text: str) -> datetime | None:
    """An ISO date-time as typed into the field's one box (``2027-01-31T17:00``), or None."""
    try:
        return forms.DateTimeField().to_python(text.strip())
    except ValidationError:
        return None


class GovukDateTimeField(forms.Field):
    """A moment asked for with the GOV.UK date input and an hour and a minute (24-hour clock, UK
    time), with GOV.UK error messages ("… must include a month", "… must be a real time").
    ``default_time``: the time taken when the hour and minute are left empty (say so in the hint);
    without one the time must be given. ``name`` is how the messages speak of it."""

    widget = GovukDateTimeInput

    def __init__(self, *, label: str, name: str | None = None, default_time: time | None = None, **kwargs):
        self.name = name or label
        self.default_time = default_time
        if "help_text" not in kwargs:
            empty = f" Leave the time empty for {default_time:%H:%M}." if default_time else ""
            kwargs["help_text"] = f"For example, 27 3 2027 and 17 00 for 5pm. UK time, 24-hour clock.{empty}"
        super().__init__(label=label, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value
        if isinstance(value, str):
            moment = parse_datetime(value)
            if moment is None:
                raise ValidationError(f"{self.name} must be a real date and time", code="invalid")
            return moment
        day = {part: value.get(part, "") for part in GovukDateTimeInput.DATE_PARTS}
        clock = {part: value.get(part, "") for part in GovukDateTimeInput.TIME_PARTS}
        if not any(day.values()) and not any(clock.values()):
            return None
        if not any(day.values()):
            raise ValidationError(f"{self.name} must include a date", code="incomplete", params={"parts": list(day)})
        on = _date_from_parts(self.name, day)
        return self._uk_moment(datetime.combine(on, self._time(clock)))

    def _uk_moment(self, wall: datetime) -> datetime:
        """The wall-clock time in UK time, refused on the nights the clocks change where it does not
        exist (they go forward over it) or exists twice (they go back over it)."""
        zone = timezone.get_default_timezone()
        first, second = wall.replace(tzinfo=zone), wall.replace(tzinfo=zone, fold=1)
        if first.utcoffset() != second.utcoffset():
            there_and_back = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
            if there_and_back != wall:
                raise ValidationError(
                    f"{self.name} must be a real time: the clocks go forward that night, so {wall:%H:%M} does not happen",
                    code="invalid_time",
                    params={"parts": ["hour", "minute"]},
                )
            raise ValidationError(
                f"{self.name} happens twice that night, when the clocks go back: choose a time outside "
                f"{wall:%H}:00 to {wall:%H}:59",
                code="ambiguous_time",
                params={"parts": ["hour", "minute"]},
            )
        return first

    def _time(self, clock: dict[str, str]) -> time:
        if not any(clock.values()):
            if self.default_time is None:
                raise ValidationError(f"{self.name} must include a time", code="incomplete", params={"parts": list(clock)})
            return self.default_time
        missing = [part for part, text in clock.items() if not text]
        if missing:
            article = "an" if missing == ["hour"] else "a"
            raise ValidationError(
                f"{self.name} must include {article} {missing[0]}", code="incomplete", params={"parts": missing}
            )
        wrong = [part for part, text in clock.items() if not (text.isdigit() and len(text) <= 2)]
        if wrong:
            raise ValidationError(
                f"{self.name} must be a real time, like 17 30 for 5:30pm", code="invalid", params={"parts": wrong}
            )
        hour, minute = int(clock["hour"]), int(clock["minute"])
        wrong = [part for part, bad in (("hour", hour > 23), ("minute", minute > 59)) if bad]
        if wrong:
            raise ValidationError(
                f"{self.name} must be a real time: hours 0 to 23, minutes 0 to 59", code="invalid", params={"parts": wrong}
            )
        return time(hour, minute)

    def clean(self, value):
        self.widget.error_parts = ()
        try:
            return super().clean(value)
        except ValidationError as error:
            self.widget.error_parts = tuple(p for e in error.error_list for p in (e.params or {}).get("parts", ()))
            raise

    def validate(self, value):
        if value is None and self.required:
            raise ValidationError(f"Enter {self.name[0].lower()}{self.name[1:]}", code="required")


class LoginForm(GovukForm):
    """Username is the email address; the field keeps Django's name so axes can read it."""


class NewPasswordMixin:
    """A form that sets a password (its field ``password``): AUTH_PASSWORD_VALIDATORS run when it
    is cleaned, with GOV.UK messages, against the person it will be (``password_owner()``)."""

    def password_owner(self) -> User:
        raise NotImplementedError

    def clean(self):
        data = super().clean()
        if data.get("password"):
            try:
                validate_new_password(data["password"], user=self.password_owner())
            except ValidationError as error:
                self.add_error("password", error)
        return data


def new_password_field(label: str = "Create a password") -> forms.CharField:
    return forms.CharField(
        label=label,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=PASSWORD_HINT,
        error_messages={"required": "Create a password"},
    )


OTHER_AGENCY_ROWS = 4  # other agencies asked for at registration (no script needed)


def _other_agency_fields() -> dict[str, forms.Field]:
    fields = {}
    for i in range(1, OTHER_AGENCY_ROWS + 1):
        fields[f"agency_{i}_name"] = forms.CharField(label=f"Other agency {i}: name (optional)", max_length=200, required=False)
        fields[f"agency_{i}_type"] = forms.ChoiceField(
            label=f"Other agency {i}: type",
            choices=AgencyType.choices,
            widget=forms.RadioSelect,
            required=False,
            help_text="Needed if you entered its name.",
        )
    return fields


class AgencyRegistrationForm(NewPasswordMixin, GovukForm):
    """Self-registration: the partnership, its lead agency (statutory) and up to
    ``OTHER_AGENCY_ROWS`` other agencies, each with its type (radios, nothing chosen for them)."""

    name = forms.CharField(
        label="Name of your organisation or partnership",
        max_length=200,
        error_messages={"required": "Enter the name of your organisation or partnership"},
    )
    lead_agency_name = forms.CharField(
        label="Name of the lead agency (optional)",
        max_length=200,
        required=False,
        help_text="The statutory agency that leads the partnership, for example Northshire County Council. "
        "Leave it blank if it is the name above.",
    )
    lead_agency_type = forms.ChoiceField(
        label="Type of lead agency",
        choices=[(value, label) for value, label in AgencyType.choices if value in AgencyType.statutory()],
        widget=forms.RadioSelect,
        help_text="The lead agency must be a statutory agency.",
        error_messages={"required": "Choose the type of lead agency", "invalid_choice": "Choose the type of lead agency"},
    )
    la_code = forms.RegexField(
        label="Local authority code (optional)",
        regex=r"^\d{3}$",
        required=False,
        max_length=3,
        help_text="Three digits, for example 933.",
        error_messages={"invalid": "Enter the code as three digits, like 933"},
    )
    region = forms.ChoiceField(label="Region (optional)", choices=[("", "Choose a region")] + Region.choices, required=False)
    full_name = forms.CharField(label="Your full name", max_length=200, error_messages={"required": "Enter your full name"})
    email = forms.EmailField(
        label="Your work email address",
        error_messages={"required": "Enter your work email address", "invalid": "Enter an email address like name@example.org"},
    )
    password = new_password_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.update(_other_agency_fields())
        order = list(self.fields)
        others = [name for name in order if name.startswith("agency_")]
        rest = [name for name in order if name not in others]
        at = rest.index("region") + 1
        self.order_fields(rest[:at] + others + rest[at:])
        self.style_fields()

    def clean(self):
        data = super().clean()
        lead = (data.get("lead_agency_name") or "").strip() or (data.get("name") or "").strip()
        seen = {lead.casefold()} if lead else set()
        for i in range(1, OTHER_AGENCY_ROWS + 1):
            name = (data.get(f"agency_{i}_name") or "").strip()
            kind = data.get(f"agency_{i}_type")
            if name and not kind:
                self.add_error(f"agency_{i}_type", f"Choose the type of {name}")
            elif kind and not name:
                self.add_error(f"agency_{i}_name", f"Enter the name of other agency {i}, or clear its type")
            elif name and name.casefold() in seen:
                self.add_error(f"agency_{i}_name", f"{name} is listed twice: list each agency once")
            if name:
                seen.add(name.casefold())
        return data

    def agencies(self) -> list[tuple[str, str]]:
        """(name, type) of every agency, the lead first."""
        data = self.cleaned_data
        lead = (data["lead_agency_name"] or "").strip() or data["name"].strip()
        others = [
            (data[f"agency_{i}_name"].strip(), data[f"agency_{i}_type"])
            for i in range(1, OTHER_AGENCY_ROWS + 1)
            if (data.get(f"agency_{i}_name") or "").strip()
        ]
        return [(lead, data["lead_agency_type"]), *others]

    def password_owner(self) -> User:
        return User(email=self.cleaned_data.get("email", ""), full_name=self.cleaned_data.get("full_name", ""))


class RegistrationDecisionForm(GovukForm):
    """A practice admin's decision on a registration like a partner already known."""

    decision = forms.ChoiceField(
        label="Is this registration who it says it is?",
        choices=[
            ("confirm", "Yes: confirm it, so it can apply"),
            ("reject", "No: do not confirm it (it cannot apply)"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether to confirm the registration"},
    )
    reason = forms.CharField(
        label="Why not (if you do not confirm it)",
        required=False,
        max_length=400,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The partner's lead sees this. For example: Northshire County Council is already registered; "
        "ask its lead to invite you.",
        error_messages={"max_length": "The reason must be 400 characters or fewer"},
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == "reject" and not (data.get("reason") or "").strip():
            self.add_error("reason", "Enter why the registration is not confirmed")
        return data


class InvitationForm(GovukForm):
    email = forms.EmailField(label="Email address")
    role = forms.ChoiceField(
        label="Role",
        choices=[(value, f"{label}: {ROLE_DESCRIPTIONS[value].lower()}") for value, label in Role.choices],
        initial=Role.CONTRIBUTOR,
        widget=forms.RadioSelect,
    )


class ApiTokenForm(GovukForm):
    name = forms.CharField(
        label="Token name", max_length=100, help_text="So you can tell your tokens apart, for example “case system export”."
    )
    scope = forms.ChoiceField(
        label="What can it do?",
        choices=[
            (ApiToken.Scope.READ, "Read only: it can read, but not change anything"),
            (ApiToken.Scope.WRITE, "Read and write: it can also upload, submit and change things"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what the token can do"},
    )
    days = forms.IntegerField(
        label="Days until it expires",
        min_value=1,
        widget=forms.TextInput(
            attrs={"class": "govuk-input govuk-input--width-3", "inputmode": "numeric", "spellcheck": "false"}
        ),
        error_messages={"required": "Enter how many days the token should last", "invalid": "Enter a whole number of days"},
    )

    def __init__(self, *args, max_days: int, **kwargs):
        super().__init__(*args, **kwargs)
        days = self.fields["days"]
        days.initial = max_days
        days.validators.append(MaxValueValidator(max_days))
        days.error_messages["min_value"] = days.error_messages["max_value"] = f"A token can last from 1 to {max_days} days"
        days.help_text = f"At most {max_days} days. After that it stops working and you make a new one."
        self.style_fields()


class EmailPreferencesForm(GovukForm):
    emailed = forms.MultipleChoiceField(
        label="Email me about",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Untick a kind to see it only in your notifications in PINE.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["emailed"].choices = [(kind, f"{label}: {about.lower()}") for kind, (label, about) in KINDS.items()]
