"""Pages of the platform core: signing in, accounts, invitations, registration, health; and the one
way a page calls a service with a form (``run_service``, ``ServiceFormMixin``)."""

import base64
import uuid
from collections.abc import Callable
from typing import Any, NamedTuple

import django_otp
import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, PasswordResetForm, SetPasswordForm
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.generic import FormView, TemplateView
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from pine import health, notifications, selectors, services
from pine.access import ADMINS
from pine.forms import (
    AgencyRegistrationForm,
    ApiTokenForm,
    EmailPreferencesForm,
    GovukForm,
    InvitationForm,
    NewPasswordMixin,
    RegistrationDecisionForm,
    new_password_field,
)
from pine.models import ROLE_DESCRIPTIONS, Role, User
from pine.ratelimit import client_ip
from pine.scoping import PartnerView, PracticeView, PublicView, SignedInView
from pine.tenancy import partner_scope
from pine.validators import validate_new_password


def add_form_errors(form: forms.Form, error: ValidationError, *, field: str | None = None) -> None:
    """Show a service's ValidationError on the form, against its fields where it names them (and
    against ``field`` where it names none)."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else field, errors)
    else:
        form.add_error(field, error)


class Outcome(NamedTuple):
    ok: bool
    result: Any = None


def run_service(target: forms.BaseForm | HttpRequest, call: Callable[[], Any], *, field: str | None = None) -> Outcome:
    """The one way a page calls a service with what a person sent: in a savepoint, so that a refusal
    leaves nothing half-written. A form that is not valid calls nothing. A ValidationError the
    service raises is shown to the person: on ``target`` when it is a form (against the fields it
    names, or ``field``), else (``target`` is the request) as an error message on the next page;
    ``ok`` is then false."""
    if isinstance(target, forms.BaseForm) and not target.is_valid():
        return Outcome(False)
    try:
        with transaction.atomic():
            return Outcome(True, call())
    except ValidationError as error:
        if isinstance(target, forms.BaseForm):
            add_form_errors(target, error, field=field)
        else:
            messages.error(target, " ".join(error.messages))
        return Outcome(False)


class ServiceFormMixin:
    """A form view whose valid form calls a service (through :func:`run_service`): supply
    ``call_service(data)`` and ``service_done(result)`` (usually a redirect with a message). A
    refusal shows the form again with the service's reasons."""

    def call_service(self, data: dict):
        raise NotImplementedError

    def service_done(self, result):
        raise NotImplementedError

    def form_valid(self, form):
        outcome = run_service(form, lambda: self.call_service(form.cleaned_data))
        return self.service_done(outcome.result) if outcome.ok else self.form_invalid(form)


# --- signing in -----------------------------------------------------------------------------------


# The session remembers who registered (or signed in with the right password) but has not yet
# confirmed their address, so the page that says so can send the link again. It grants nothing else.
UNVERIFIED_SESSION_KEY = "pine.unverified_user"


