"""The `rq cron` configuration: `rq cron jifen.rq_cron` (exactly one such process).
Each periodic job goes to its lane's queue (`Schedule.lane`)."""

from rq import cron

from jifen.jobs import job_path, run_queued
from jifen.outbox.worker import QUEUES
from jifen.schedules import SCHEDULES

for schedule in SCHEDULES:
    cron.register(
        run_queued,
        QUEUES[schedule.lane],
        args=(job_path(schedule.job),),
        cron=schedule.cron,
        name=schedule.name,
    )
