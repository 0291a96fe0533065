"""/api/v1/members: the merchant's members, by our id or by their own external id."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView

from jifen.api.auth import READ_DOC, WRITE_DOC, actor, require_scope, secured_blueprint, tenant
from jifen.errors import NotFound
from jifen.members import active_inviter, addresses, cards, merging, schemas
from jifen.members import service as members
from jifen.rules import recording
from jifen.web import db_session, services

# Schemas are passed as instances: webargs builds a class anew on every request.
blp = secured_blueprint(
    "members", __name__, url_prefix="/api/v1/members", description="Members of a merchant."
)


@blp.route("")
class Members(MethodView):
    @blp.doc(**READ_DOC)
    @blp.arguments(schemas.MemberQuery(), location="query")
    @blp.response(200, schemas.MemberPage())
    @require_scope("members:read")
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """List and search members, newest first; `external_id=` looks one up, and
        `origin=code` lists the members the mall made at a code sign-in."""
        svc = services()
        rows, next_cursor = members.search_members(db_session(), keyring=svc.keyring, **query)
        return {"items": [members.view(m, svc.keyring) for m in rows], "next_cursor": next_cursor}

    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.MemberCreate())
    @blp.response(201, schemas.Member())
    @require_scope("members:write")
    def post(self, data: dict[str, Any]) -> members.MemberView:
        """Register a member. `external_id` is the merchant's own user id."""
        svc = services()
        session = db_session()
        member = members.create_member(
            session, tenant().id, data, actor=actor(), clock=svc.clock, keyring=svc.keyring
        )
        recording.emit_registered(
            session, member.id, rule_types=svc.rule_types, actor=actor(), clock=svc.clock
        )
        return member


@blp.route("/<uuid:member_id>")
class MemberById(MethodView):
    @blp.doc(**READ_DOC)
    @blp.response(200, schemas.Member())
    @require_scope("members:read")
    def get(self, member_id: uuid.UUID) -> members.MemberView:
        """A member by our id."""
        return members.view(members.get_member(db_session(), member_id), services().keyring)

    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.MemberUpdate())
    @blp.response(200, schemas.Member())
    @require_scope("members:write")
    def patch(self, changes: dict[str, Any], member_id: uuid.UUID) -> members.MemberView:
        """Change some of a member's fields; null clears an optional one. A member the
        mall made at a code sign-in (origin `code`) becomes yours by being given your
        `external_id`, when you register the person after they joined in the mall. A
        merged member is 409 `member_merged`: change the one it was merged into."""
        svc = services()
        member = members.update_member(
            db_session(), member_id, changes, actor=actor(), clock=svc.clock, keyring=svc.keyring
        )
        return members.view(member, svc.keyring)


@blp.route("/<uuid:member_id>/erasure")
class MemberErasure(MethodView):
    @blp.doc(**WRITE_DOC)
    @blp.response(200, schemas.Member())
    @require_scope("members:write")
    def post(self, member_id: uuid.UUID) -> members.MemberView:
        """Erase the person (PIPL/GDPR): personal data is anonymised, the ledger kept."""
        svc = services()
        member = members.erase_member(db_session(), member_id, actor=actor(), clock=svc.clock)
        return members.view(member, svc.keyring)


@blp.route("/<uuid:member_id>/addresses")
class MemberAddresses(MethodView):
    @blp.doc(**READ_DOC)
    @blp.response(200, schemas.SavedAddressPage())
    @require_scope("members:read")
    def get(self, member_id: uuid.UUID) -> dict[str, Any]:
        """The member's saved addresses, all on one page (at most ten): the default first,
        then the newest first."""
        session = db_session()
        members.get_member(session, member_id)
        book = addresses.book_of(session, member_id, services().keyring)
        return {"items": book, "next_cursor": None}

    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.SavedAddressIn())
    @blp.response(201, schemas.SavedAddress())
    @require_scope("members:write")
    def post(self, data: dict[str, Any], member_id: uuid.UUID) -> addresses.SavedAddressView:
        """Save an address to the member's book, for them to pick when they redeem (in the
        mall, or as `address_id` of POST /orders). The first saved is the default, and
        `is_default` makes this one it. An eleventh is 409 `address_book_full`."""
        svc = services()
        return addresses.add(
            db_session(),
            member_id,
            data["address"],
            label=data["label"],
            make_default=data["is_default"],
            actor=actor(),
            clock=svc.clock,
            keyring=svc.keyring,
        )


