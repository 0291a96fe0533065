"""The member's choice of language: kept in a cookie for this browser (a visitor not
signed in can choose too) and, for a signed-in member, on the member, so that the notices
sent to them speak it as well."""

from __future__ import annotations

from flask import abort, redirect, request, url_for
from werkzeug import Response

from jifen.i18n import LOCALES
from jifen.storefront.mall import LANGUAGE_COOKIE, bp, check_form, signed_in_member
from jifen.web import db_session

A_YEAR = 365 * 24 * 3600


def _plain(path: str) -> bool:
    return all(0x20 < ord(char) < 0x7F and char != "\\" for char in path)


@bp.post("/language")
def language() -> Response:
    check_form()
    chosen = request.form.get("locale", "")
    if chosen not in LOCALES:
        abort(400)
    member = signed_in_member()
    if member is not None:
        member.locale = chosen
        db_session().flush()
    home = url_for(".home")
    back = request.form.get("next", "")
    # Back to the page it was chosen on: a path of this mall only, nothing a browser
    # could read as another site (control characters, backslashes, `//`).
    if not back.startswith(home) or back.startswith("//") or not _plain(back):
        back = home
    response = redirect(back, 303)
    response.set_cookie(LANGUAGE_COOKIE, chosen, max_age=A_YEAR, samesite="Lax", httponly=True)
    return response
