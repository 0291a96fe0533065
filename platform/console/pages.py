"""The console's blueprint and what every page shares: the layout's context (the staff,
their tenant, the menu their role opens), the language, CSRF on every form, and the
pages that refuse."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import flask_babel
from flask import Blueprint, Response, g, render_template, request, send_from_directory, session
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import RequestEntityTooLarge

from jifen.console.access import Staff, public
from jifen.errors import JifenError
from jifen.headers import csp_nonce
from jifen.i18n import N_, catalog_locale, translate
from jifen.tenants import roles
from jifen.web import set_chosen_locale

bp = Blueprint("console", __name__, url_prefix="/console")
STATIC = Path(__file__).parent / "static"
# Console pages only: the API authenticates by key, not by cookie, so it needs no token.
csrf = CSRFProtect()
# The language a signed-out visitor chose, in Flask's signed cookie (a signed-in user's
# is on their account).
LANGUAGE_KEY = "console_locale"


@dataclass(frozen=True)
class MenuItem:
    endpoint: str
    label: str
    permission: str


# The console's areas, in the order the menu shows them; each shown to roles it opens.
MENU = (
    MenuItem("console.home", N_("Home"), roles.VIEW),
    MenuItem("console.dashboard", N_("Dashboard"), roles.VIEW),
    MenuItem("console.members_list", N_("Members"), roles.VIEW),
    MenuItem("console.rules", N_("Earn rules"), roles.VIEW),
    MenuItem("console.catalog_products", N_("Catalog"), roles.VIEW),
    MenuItem("console.order_list", N_("Orders"), roles.VIEW),
    MenuItem("console.after_sales_list", N_("After-sales"), roles.VIEW),
    MenuItem("console.review_list", N_("Reviews"), roles.VIEW),
    MenuItem("console.settings", N_("Settings"), roles.CONFIGURE),
    MenuItem("console.team", N_("Team"), roles.VIEW),
    MenuItem("console.api_keys", N_("API keys"), roles.VIEW),
    MenuItem("console.security", N_("Sign-in security"), roles.VIEW),
    MenuItem("console.audit_log", N_("Audit log"), roles.CONFIGURE),
)


ROLE_NAMES = {
    "owner": N_("owner"),
    "admin": N_("admin"),
    "operator": N_("operator"),
    "viewer": N_("viewer"),
}


@bp.route("/static/<path:filename>", endpoint="static")
@public
def static_file(filename: str) -> Response:
    """The console's own style sheet, scripts and vendored libraries. Read whole (the
    largest is ECharts), so that the response is compressed and answered conditionally
    like a page (jifen.compression)."""
    response = send_from_directory(STATIC, filename, max_age=3600)
    response.direct_passthrough = False
    response.make_sequence()
    response.close()
    return response


@bp.before_request
def check_csrf_and_language() -> None:
    csrf.protect()
    set_chosen_locale(session.get(LANGUAGE_KEY))


@dataclass(frozen=True)
class Room:
    """A form that takes files: the body it may send, and what it is told past that."""

    most: int
    message: str
    params: dict[str, Any]


# Forms that take files, by endpoint: more room than the app's limit for other bodies
# (jifen.web.MAX_BODY_BYTES), given before the CSRF check reads the form.
ROOMS: dict[str, Room] = {}


def make_room(
    endpoints: tuple[str, ...], most: int, message: str, params: dict[str, Any] | None = None
) -> None:
    """Let these routes' forms send bodies of up to `most` bytes, and tell a larger one
    `message` (a message id)."""
    for endpoint in endpoints:
        ROOMS[endpoint] = Room(most, message, params or {})


@bp.before_app_request
def _room_for_files() -> None:
    room = ROOMS.get(request.endpoint or "")
    if room is not None:
        request.max_content_length = room.most


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge) -> tuple[str, int]:
    """A body past its limit, refused before any view reads it."""
    room = ROOMS.get(request.endpoint or "")
    if room is None:
        message = translate(
            N_("The file is larger than %(most)s, the most the console takes."), {"most": "1 MB"}
        )
    else:
        message = translate(room.message, room.params)
    return render("console/refused.html", message=message), 413


@bp.errorhandler(CSRFError)
def _expired_form(error: CSRFError) -> tuple[str, int]:
    message = translate(N_("This form has expired. Go back, reload the page and try again."))
    return render("console/refused.html", message=message), 400


@bp.errorhandler(403)
def _not_allowed(error: Exception) -> tuple[str, int]:
    message = translate(N_("Your role in this merchant does not allow this."))
    return render("console/refused.html", message=message), 403


@bp.errorhandler(404)
def _not_found(error: Exception) -> tuple[str, int]:
    return render("console/refused.html", message=translate(N_("There is nothing here."))), 404


@bp.errorhandler(JifenError)
def _refused(error: JifenError) -> tuple[str, int]:
    return render("console/refused.html", message=error.translated()), error.status


def page_language() -> str:
    """The page's language as our catalogs name it (`zh_CN`, `en`)."""
    return catalog_locale(str(flask_babel.get_locale())) or "en"


def render(template: str, **context: Any) -> str:
    """A console page, with the staff, their tenant and the menu their role opens."""
    staff: Staff | None = g.get("console_staff")
    menu = [
        item for item in MENU if staff is not None and staff.tenant and staff.can(item.permission)
    ]
    return render_template(
        template,
        staff=staff,
        menu=menu,
        endpoint=request.endpoint,
        lang=page_language().replace("_", "-"),
        csp_nonce=csp_nonce,
        role_names={role: translate(name) for role, name in ROLE_NAMES.items()},
        **context,
    )
