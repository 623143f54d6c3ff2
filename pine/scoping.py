"""Scoped base classes for page views: every page of ours derives from one of them.

``dispatch`` is written once, here: it resolves who may see the page (``pine.access``), enters the
database scope that goes with it, reads the page's object (``scoped_object()``) once inside that
scope, and renders inside it. Subclasses may not override ``dispatch``.

The partner comes from the URL (``/p/<partner_slug>/...``) checked against the signed-in user's
memberships — never from a header, a form field or a remembered "current partner". A partner the
user does not belong to and a partner that does not exist give the same 404, and so do an object of
another partner and a missing one.
"""

from contextlib import nullcontext

from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.views import View

from pine import access
from pine.access import Access


class ScopedView(View):
    """Root of our page views."""

    access: Access | None = None
    object = None  # what scoped_object() found

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("_is_scope_base", False):
            for name in ("dispatch", "resolve_access"):
                if name in cls.__dict__:
                    raise TypeError(f"{cls.__name__} may not override {name}(): the tenant scope is set there.")

    def resolve_access(self, request, **kwargs) -> Access | None:
        raise NotImplementedError

    def scoped_object(self):
        """The object the page is about, from a selector scoped to ``self.partner`` (or the
        practice team's): read once, inside the scope, before the handler runs, as ``self.object``.
        None gives the same 404 as a missing page. Pages about no one object leave this alone."""
        return None

    def dispatch(self, request, *args, **kwargs):
        try:
            self.access = self.resolve_access(request, **kwargs)
        except access.NotSignedIn:
            return redirect_to_login(request.get_full_path())
        except access.NotVerified:
            return redirect_to_login(request.get_full_path(), login_url="two_factor")
        with self.access.scope() if self.access else nullcontext():
            if type(self).scoped_object is not ScopedView.scoped_object:
                self.object = self.scoped_object()
                if self.object is None:
                    raise Http404("No such page.")
            response = super().dispatch(request, *args, **kwargs)
            # Render template responses inside the scope: their context may hold lazy querysets.
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
            return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.access is not None:
            context.update(self.access.flags())
        return context


class PublicView(ScopedView):
    """A page anyone may see. It reads no tenant rows (RLS would show it none anyway)."""

    _is_scope_base = True

    def resolve_access(self, request, **kwargs) -> None:
        return None


class SignedInView(access.SignedInAccess, ScopedView):
    """A signed-in user's own pages (home, profile). Sees only the user's own memberships."""

    _is_scope_base = True


class PartnerView(access.PartnerAccess, ScopedView):
    """A page of one partner, for its members (``required_role`` to see it, ``write_role`` to POST)."""

    _is_scope_base = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Every page of a partner that cannot apply yet says why (a registration waiting for the
        # practice team, or one it did not confirm): base.html shows it above the page.
        context.update(partner=self.partner, membership=self.membership, partner_apply_refusal=self.partner.apply_refusal)
        return context


class PracticeView(access.PracticeAccess, ScopedView):
    """A practice-team page (``/practice/...``). Needs a practice role in ``practice_roles`` and a
    session verified with a second factor. Anyone else gets a 404: the area is not advertised."""

    _is_scope_base = True
