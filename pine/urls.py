from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

import cohorts.urls
import evaluations.urls
import measures.urls
import outcomes.urls
import reports.urls
import returns.urls
from pine import api, routing, views

APPS = (cohorts.urls, evaluations.urls, measures.urls, outcomes.urls, returns.urls, reports.urls)

# The root URLconf names every app (the one place in pine that does); each app mounts its own
# routes under the partner's and the practice team's prefixes (pine.routing).

account_patterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("two-factor/", views.TwoFactorView.as_view(), name="two_factor"),
    path("two-factor/recovery-codes/", views.RecoveryCodesView.as_view(), name="recovery_codes"),
    path("register/", views.RegisterView.as_view(), name="register"),
    path("confirm-email/", views.EmailVerificationSentView.as_view(), name="email_verification_sent"),
    path("confirm-email/<str:token>/", views.EmailVerifyView.as_view(), name="email_verify"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("profile/", views.ProfileView.as_view(), name="profile"),
    path("tokens/<uuid:code>/revoke/", views.ApiTokenRevokeView.as_view(), name="api_token_revoke"),
    path("password-reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path("password-reset/<uidb64>/<token>/", views.PasswordResetConfirmView.as_view(), name="password_reset_confirm"),
    path("password-reset/done/", views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
]

api_patterns = [
    path("me/", api.MeView.as_view(), name="api_me"),
    path("me/tokens/", api.TokenListView.as_view(), name="api_tokens"),
    path("me/tokens/<uuid:code>/", api.TokenDetailView.as_view(), name="api_token"),
    path("notifications/", api.NotificationListView.as_view(), name="api_notifications"),
    path("notifications/read/", api.NotificationReadView.as_view(), name="api_notifications_read"),
    *[path("", include((app.api_urlpatterns, app.app_name), namespace=f"{app.app_name}_api")) for app in APPS],
]

urlpatterns = [
    # The API first: Django tries the patterns in order, and the pages' includes below have empty
    # prefixes, so an API request would walk (and list as tried) every page's route before reaching
    # its own. No page's route starts with "api/" (tests/pine/test_urls.py), so the order changes
    # nothing but that walk.
    path("api/v1/", include(api_patterns)),
    # Public documentation of the API (no data): allow-listed in tests/test_tenancy.py.
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("", views.RootView.as_view(), name="root"),
    path("healthz", views.HealthView.as_view(), name="healthz"),
    path("status/", views.StatusView.as_view(), name="service_status"),
    path("accounts/", include(account_patterns)),
    path("invitations/<str:token>/", views.InvitationAcceptView.as_view(), name="invitation_accept"),
    path("home/", views.HomeView.as_view(), name="home"),
    path("notifications/", views.NotificationListView.as_view(), name="notifications"),
    path("notifications/read/", views.NotificationReadView.as_view(), name="notifications_read"),
    path("notifications/email/", views.NotificationSettingsView.as_view(), name="notification_settings"),
    path("notifications/<uuid:code>/", views.NotificationOpenView.as_view(), name="notification_open"),
    *routing.pages(
        partner=[path("members/", views.PartnerMembersView.as_view(), name="partner_members")],
        practice=[
            path("partners/<slug:partner_slug>/invite/", views.PracticeInviteLeadView.as_view(), name="practice_invite"),
            path("registrations/", views.PracticeRegistrationListView.as_view(), name="practice_registrations"),
            path(
                "registrations/<slug:partner_slug>/",
                views.PracticeRegistrationDecisionView.as_view(),
                name="practice_registration",
            ),
        ],
    ),
    path("", include(reports.urls.front_urlpatterns)),
    *[path("", include(app)) for app in APPS],
]

handler403 = "pine.errors.permission_denied"
handler404 = "pine.errors.page_not_found"
handler500 = "pine.errors.server_error"
