"""The `rq cron` configuration: `rq cron jifen.rq_cron` (exactly one such process)."""

from rq import cron

from jifen.jobs import QUEUE, job_path, run_queued
from jifen.schedules import SCHEDULES

for schedule in SCHEDULES:
    cron.register(
        run_queued, QUEUE, args=(job_path(schedule.job),), cron=schedule.cron, name=schedule.name
    )