class LoginForm(GovukForm, AuthenticationForm):
    """Sign in, with GOV.UK wording (not Django's "Please enter a correct email and password")."""

    error_messages = {
        "invalid_login": "Enter the email address and password of your PINE account: they do not match an account",
        "inactive": "This account can no longer sign in. Ask your partnership's lead or the practice team",
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Email address"
        self.fields["username"].error_messages["required"] = "Enter your email address"
        self.fields["password"].error_messages["required"] = "Enter your password"

    def confirm_login_allowed(self, user):
        """An account whose address is not confirmed cannot sign in (said only once the password
        is right: it reveals nothing to someone guessing)."""
        super().confirm_login_allowed(user)
        if not user.email_verified:
            raise ValidationError("Confirm your email address before you sign in", code="email_unverified")


def landing_url(user) -> str:
    """Where a signed-in user lands: a reviewer on their queue of reviews (their work), the rest
    of the practice team on its home, a partner's member on the home page (which finds their
    partner)."""
    if user.is_practice_team:
        return reverse("cohorts:review_list" if user.practice_role == User.PracticeRole.REVIEWER else "practice_home")
    return reverse("home")


class LoginView(PublicView, auth_views.LoginView):
    template_name = "registration/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True

    def form_invalid(self, form):
        if form.has_error(NON_FIELD_ERRORS, "email_unverified"):
            self.request.session[UNVERIFIED_SESSION_KEY] = form.get_user().pk
            return redirect("email_verification_sent")
        return super().form_invalid(form)

    def get_default_redirect_url(self):
        return landing_url(self.request.user)

    def get_success_url(self):
        url = super().get_success_url()
        if self.request.user.is_practice_team:  # a new session is never verified yet
            return reverse("two_factor") + "?" + urlencode({"next": url})
        return url


class LogoutView(PublicView, auth_views.LogoutView):
    pass


class PasswordResetFormGovuk(GovukForm, PasswordResetForm):
    pass


class SetPasswordFormGovuk(GovukForm, SetPasswordForm):
    """Choosing a new password (from a reset link; as ``PasswordChangeFormGovuk``, changing it):
    AUTH_PASSWORD_VALIDATORS with GOV.UK messages, saved by ``services.user_password_set``."""

    error_messages = {"password_mismatch": "The passwords do not match: enter the same new password twice"}
    reset = True

    new_password1 = new_password_field("New password")
    new_password2 = forms.CharField(
        label="Confirm your new password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        error_messages={"required": "Enter your new password again"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].error_messages["required"] = "Enter a new password"

    def validate_password_for_user(self, user, password_field_name="new_password2"):
        try:
            validate_new_password(self.cleaned_data.get("new_password1") or "", user=user)
        except ValidationError as error:
            if self.cleaned_data.get("new_password1"):
                self.add_error("new_password1", error)

    def save(self, commit=True):
        # The form's user becomes the saved one, so a changed password keeps its session (its hash).
        self.user = services.user_password_set(user=self.user, password=self.cleaned_data["new_password1"], reset=self.reset)
        return self.user


class PasswordChangeFormGovuk(SetPasswordFormGovuk, PasswordChangeForm):
    error_messages = {
        **SetPasswordFormGovuk.error_messages,
        "password_incorrect": "Your current password is not right: enter it again",
    }
    reset = False

    old_password = forms.CharField(
        label="Your current password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Enter your current password"},
    )


class PasswordResetView(PublicView, auth_views.PasswordResetView):
    form_class = PasswordResetFormGovuk
    template_name = "registration/password_reset.html"
    email_template_name = "email/password_reset.txt"
    subject_template_name = "email/password_reset_subject.txt"

    def form_valid(self, form):
        # Links in the email point at the configured site, not at whatever Host header came in.
        site = settings.SITE_URL.split("://", 1)
        self.extra_email_context = {"protocol": site[0], "domain": site[-1].rstrip("/")}
        return super().form_valid(form)


class PasswordResetDoneView(PublicView, auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"


class PasswordResetConfirmView(PublicView, auth_views.PasswordResetConfirmView):
    form_class = SetPasswordFormGovuk
    template_name = "registration/password_reset_confirm.html"

    def form_valid(self, form):
        response = super().form_valid(form)
        # The new password ends the old one's API tokens (they would stop working anyway: a token
        # works only under the password it was made with); revoked, they leave the profile page.
        services.api_token_revoke_all(user=form.user, reason="password reset")
        return response


class PasswordResetCompleteView(PublicView, auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"


class PasswordChangeView(SignedInView, auth_views.PasswordChangeView):
    """A signed-in user changes their password (their session stays signed in)."""

    form_class = PasswordChangeFormGovuk
    template_name = "registration/password_change.html"
    success_url = reverse_lazy("profile")

    def form_valid(self, form):
        response = super().form_valid(form)
        revoked = services.api_token_revoke_all(user=form.user, reason="password change")
        tokens = " Your API tokens are revoked with the old password: make new ones below." if revoked else ""
        messages.success(self.request, "Your password is changed." + tokens)
        return response


class TokenForm(GovukForm):
    token = forms.RegexField(
        label="Code from your authenticator app",
        regex=r"^\s*(\d{6}|[A-Za-z0-9][A-Za-z0-9 -]{8,14}[A-Za-z0-9])\s*$",
        max_length=16,
        help_text="Lost your phone? Enter one of your recovery codes instead (like abcde-fghjk).",
        error_messages={
            "invalid": "Enter the 6-digit code from your authenticator app, or a recovery code",
            "required": "Enter the 6-digit code from your authenticator app",
        },
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}),
    )


class TwoFactorView(SignedInView, FormView):
    """Practice-team accounts must verify each session with a TOTP code; the first time, they
    set up their authenticator app here."""

    before_second_factor = True  # the one signed-in page an unverified practice session reaches

    template_name = "registration/two_factor.html"
    form_class = TokenForm

    def get(self, request, *args, **kwargs):
        if not request.user.is_practice_team:
            return redirect("home")
        if request.user.is_verified():
            return redirect(self._next_url())
        return super().get(request, *args, **kwargs)

    def _next_url(self) -> str:
        next_url = self.request.GET.get("next") or self.request.POST.get("next") or landing_url(self.request.user)
        if not url_has_allowed_host_and_scheme(next_url, {self.request.get_host()}, self.request.is_secure()):
            return landing_url(self.request.user)
        return next_url

    def post(self, request, *args, **kwargs):
        if not request.user.is_practice_team:
            return redirect("home")
        return super().post(request, *args, **kwargs)

    def _device(self) -> tuple[TOTPDevice, bool]:
        confirmed = TOTPDevice.objects.filter(user=self.request.user, confirmed=True).first()
        if confirmed:
            return confirmed, True
        device, _ = TOTPDevice.objects.get_or_create(
            user=self.request.user, confirmed=False, defaults={"name": "Authenticator app"}
        )
        return device, False

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        device, confirmed = self._device()
        context["setting_up"] = not confirmed
        if not confirmed:
            context["qr_svg"] = segno.make(device.config_url, error="m").svg_data_uri(scale=5)
            context["secret"] = base64.b32encode(device.bin_key).decode()
        return context

    def form_valid(self, form):
        token = form.cleaned_data["token"].strip()
        if not token.isdigit():
            return self._recovery_code(form, token)
        device, confirmed = self._device()
        allowed, _ = device.verify_is_allowed()
        if not allowed:
            form.add_error("token", "Too many wrong codes in a row. Wait a minute, then enter the newest code")
            return self.form_invalid(form)
        if not device.verify_token(form.cleaned_data["token"].strip()):
            form.add_error("token", "That code is not right. Check the time on your device and try the newest code")
            return self.form_invalid(form)
        if not confirmed:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
        django_otp.login(self.request, device)
        if not confirmed:  # set up just now: the recovery codes, shown once
            codes = services.recovery_codes_create(user=self.request.user)
            return render(self.request, "registration/recovery_codes.html", {"codes": codes, "next": self._next_url()})
        return redirect(self._next_url())

    def _recovery_code(self, form, token: str):
        """A recovery code instead of the app's code: it works once."""
        device = StaticDevice.objects.filter(user=self.request.user, confirmed=True).first()
        if device is None:
            form.add_error("token", "Enter the 6-digit code from your authenticator app: you have no recovery codes")
            return self.form_invalid(form)
        allowed, _ = device.verify_is_allowed()
        if not allowed:
            form.add_error("token", "Too many wrong codes in a row. Wait a minute, then try again")
            return self.form_invalid(form)
        if not device.verify_token(services.recovery_code_normalise(token)):
            form.add_error("token", "That recovery code is not right, or it has been used")
            return self.form_invalid(form)
        django_otp.login(self.request, device)
        left = services.recovery_codes_left(user=self.request.user)
        messages.warning(
            self.request,
            f"You signed in with a recovery code. You have {left} left: make new ones on your account page, "
            "and set up your authenticator app again if you lost it.",
        )
        return redirect(self._next_url())


class RecoveryCodesView(SignedInView):
    """A practice-team member makes new recovery codes (the old ones stop working), shown once."""

    def post(self, request):
        done = run_service(request, lambda: services.recovery_codes_create(user=request.user))
        if not done.ok:
            return redirect("profile")
        return render(request, "registration/recovery_codes.html", {"codes": done.result, "next": reverse("profile")})


# --- public pages ---------------------------------------------------------------------------------


class RootView(PublicView, TemplateView):
    template_name = "pine/root.html"


class HealthView(PublicView):
    """The state of the database, Redis, the workers and beat, as JSON (503 if the database or
    Redis is down). Fast: see pine.health."""

    def get(self, request):
        state = health.service_state()
        return JsonResponse(state, status=200 if state["status"] == "ok" else 503)


class StatusView(PublicView, TemplateView):
    """The same state for people: the footer's "Service status"."""

    template_name = "pine/status.html"

    def get_context_data(self, **kwargs):
        state = health.service_state()
        rows = [
            ("Website and database", state["database"] == "ok", "Working" if state["database"] == "ok" else "Not working"),
            ("Queue for background work", state["redis"] == "ok", "Working" if state["redis"] == "ok" else "Not working"),
            (
                "Background work (uploads, reports, emails)",
                state["celery"].startswith("ok"),
                "Working" if state["celery"].startswith("ok") else "Delayed: uploads, reports and emails wait until it is back",
            ),
        ]
        return super().get_context_data(state=state, rows=rows, background_ok=rows[-1][1], **kwargs)


class RegisterView(PublicView, FormView):
    """Self-registration of an agency that wants to apply: creates the partner and its lead, who
    cannot sign in until they follow the link emailed to them."""

    template_name = "registration/register.html"
    form_class = AgencyRegistrationForm

    def form_valid(self, form):
        data = form.cleaned_data
        agencies = form.agencies()
        registered = run_service(
            form,
            lambda: services.partner_register(
                name=data["name"],
                lead_agency_type=data["lead_agency_type"],
                la_code=data["la_code"],
                region=data["region"],
                agencies=agencies,
                full_name=data["full_name"],
                email=data["email"],
                password=data["password"],
                client_ip=client_ip(self.request),
            ),
        )
        if not registered.ok:
            return self.form_invalid(form)
        partner, user = registered.result
        self.request.session[UNVERIFIED_SESSION_KEY] = user.pk
        messages.success(self.request, f"{partner.name} is registered. You are its lead.")
        return redirect("email_verification_sent")


class EmailVerificationSentView(PublicView, TemplateView):
    """The "check your email" page: the account cannot sign in until its address is confirmed. The person
    who just registered, or signed in with the right password, can have the link sent again."""

    template_name = "registration/email_verification_sent.html"

    def _unverified_user(self) -> User | None:
        user_id = self.request.session.get(UNVERIFIED_SESSION_KEY)
        return User.objects.filter(pk=user_id, email_verified_at__isnull=True, is_active=True).first() if user_id else None

    def get_context_data(self, **kwargs):
        return super().get_context_data(pending=self._unverified_user(), form=GovukForm(), **kwargs)

    def post(self, request):
        user = self._unverified_user()
        if user is None:
            return redirect("email_verification_sent")
        sent = run_service(request, lambda: services.verification_email_send(user=user, client_ip=client_ip(request)))
        if sent.ok:
            messages.success(request, f"We have sent the email again to {user.email}.")
        return redirect("email_verification_sent")


class EmailVerifyView(PublicView, TemplateView):
    """The link in the email: a page with one button (a link alone changes nothing, so a mail
    scanner that follows it confirms nobody's address)."""

    template_name = "registration/email_verify.html"

    def get_context_data(self, **kwargs):
        user = services.verification_token_read(self.kwargs["token"])
        return super().get_context_data(pending=user, already=bool(user and user.email_verified), form=GovukForm(), **kwargs)

    def post(self, request, token):
        user = services.verification_token_read(token)
        if user is None:
            return self.get(request, token=token)  # the page says the link has expired
        services.user_email_verify(user=user)
        request.session.pop(UNVERIFIED_SESSION_KEY, None)
        messages.success(request, f"Your email address, {user.email}, is confirmed. You can now sign in.")
        return redirect("login")


# --- invitations ----------------------------------------------------------------------------------


class InvitationAcceptView(PublicView, TemplateView):
    """The link in an invitation email. The signed token names the partner, so the invitation is
    read in that partner's scope."""

    template_name = "pine/invitation_accept.html"

    def scoped_object(self):
        parsed = services.invitation_token_read(self.kwargs["token"])
        if parsed is None:
            return None
        partner_id, code = parsed
        with partner_scope(partner_id):  # the signed token names the partner (allow-listed: tests/test_tenancy.py)
            return selectors.invitation_get(partner_id=partner_id, code=code)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        invitation = self.object
        context["invitation"] = invitation
        context["form"] = kwargs.get("form") or InvitationSignupForm(initial={"email": invitation.email})
        return context

    def post(self, request, token):
        invitation = self.object
        signed_in = request.user if request.user.is_authenticated else None
        form = InvitationSignupForm(request.POST) if signed_in is None else GovukForm(request.POST)
        if signed_in is None and form.is_valid() and form.cleaned_data["email"].lower() != invitation.email:
            form.add_error("email", f"Use the address the invitation was sent to: {invitation.email}")

        def accept():
            # The invitation was emailed to this address: following its link shows the address is theirs.
            user = signed_in or services.user_create(
                email=invitation.email, full_name=form.cleaned_data["full_name"], password=form.cleaned_data["password"]
            )
            services.invitation_accept(invitation=invitation, user=user)
            return user

        with partner_scope(invitation.partner_id):  # the new member's rows: written in the partner's scope
            accepted = run_service(form, accept)
        if not accepted.ok:  # the reason shows above the page (for a signed-in user, above its one button)
            return self.render_to_response(self.get_context_data(form=form))
        if signed_in is None:
            auth_login(request, accepted.result, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, f"You have joined {invitation.partner.name}.")
        return redirect("partner_home", partner_slug=invitation.partner.slug)


class InvitationSignupForm(NewPasswordMixin, GovukForm):
    full_name = forms.CharField(label="Your full name", max_length=200, error_messages={"required": "Enter your full name"})
    email = forms.EmailField(label="Email address", help_text="The address the invitation was sent to.")
    password = new_password_field()

    def password_owner(self) -> User:
        return User(email=self.cleaned_data.get("email", ""), full_name=self.cleaned_data.get("full_name", ""))


class PartnerMembersView(ServiceFormMixin, PartnerView, FormView):
    """A partner's members and pending invitations; its lead invites colleagues."""

    template_name = "pine/partner_members.html"
    form_class = InvitationForm
    write_role = Role.LEAD

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["members"] = selectors.membership_list(partner=self.partner)
        context["invitations"] = selectors.invitation_list(partner=self.partner)
        context["roles"] = [(label, ROLE_DESCRIPTIONS[value]) for value, label in Role.choices]
        context["role_choices"] = Role.choices
        return context

    # A lead's changes to members and invitations: "action", and the member's email address or
    # the invitation's code (both inside this partner's scope, never an id in the URL).
    MEMBER_ACTIONS = {
        "change_role": lambda self, post: services.membership_role_change(
            partner=self.partner, actor=self.request.user, email=post.get("member", ""), role=post.get("new_role", "")
        ),
        "remove": lambda self, post: services.membership_remove(
            partner=self.partner, actor=self.request.user, email=post.get("member", "")
        ),
        "resend": lambda self, post: services.invitation_resend(
            partner=self.partner, actor=self.request.user, code=_uuid_or_none(post.get("invitation"))
        ),
        "cancel": lambda self, post: services.invitation_cancel(
            partner=self.partner, actor=self.request.user, code=_uuid_or_none(post.get("invitation"))
        ),
    }
    DONE = {
        "change_role": "Role changed.",
        "remove": "Member removed: they can no longer use PINE for this partnership.",
        "resend": "Invitation sent again. Its link works for another 14 days.",
        "cancel": "Invitation cancelled: its link no longer works.",
    }

    def post(self, request, *args, **kwargs):
        action = request.POST.get("action", "")
        if action not in self.MEMBER_ACTIONS:
            return super().post(request, *args, **kwargs)  # the invitation form
        if run_service(request, lambda: self.MEMBER_ACTIONS[action](self, request.POST)).ok:
            messages.success(request, self.DONE[action])
        return redirect("partner_members", partner_slug=self.partner.slug)

    def call_service(self, data):
        return services.invitation_create(partner=self.partner, actor=self.request.user, email=data["email"], role=data["role"])

    def service_done(self, invitation):
        messages.success(self.request, f"Invitation sent to {invitation.email}.")
        return redirect("partner_members", partner_slug=self.partner.slug)


def _uuid_or_none(value):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


class PracticeInviteLeadView(ServiceFormMixin, PracticeView, FormView):
    """A practice admin invites a partner's lead."""

    template_name = "pine/practice_invite.html"
    form_class = InvitationForm
    practice_roles = ADMINS

    def scoped_object(self):
        return selectors.partner_get(slug=self.kwargs["partner_slug"])

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        form.fields["role"].initial = Role.LEAD
        return form

    def get_context_data(self, **kwargs):
        return super().get_context_data(partner=self.object, **kwargs)

    def call_service(self, data):
        return services.invitation_create(partner=self.object, actor=self.request.user, email=data["email"], role=data["role"])

    def service_done(self, invitation):
        messages.success(self.request, f"Invitation sent to {invitation.email}.")
        return redirect("practice_home")


class PracticeRegistrationListView(PracticeView, TemplateView):
    """Registrations like a partner already known (its name or local authority code), waiting for
    a practice admin to confirm or reject them. The header links here while any wait."""

    template_name = "pine/practice_registrations.html"
    practice_roles = ADMINS

    def get_context_data(self, **kwargs):
        return super().get_context_data(checks=selectors.registration_check_list(), **kwargs)


class PracticeRegistrationDecisionView(ServiceFormMixin, PracticeView, FormView):
    """One waiting registration, the partners it is like, and the admin's decision."""

    template_name = "pine/practice_registration.html"
    form_class = RegistrationDecisionForm
    practice_roles = ADMINS

    def scoped_object(self):
        checks = selectors.registration_check_list(slug=self.kwargs["partner_slug"])
        return checks[0] if checks else None

    def get_context_data(self, **kwargs):
        return super().get_context_data(check=self.object, partner=self.object.partner, **kwargs)

    def call_service(self, data):
        partner = self.object.partner
        if data["decision"] == "confirm":
            return services.partner_registration_confirm(actor=self.request.user, partner=partner)
        return services.partner_registration_reject(actor=self.request.user, partner=partner, reason=data["reason"])

    def service_done(self, partner):
        done = "confirmed: it can apply" if partner.registration == partner.Registration.CONFIRMED else "not confirmed"
        messages.success(self.request, f"{partner.name}’s registration is {done}. Its lead has been told.")
        return redirect("practice_registrations")


# --- a signed-in user's own pages -----------------------------------------------------------------


class HomeView(SignedInView, TemplateView):
    template_name = "pine/home.html"

    def get(self, request, *args, **kwargs):
        if request.user.is_practice_team:
            return redirect(landing_url(request.user))
        memberships = list(selectors.membership_list_for_user(user=request.user))
        if len(memberships) == 1:
            return redirect("partner_home", partner_slug=memberships[0].partner.slug)
        return self.render_to_response(self.get_context_data(memberships=memberships))


class ProfileView(SignedInView, FormView):
    """The user's account: their partners and their API tokens (create and revoke)."""

    template_name = "pine/profile.html"
    form_class = ApiTokenForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "max_days": selectors.api_token_max_days(user=self.request.user)}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["tokens"] = selectors.api_token_list(user=self.request.user)
        context["memberships"] = selectors.membership_list_for_user(user=self.request.user)
        if self.request.user.is_practice_team:
            context["recovery_codes_left"] = services.recovery_codes_left(user=self.request.user)
        return context

    def form_valid(self, form):
        created = run_service(form, lambda: services.api_token_create(user=self.request.user, **form.cleaned_data))
        if not created.ok:
            return self.form_invalid(form)
        token, key = created.result
        fresh = self.get_form_class()(max_days=selectors.api_token_max_days(user=self.request.user))
        return self.render_to_response(self.get_context_data(form=fresh, new_key=key, new_token=token))


