"""A virtual product's pool of codes: how many are left and issued, and more added from
a CSV file (or pasted), each line that cannot be a code reported by its number."""

from __future__ import annotations

import uuid
from typing import Any

from flask import abort, request
from werkzeug.datastructures import FileStorage

from jifen.console.access import current, staff_page
from jifen.console.pages import bp, make_room, render
from jifen.i18n import N_, Message, translate
from jifen.mall import catalog, codes
from jifen.tenants import roles
from jifen.web import db_session, request_actor, services

# The largest CSV taken, as the API's `CodesUpload` takes; a post of the page may be
# that and a little.
MAX_CSV = 5_000_000
UPLOAD_LIMIT = MAX_CSV + 1024 * 1024


make_room(
    ("console.catalog_codes",),
    UPLOAD_LIMIT,
    N_("A file of codes may be at most %(megabytes)s MB."),
    {"megabytes": 5},
)


@bp.route("/catalog/products/<uuid:product_id>/codes", methods=["GET", "POST"])
@staff_page(roles.CONFIGURE)
def catalog_codes(product_id: uuid.UUID) -> tuple[str, int]:
    """The pool's counts, and codes added to it."""
    session, svc = db_session(), services()
    product = catalog.get_product(session, product_id)
    if product.kind != "virtual":
        abort(404)  # only virtual products have a pool
    problems: dict[str, str] = {}
    report: dict[str, Any] | None = None
    pasted = ""
    if request.method == "POST":
        pasted = request.form.get("codes", "")[:MAX_CSV]
        text, problems = _posted_text(pasted)
        if text is not None:
            report = codes.upload(
                session,
                product.id,
                text,
                keyring=svc.keyring,
                actor=request_actor("user", str(current().user.id)),
                clock=svc.clock,
            )
            report["rejected"] = [
                {"line": line["line"], "reason": _reason(line["reason"])}
                for line in report["rejected"]
            ]
            pasted = ""
    return render(
        "console/catalog_codes.html",
        product=product,
        counts=codes.pool_counts(session, product.id),
        report=report,
        problems=problems,
        pasted=pasted,
    ), (422 if problems else 200)


def _posted_text(pasted: str) -> tuple[str | None, dict[str, str]]:
    """The CSV sent as a file or pasted; or why there is none to read."""
    upload = request.files.get("file")
    if isinstance(upload, FileStorage) and upload.filename:
        data = upload.read(MAX_CSV + 1)
        if len(data) > MAX_CSV:
            message = N_("A file of codes may be at most %(megabytes)s MB.")
            return None, {"file": translate(message, {"megabytes": MAX_CSV // 1_000_000})}
        try:
            return data.decode("utf-8-sig"), {}
        except UnicodeDecodeError:
            return None, {
                "file": translate(N_("This file is not text in UTF-8: save it as CSV UTF-8."))
            }
    if pasted.strip():
        return pasted.replace("\r\n", "\n"), {}
    return None, {"file": translate(N_("Choose a CSV file, or paste the codes."))}


def _reason(reason: Any) -> str:
    return reason.translated() if isinstance(reason, Message) else str(reason)
