"""Who may open a console page: every route says so with one of three decorators, and
the permission matrix test (tests/console/test_permissions.py) walks the URL map to
check that each does and that the server's answers follow.

- `public`: anyone (signing up, signing in, resetting a password);
- `user_page`: a signed-in user, whose email may still be unverified where the page
  says so (verifying it), else verified (choosing or creating a tenant);
- `staff_page(permission)`: a signed-in, verified user working in a tenant whose role
  there allows `permission` (jifen.tenants.roles), for every method of the route. The
  tenant is the one the user chose, kept in their server-side session, and their role
  is read again on every request: editing a URL, an id or a form field reaches no
  other tenant (the session is scoped to this one, and another tenant's rows answer
  404 as missing ones do).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import abort, g, redirect, request, url_for

from jifen import session_cookies
from jifen.db import set_tenant
from jifen.tenants import roles, users
from jifen.tenants.models import Tenant, User, WebSession
from jifen.web import db_session, set_chosen_locale, set_tenant_locale, set_tenant_timezone

F = TypeVar("F", bound=Callable[..., Any])

PUBLIC = "public"
USER = "user"
UNVERIFIED = "unverified"


@dataclass
class Staff:
    """The signed-in user and, on a tenant's pages, the tenant and their role there."""

    user: User
    web_session: WebSession
    tenant: Tenant | None = None
    role: str | None = None

    def can(self, permission: str) -> bool:
        return self.role is not None and roles.allows(self.role, permission)


def signed_in() -> Staff | None:
    """This browser's console session and its user, if it is signed in."""
    found = session_cookies.current(session_cookies.console())
    user = None if found is None else db_session().get(User, found.subject_id)
    if found is None or user is None:
        return None
    set_chosen_locale(user.locale)
    return Staff(user, found)


def current() -> Staff:
    """The staff of this request (set by the route's decorator)."""
    staff: Staff = g.console_staff
    return staff


def _mark(view: Callable[..., Any], access: str) -> None:
    view.console_access = access  # type: ignore[attr-defined]


def public(view: F) -> F:
    """Anyone may open it."""
    _mark(view, PUBLIC)
    return view


def user_page(*, verified: bool = True) -> Callable[[F], F]:
    """A signed-in user may open it (with a verified email unless `verified` is False);
    others are sent to sign in."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            staff = signed_in()
            if staff is None:
                return redirect(url_for("console.login", next=request.full_path))
            if verified and staff.user.email_verified_at is None:
                return redirect(url_for("console.verify_email"))
            g.console_staff = staff
            return view(*args, **kwargs)

        _mark(wrapped, USER if verified else UNVERIFIED)
        return wrapped  # type: ignore[return-value]

    return decorate


def staff_page(permission: str) -> Callable[[F], F]:
    """Staff of the chosen tenant whose role allows `permission` may open it: others are
    sent to sign in, to verify their email or to choose a tenant, and staff whose role
    does not allow it are refused (403)."""
    assert permission in roles.PERMISSIONS

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            staff = signed_in()
            if staff is None:
                return redirect(url_for("console.login", next=request.full_path))
            if staff.user.email_verified_at is None:
                return redirect(url_for("console.verify_email"))
            found = working_in(staff)
            if found is None:
                return redirect(url_for("console.home"))
            staff.tenant, staff.role = found
            if staff.tenant.two_factor_required and staff.user.two_factor_since is None:
                return redirect(url_for("console.security"))
            if not staff.can(permission):
                abort(403)
            set_tenant(db_session(), staff.tenant.id)
            set_tenant_locale(staff.tenant.locale)
            set_tenant_timezone(staff.tenant.timezone)
            g.console_staff = staff
            return view(*args, **kwargs)

        _mark(wrapped, permission)
        return wrapped  # type: ignore[return-value]

    return decorate


def working_in(staff: Staff) -> tuple[Tenant, str] | None:
    """The tenant the user chose and their role there, while they are still its staff;
    a user who is staff of one tenant only works in it without choosing."""
    memberships = users.tenants_of(db_session(), staff.user.id)
    chosen = staff.web_session.tenant_id
    if chosen is None and len(memberships) == 1:
        return memberships[0]
    return next(((t, role) for t, role in memberships if t.id == chosen), None)