class ApiTokenRevokeView(SignedInView):
    def scoped_object(self):
        return selectors.api_token_list(user=self.request.user).filter(code=self.kwargs["code"]).first()

    def post(self, request, code):
        token = self.object
        services.api_token_revoke(user=request.user, token=token)
        messages.success(request, f"Token “{token.name}” revoked. Anything using it can no longer sign in.")
        return redirect("profile")


# --- a signed-in user's notifications -------------------------------------------------------------


class NotificationListView(SignedInView, TemplateView):
    """The signed-in user's own notifications, newest first, unread ones marked."""

    template_name = "pine/notifications.html"
    per_page = 25

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        page = Paginator(selectors.notification_list(user=self.request.user), self.per_page).get_page(
            self.request.GET.get("page")
        )
        context.update(page=page, notifications=list(page.object_list))
        return context


class NotificationReadView(SignedInView):
    """Mark all of the signed-in user's notifications read."""

    def post(self, request):
        count = notifications.notification_mark_read(user=request.user)
        if count:
            messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked as read.")
        return redirect("notifications")


class NotificationOpenView(SignedInView):
    """Open one notification: it is marked read and the page it is about is shown (or, with none,
    the list). Another user's notification, or none, is a 404."""

    def get(self, request, code):
        notification = notifications.notification_open(user=request.user, code=code)
        if notification is None:
            raise Http404("No such notification.")
        return redirect(notification.link or "notifications")


class NotificationSettingsView(SignedInView, FormView):
    """Which kinds of notification are emailed to the signed-in user (all are listed in PINE)."""

    template_name = "pine/notification_settings.html"
    form_class = EmailPreferencesForm

    def get_initial(self):
        muted = set(self.request.user.email_muted_kinds or [])
        return {"emailed": [kind for kind in notifications.KINDS if kind not in muted]}

    def form_valid(self, form):
        notifications.email_preferences_update(user=self.request.user, emailed_kinds=form.cleaned_data["emailed"])
        messages.success(self.request, "Your email choices are saved.")
        return redirect("notifications")
