"""The member card: a code for a store's till, shown as a QR code, a barcode and its
digits, made afresh each time the page is opened (jifen.members.cards: it lives a minute
and is good once)."""

from __future__ import annotations

import base64
import io

import barcode
import segno
from barcode.writer import SVGWriter

from jifen.members import cards
from jifen.storefront.mall import bp, member_here, render, writes
from jifen.web import db_session, services


@bp.route("/account/card")
@writes  # each opening makes a new code
def member_card() -> str:
    member = member_here()
    svc = services()
    card = cards.issue(db_session(), member.id, clock=svc.clock, keyring=svc.keyring)
    return render(
        "member_card.html",
        card=card,
        digits=" ".join(card.code[i : i + 4] for i in range(0, len(card.code), 4)),
        qr=qr_svg(card.code),
        bars=barcode_svg(card.code),
        seconds=int(cards.LIFE.total_seconds()),
    )


def qr_svg(text: str) -> str:
    """`text` as a QR code: an SVG image's data URI."""
    uri: str = segno.make(text, error="m").svg_data_uri(scale=6, border=2)
    return uri


def barcode_svg(text: str) -> str:
    """`text` as a Code 128 barcode without its caption: an SVG image's data URI."""
    drawn = io.BytesIO()
    options = {"write_text": False, "module_height": 18.0, "quiet_zone": 3.0}
    barcode.get("code128", text, writer=SVGWriter()).write(drawn, options=options)
    return "data:image/svg+xml;base64," + base64.b64encode(drawn.getvalue()).decode()
