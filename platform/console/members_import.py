"""Importing members and their opening balances from a CSV file: upload, check, choose,
run as a job with its progress shown as it goes, and the report of the lines refused.

The work is jifen.ledger.member_imports' (the file's format: jifen.ledger.member_files);
these pages upload, show what the check found, take the merchant's choice (all or
nothing, or the sound lines only), and poll the job's progress with htmx.
"""

from __future__ import annotations

import uuid

from flask import flash, redirect, request, url_for
from werkzeug import Response

from jifen.console.access import staff_page
from jifen.console.forms import problems_of
from jifen.console.members import actor, formats
from jifen.console.pages import bp, render
from jifen.errors import JifenError, ValidationFailed
from jifen.i18n import N_, translate
from jifen.ledger import member_files, member_imports
from jifen.ledger.models import MemberImport
from jifen.tenants import roles
from jifen.web import db_session, services

SHOWN = 200  # problems a page lists (the report keeps member_imports.KEPT)
SAMPLE = (
    "external_id,name,phone,email,birthday,tags,points,earned_at,expires_at\r\n"
    "u1001,Li Lei,13800138000,lilei@example.com,1990-05-01,vip,1200,2025-06-01,2026-12-31\r\n"
    "u1001,,,,,,300,2025-11-11,\r\n"
    "u1002,Han Meimei,,,,,,,\r\n"
)
# Read a byte beyond the largest file taken, so a larger one is refused whole.
_READ = member_files.MAX_BYTES + 1


def _show(import_id: uuid.UUID) -> str:
    return url_for("console.members_import_show", import_id=import_id)


@bp.route("/members/import", methods=["GET", "POST"])
@staff_page(roles.CONFIGURE)
def members_import() -> tuple[str, int] | Response:
    """The upload form (with what a file holds), and the imports made before."""
    session, svc = db_session(), services()
    problems: dict[str, str] = {}
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            problems["file"] = translate(N_("Choose a CSV file."))
        else:
            try:
                checked = member_imports.check_upload(
                    session,
                    filename=upload.filename,
                    content=upload.read(_READ),
                    actor=actor(),
                    clock=svc.clock,
                    keyring=svc.keyring,
                )
            except JifenError as refused:
                problems = {"file": refused.translated()}
            else:
                return redirect(_show(checked.id), 303)
    imports, older = member_imports.recent(session, cursor=request.args.get("cursor"))
    return render(
        "console/members_import.html",
        problems=problems,
        imports=imports,
        older_url=url_for("console.members_import", cursor=older) if older else None,
        columns=member_files.COLUMNS,
        most_rows=member_files.MAX_ROWS,
        **formats(),
    ), (422 if problems else 200)


@bp.route("/members/import/sample.csv")
@staff_page(roles.CONFIGURE)
def members_import_sample() -> Response:
    """A small file in the import's format, to start from."""
    return Response(
        "\ufeff" + SAMPLE,
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="members-sample.csv"'},
    )


def _page(
    row: MemberImport, *, problems: dict[str, str] | None = None, status: int = 200
) -> tuple[str, int]:
    return render(
        "console/members_import_show.html", problems=problems or {}, **_state(row)
    ), status


def _state(row: MemberImport) -> dict[str, object]:
    """What the import's state shows: its progress while it runs, its report after."""
    return {
        "row": row,
        "refused": member_imports.problems_of(row)[:SHOWN],
        "shown": SHOWN,
        "running": row.status in ("queued", "running"),
        "progress_url": url_for("console.members_import_progress", import_id=row.id),
        **formats(),
    }


@bp.route("/members/import/<uuid:import_id>")
@staff_page(roles.CONFIGURE)
def members_import_show(import_id: uuid.UUID) -> tuple[str, int]:
    """What the check found and the choice of how to run it; then its progress and its
    report."""
    return _page(member_imports.get_import(db_session(), import_id))


@bp.route("/members/import/<uuid:import_id>/progress")
@staff_page(roles.CONFIGURE)
def members_import_progress(import_id: uuid.UUID) -> str:
    """The import's state, as the page polls it while the job runs."""
    row = member_imports.get_import(db_session(), import_id)
    return render("console/members_import_state.html", **_state(row))


@bp.route("/members/import/<uuid:import_id>/run", methods=["POST"])
@staff_page(roles.CONFIGURE)
def members_import_run(import_id: uuid.UUID) -> tuple[str, int] | Response:
    """Run a checked import as the merchant chose: all or nothing, or the sound lines."""
    session, svc = db_session(), services()
    row = member_imports.get_import(session, import_id)
    try:
        member_imports.start(
            session, import_id, request.form.get("mode", ""), actor=actor(), clock=svc.clock
        )
    except member_imports.ImportNotWaiting as refused:  # a second click, or a colleague's
        flash(refused.translated())
    except ValidationFailed as refused:
        return _page(row, problems=problems_of(refused, default_field="mode"), status=422)
    return redirect(_show(import_id), 303)


@bp.route("/members/import/<uuid:import_id>/discard", methods=["POST"])
@staff_page(roles.CONFIGURE)
def members_import_discard(import_id: uuid.UUID) -> Response:
    """Drop a checked import without running it."""
    try:
        member_imports.discard(db_session(), import_id, actor=actor(), clock=services().clock)
    except member_imports.ImportNotWaiting as refused:
        flash(refused.translated())
        return redirect(_show(import_id), 303)
    flash(translate(N_("Import discarded: nothing of it was imported, and its file is deleted.")))
    return redirect(url_for("console.members_import"), 303)
