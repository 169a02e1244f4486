"""Upkeep of the job queue itself, deferred by every worker's periodic deferrer (PostgreSQL only:
on SQLite there is no worker to die and no queue to clean).

The database defers each tick's job once, however many workers run.
"""

import logging

from django.conf import settings
from procrastinate.contrib.django import app

logger = logging.getLogger(__name__)

# Finished jobs are kept this long for inspection (`procrastinate` CLI, the admin), then deleted.
KEEP_SUCCEEDED_JOBS_HOURS = 24


@app.periodic(cron=settings.JOBS_STALLED_CHECK_CRON)  # every minute unless configured
@app.task(queue="jobs", name="jobs.retry_stalled_jobs", queueing_lock="jobs.retry_stalled_jobs", pass_context=True)
async def retry_stalled_jobs(context, timestamp):
    """Queue again the running jobs of workers that stopped sending heartbeats (killed with
    `kill -9`, out of memory, their host lost): a dead worker loses no job."""
    stalled = await context.app.job_manager.get_stalled_jobs(seconds_since_heartbeat=settings.JOBS_STALLED_AFTER_SECONDS)
    for job in stalled:
        logger.warning("Retrying job %s (%s): its worker stopped while running it", job.id, job.task_name)
        await context.app.job_manager.retry_job(job)


@app.periodic(cron="17 * * * *")  # hourly
@app.task(queue="jobs", name="jobs.delete_old_jobs", queueing_lock="jobs.delete_old_jobs", pass_context=True)
async def delete_old_jobs(context, timestamp):
    """Delete jobs that succeeded more than a day ago (failed ones stay for inspection): the queue
    stays small although the stalled-job check alone adds a job a minute."""
    await context.app.job_manager.delete_old_jobs(nb_hours=KEEP_SUCCEEDED_JOBS_HOURS)
