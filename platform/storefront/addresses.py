"""The member's address book (/account/addresses): their saved addresses, each with its
phone number half hidden, to add, edit, delete (after a step that asks) and make the
default (jifen.members.addresses); and the choice between them and a new address where
an item ships (redeeming it, or an order awaiting its address), a new one saved to the
book unless the member unticks it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from flask import abort, flash, redirect, request, url_for
from marshmallow import Schema, ValidationError
from werkzeug import Response
from werkzeug.datastructures import MultiDict

from jifen.errors import NotFound
from jifen.field_messages import field_messages, rendered
from jifen.i18n import N_, translate
from jifen.members import addresses
from jifen.members.addresses import MOST, AddressBookFull, SavedAddressView
from jifen.members.models import Member
from jifen.members.schemas import MAX_LABEL, Address, LabelledAddress
from jifen.storefront.mall import bp, check_form, half_hidden_phone, member_here, render
from jifen.web import db_session, request_actor, services

NEW = "new"  # the choice of a new address, beside the saved ones' ids


@dataclass
class Shipping:
    """Where the member chose to ship an item: a saved address (`ship_to` its id) or a
    new one, as typed (`given`) with what is wrong with it (`problems`), and whether to
    save it (`save`). `address` is what the order ships to, once there is nothing wrong."""

    ship_to: str = NEW
    given: dict[str, str] = field(default_factory=dict)
    problems: dict[str, Any] = field(default_factory=dict)
    save: bool = True
    address: dict[str, Any] | None = None


def listed(book: list[SavedAddressView]) -> list[dict[str, Any]]:
    """The book as pages show it: each address's fields, its phone number half hidden."""
    return [
        {
            **saved.address,
            "id": str(saved.id),
            "phone": half_hidden_phone(saved.address["phone"]),
            "label": saved.label,
            "is_default": saved.is_default,
        }
        for saved in book
    ]


def book_here(member: Member) -> list[SavedAddressView]:
    return addresses.book_of(db_session(), member.id, services().keyring)


def choices(member: Member, shipping: Shipping | None = None) -> dict[str, Any]:
    """What a page that ships an item shows: the member's saved addresses to choose from
    (the default chosen, until the member chose), and the new address's fields."""
    book = book_here(member)
    shipping = shipping or Shipping(ship_to=str(book[0].id) if book else NEW)
    return {
        "book": listed(book),
        "book_full": len(book) >= MOST,
        "ship_to": shipping.ship_to,
        "address": shipping.given,
        "problems": shipping.problems,
        "save_address": shipping.save,
    }


def typed_address(
    form: MultiDict[str, str], schema: Schema | None = None
) -> tuple[dict[str, str], dict[str, Any] | None, dict[str, Any]]:
    """The address fields of a form (`schema`'s; an `Address`'s by default): as typed,
    the address when it is one, and what is wrong with it by field."""
    schema = schema or Address()
    given = {name: form.get(name, "").strip() for name in schema.fields}
    try:
        return given, schema.load({k: v for k, v in given.items() if v}), {}
    except ValidationError as error:
        return given, None, rendered(field_messages(error.messages))


def shipping_from(member: Member, form: MultiDict[str, str]) -> Shipping:
    """Where the form says to ship: one of the member's saved addresses (404 for anyone
    else's, as for none), or the new address typed."""
    ship_to = form.get("ship_to", NEW)
    if ship_to != NEW:
        saved = _own(member, _address_id(ship_to))
        return Shipping(ship_to=ship_to, address=saved.address)
    given, address, problems = typed_address(form)
    return Shipping(given=given, problems=problems, save=form.get("save") == "on", address=address)


def keep(member: Member, shipping: Shipping) -> None:
    """Save a new address the member shipped to, if they asked to (once: an address the
    book has already is not added again); a full book is said, and the order stands."""
    if shipping.ship_to != NEW or not shipping.save or shipping.address is None:
        return
    svc, session = services(), db_session()
    try:
        with session.begin_nested():
            addresses.remember(
                session,
                member.id,
                shipping.address,
                actor=request_actor("member", str(member.id)),
                clock=svc.clock,
                keyring=svc.keyring,
            )
    except AddressBookFull:
        flash(translate(N_("Your address book is full, so this address was not saved in it.")))


# --- the address book's pages --------------------------------------------------------


