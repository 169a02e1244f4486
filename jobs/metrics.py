"""The job queue's depth and failures for /metrics, read from procrastinate's table at each scrape
(PostgreSQL; on SQLite jobs run inline and there is no queue to report)."""

from django.db import DatabaseError
from django.db.models import Count
from prometheus_client.core import GaugeMetricFamily

from .queue import uses_worker


class JobQueueCollector:
    """`pivra_jobs{queue, status}`: jobs by queue and status (todo is the depth, failed the
    failures kept for inspection), as procrastinate's table holds them now."""

    def collect(self):
        family = GaugeMetricFamily("pivra_jobs", "Background jobs by queue and status (todo, doing, failed, …).",
                                   labels=["queue", "status"])
        if uses_worker():
            from procrastinate.contrib.django.models import ProcrastinateJob

            try:
                rows = list(ProcrastinateJob.objects.values("queue_name", "status").annotate(jobs=Count("id")).order_by())
            except DatabaseError:  # the database is down: the rest of the scrape still matters then
                rows = []
            for row in rows:
                family.add_metric([row["queue_name"], row["status"]], row["jobs"])
        yield family
