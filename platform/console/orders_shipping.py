"""Shipping from a file: a CSV of tracking numbers, one order a row, as a warehouse
sends it back (the orders' export, with its `carrier` and `tracking_number` columns
filled in, is such a file: other columns are ignored).

All rows ship or none (`jifen.mall.shipments`): every wrong row is listed with its
line number, and nothing has shipped, so the merchant fixes the file and sends it
again. A file is read as UTF-8 (with or without Excel's byte order mark) or, failing
that, as GB18030, which Excel writes on Chinese Windows.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass

from flask import flash, redirect, request, url_for
from werkzeug import Response

from jifen.console.access import staff_page
from jifen.console.orders_forms import actor, load
from jifen.console.pages import bp, render
from jifen.field_messages import rendered
from jifen.i18n import N_, translate
from jifen.mall import schemas, shipments
from jifen.mall.errors import ShipmentsRefused
from jifen.mall.shipments import Shipment
from jifen.tenants import roles
from jifen.web import db_session, services

COLUMNS = ("order_id", "carrier", "tracking_number")
# Read a byte beyond what the request may carry at all: a larger file is refused whole.
_READ = 1024 * 1024 + 1


@dataclass(frozen=True)
class Problem:
    """What is wrong with the file: at a line (None: the file as a whole)."""

    line: int | None
    message: str


@bp.route("/orders/shipping", methods=["GET", "POST"])
@staff_page(roles.OPERATE)
def ship_from_file() -> tuple[str, int] | Response:
    """The form that takes a file of tracking numbers, and the file shipped."""
    problems: list[Problem] = []
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            problems = [Problem(None, translate(N_("Choose a CSV file.")))]
        else:
            lines, problems = read_shipments(upload.read(_READ))
            if not problems and not lines:
                problems = [Problem(None, translate(N_("The file has no orders in it.")))]
            problems = _ship(lines, problems)
            if not problems:
                flash(translate(N_("%(count)s orders shipped."), {"count": len(lines)}))
                return redirect(url_for("console.order_list", status="fulfilled"), 303)
    return render(
        "console/orders_shipping.html",
        problems=problems,
        columns=COLUMNS,
        most=shipments.MAX_BATCH,
    ), (422 if problems else 200)


def _ship(lines: list[tuple[int, Shipment]], problems: list[Problem]) -> list[Problem]:
    """Ship the file's orders when nothing is wrong with it; else every problem of the
    file, those of its readable rows too (none shipped), in the order of its lines."""
    session, batch = db_session(), [shipment for _, shipment in lines]
    if problems:
        refused = shipments.refusals(session, batch)
    else:
        try:
            shipments.ship_all(session, batch, actor=actor(), clock=services().clock)
        except ShipmentsRefused as refusal:
            refused = refusal.details
        else:
            return []
    problems = problems + [
        Problem(lines[index][0], " ".join(rendered(messages)))
        for index, messages in refused.items()
    ]
    return sorted(problems, key=lambda problem: problem.line or 0)


def read_shipments(data: bytes) -> tuple[list[tuple[int, Shipment]], list[Problem]]:
    """The file's shipments, each with the line it starts on, and what is wrong with it.
    A blank row is skipped."""
    if len(data) >= _READ:
        return [], [Problem(None, translate(N_("The file is larger than 1 MB.")))]
    text = _decoded(data)
    if text is None:
        return [], [Problem(None, translate(N_("The file is not a CSV file in UTF-8 or GB18030.")))]
    reader = csv.reader(io.StringIO(text, newline=""))
    found: list[tuple[int, Shipment]] = []
    problems: list[Problem] = []
    try:
        header = [name.strip().lower() for name in next(reader, [])]
        missing = [name for name in COLUMNS if name not in header]
        if missing:
            message = N_("The first line names the columns; it lacks %(columns)s.")
            return [], [Problem(1, translate(message, {"columns": ", ".join(missing)}))]
        where = {name: header.index(name) for name in COLUMNS}
        start = reader.line_num + 1
        for row in reader:
            if any(cell.strip() for cell in row):
                if len(found) + len(problems) >= shipments.MAX_BATCH:
                    message = N_("At most %(most)s orders are shipped at once.")
                    return [], [Problem(None, translate(message, {"most": shipments.MAX_BATCH}))]
                shipment, problem = _row(row, where, start)
                if shipment is not None:
                    found.append((start, shipment))
                if problem is not None:
                    problems.append(problem)
            start = reader.line_num + 1
    except csv.Error:
        problems.append(Problem(reader.line_num, translate(N_("This line is not valid CSV."))))
    return found, problems


def _decoded(data: bytes) -> str | None:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return None if "\x00" in text else text
    return None


def _row(
    row: list[str], where: dict[str, int], line: int
) -> tuple[Shipment | None, Problem | None]:
    """A row's shipment, or what is wrong with it."""
    cells = {name: row[index].strip() if index < len(row) else "" for name, index in where.items()}
    try:
        order_id = uuid.UUID(cells["order_id"])
    except ValueError:
        return None, Problem(line, translate(N_("order_id: not an order id.")))
    shipment, problems = load(
        schemas.Shipment(),
        {"carrier": cells["carrier"], "tracking_number": cells["tracking_number"]},
    )
    if problems:
        said = " ".join(f"{name}: {message}" for name, message in problems.items())
        return None, Problem(line, said)
    return Shipment(order_id, shipment["carrier"], shipment["tracking_number"]), None
