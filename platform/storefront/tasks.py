"""The member's tasks (任务中心): what the merchant's earn rules offer them, how often
they have earned each in its period, and where in the mall to do it."""

from __future__ import annotations

from dataclasses import dataclass

from jifen.i18n import N_, Message, translate
from jifen.rules.offers import Offered, offers_for
from jifen.storefront.mall import bp, mall, member_here, render
from jifen.web import db_session, services

# The mall's page for doing what an event kind records; a kind without one (a task the
# merchant's own app records) is done there.
PAGES = {"checkin": ".check_ins", "referral": ".invite", "review": ".my_reviews"}

# How far along a member is, by the offer's period (None: ever).
PROGRESS = {
    None: N_("%(done)s of %(limit)s done"),
    "day": N_("%(done)s of %(limit)s today"),
    "week": N_("%(done)s of %(limit)s this week"),
    "month": N_("%(done)s of %(limit)s this month"),
    "year": N_("%(done)s of %(limit)s this year"),
}


@dataclass(frozen=True)
class Task:
    title: str
    points: int
    progress: str | None
    finished: bool
    page: str | None


@bp.route("/account/tasks")
def tasks() -> str:
    member, svc = member_here(), services()
    offered = offers_for(
        db_session().connection(), mall().id, member.id, svc.rule_types, svc.clock.now()
    )
    return render("tasks.html", tasks=[_task(one) for one in offered])


def _task(offered: Offered) -> Task:
    offer = offered.offer
    label = offer.label
    progress = None
    if offered.done is not None:
        done = min(offered.done, offer.limit or 0)
        progress = translate(PROGRESS[offer.period], {"done": done, "limit": offer.limit})
    return Task(
        title=label.translated() if isinstance(label, Message) else label,
        points=offer.points,
        progress=progress,
        finished=offered.finished,
        page=PAGES.get(offer.event),
    )