@bp.route("/account/addresses")
def addresses_page() -> str:
    book = book_here(member_here())
    return render("addresses.html", book=listed(book), book_full=len(book) >= MOST, most=MOST)


@bp.route("/account/addresses/new")
def new_address() -> str:
    member_here()
    return _form(None, {}, "", {})


@bp.post("/account/addresses/new")
def add_address() -> tuple[str, int] | Response:
    """Save the address typed (an address the book has already is kept once)."""
    member = member_here()
    check_form()
    given, typed, problems = typed_address(request.form, LabelledAddress())
    if typed is None:
        return _form(None, given, given["label"], problems), 422
    label = typed.pop("label", None)
    svc, session = services(), db_session()
    try:
        with session.begin_nested():
            addresses.remember(
                session,
                member.id,
                typed,
                label=label,
                default=request.form.get("is_default") == "on",
                actor=request_actor("member", str(member.id)),
                clock=svc.clock,
                keyring=svc.keyring,
            )
    except AddressBookFull as full:
        return _form(None, given, given["label"], {"": full.translated()}), full.status
    flash(translate(N_("Address saved.")))
    return redirect(url_for(".addresses_page"), 303)


@bp.route("/account/addresses/<uuid:address_id>/edit")
def address_form(address_id: uuid.UUID) -> str:
    saved = _own(member_here(), address_id)
    return _form(saved, saved.address, saved.label or "", {})


@bp.post("/account/addresses/<uuid:address_id>/edit")
def edit_address(address_id: uuid.UUID) -> tuple[str, int] | Response:
    member = member_here()
    check_form()
    saved = _own(member, address_id)
    given, typed, problems = typed_address(request.form, LabelledAddress())
    if typed is None:
        return _form(saved, given, given["label"], problems), 422
    label = typed.pop("label", None)
    svc = services()
    addresses.edit(
        db_session(),
        member.id,
        saved.id,
        typed,
        label=label,
        actor=request_actor("member", str(member.id)),
        clock=svc.clock,
        keyring=svc.keyring,
    )
    flash(translate(N_("Address saved.")))
    return redirect(url_for(".addresses_page"), 303)


@bp.route("/account/addresses/<uuid:address_id>/delete")
def address_deletion(address_id: uuid.UUID) -> str:
    """The step before deleting: which address (and, for the default, which is the
    default next), and a button that says what it does."""
    book = listed(book_here(member_here()))
    saved = next((entry for entry in book if entry["id"] == str(address_id)), None)
    if saved is None:
        abort(404)
    return render("address_delete.html", saved=saved, others=len(book) > 1)


@bp.post("/account/addresses/<uuid:address_id>/delete")
def delete_address(address_id: uuid.UUID) -> Response:
    member = member_here()
    check_form()
    saved = _own(member, address_id)
    addresses.delete_address(
        db_session(),
        member.id,
        saved.id,
        actor=request_actor("member", str(member.id)),
        clock=services().clock,
    )
    flash(translate(N_("Address deleted.")))
    return redirect(url_for(".addresses_page"), 303)


@bp.post("/account/addresses/<uuid:address_id>/default")
def default_address(address_id: uuid.UUID) -> Response:
    member = member_here()
    check_form()
    svc = services()
    try:
        addresses.make_default(
            db_session(),
            member.id,
            address_id,
            actor=request_actor("member", str(member.id)),
            clock=svc.clock,
            keyring=svc.keyring,
        )
    except NotFound:
        abort(404)
    flash(translate(N_("This is your default address now.")))
    return redirect(url_for(".addresses_page"), 303)


def _own(member: Member, address_id: uuid.UUID) -> SavedAddressView:
    """One of the member's saved addresses: 404, the same page, for anyone else's."""
    try:
        return addresses.saved_address(db_session(), member.id, address_id, services().keyring)
    except NotFound:
        abort(404)


def _address_id(given: str) -> uuid.UUID:
    try:
        return uuid.UUID(given)
    except ValueError:
        abort(400)


def _form(
    saved: SavedAddressView | None, address: dict[str, Any], label: str, problems: dict[str, Any]
) -> str:
    """The form to add an address (`saved` None) or edit one: what it holds or was
    typed, and what is wrong with it."""
    return render(
        "address_form.html",
        saved=saved,
        address=address,
        label=label,
        max_label=MAX_LABEL,
        problems=problems,
    )