@blp.route("/<uuid:member_id>/addresses/<uuid:address_id>")
class MemberAddressById(MethodView):
    @blp.doc(**WRITE_DOC)
    @blp.response(204)
    @require_scope("members:write")
    def delete(self, member_id: uuid.UUID, address_id: uuid.UUID) -> None:
        """Delete a saved address (another member's is 404). Deleting the default makes
        the newest remaining one the default."""
        addresses.delete_address(
            db_session(), member_id, address_id, actor=actor(), clock=services().clock
        )


@blp.route("/<uuid:member_id>:merge")
class MergeMember(MethodView):
    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.MergeIn())
    @blp.response(200, schemas.Member())
    @require_scope("members:write")
    def post(self, data: dict[str, Any], member_id: uuid.UUID) -> members.MemberView:
        """Merge a member the mall made at a code sign-in (origin `code`, no
        `external_id`) into yours (`into_id`, or your `into_external_id`), once your
        system has registered the person: their points (each with its own earning date
        and expiry, held and pending points and debt too), orders, coupons, check-ins,
        invitations, notice choices, tags and signed-in browsers become that member's. The
        answer is the merged member: status `merged`, `merged_into` the other; its id
        keeps saying so. Merging it again into the same member changes nothing.
        Refused: into itself (422 `merge_into_itself`), a member that is not one the
        mall made or has your id already (409 `not_code_made`), a frozen or erased one
        on either side (409 `member_not_active`), a member already merged elsewhere
        (409 `member_merged`), into a merged one (409 `target_merged`); a member of
        another merchant is 404 like a missing one."""
        svc, session = services(), db_session()
        into_id = data.get("into_id") or members.by_external_id(session, data["into_external_id"])
        member = merging.merge(session, member_id, into_id, actor=actor(), clock=svc.clock)
        return members.view(member, svc.keyring)


@blp.route("/card-codes:redeem")
class CardCodes(MethodView):
    @blp.doc(**WRITE_DOC)
    @blp.arguments(schemas.CardCodeIn())
    @blp.response(200, schemas.Member())
    @require_scope("members:write")
    def post(self, data: dict[str, Any]) -> members.MemberView:
        """The member whose card a point of sale scanned: the 18-digit code under the QR
        code and barcode the member's mall shows. A code lives a minute and is good once:
        an unknown, expired or used one is 422 `member_card_refused`. Then post the
        purchase as an event for this member (`POST /events`)."""
        svc = services()
        member = cards.redeem(
            db_session(), data["code"], actor=actor(), clock=svc.clock, keyring=svc.keyring
        )
        return members.view(member, svc.keyring)


@blp.route("/invite-codes/<string:invite_code>")
class InviteCodes(MethodView):
    @blp.doc(**READ_DOC)
    @blp.response(200, schemas.Member())
    @require_scope("members:read")
    def get(self, invite_code: str) -> members.MemberView:
        """The member who invited a friend: the code in their invite link
        (`/m/<slug>/invite/<invite_code>`), which your app reads when the friend registers with
        you; then post a `referral` event naming the inviter. A code of a member merged
        into another names that one; a code that is not one of your active members' is
        404."""
        svc = services()
        inviter = active_inviter(db_session(), svc.keyring, tenant().id, invite_code)
        if inviter is None:
            raise NotFound("invite_code", invite_code)
        return members.view(inviter, svc.keyring)
