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
    back = request.form.get("next", "")
    # Back to the page it was chosen on: a path of this site only.
    if not back.startswith("/") or back.startswith(("//", "/\\")):
        back = url_for(".home")
    response = redirect(back, 303)
    response.set_cookie(LANGUAGE_COOKIE, chosen, max_age=A_YEAR, samesite="Lax", httponly=True)
    return response
