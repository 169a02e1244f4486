"""Give every URL source that the old polling worker (`source_worker`, gone) left `pending` or
`processing` its fetch job, so that none waits for ever after the upgrade.

On PostgreSQL the jobs are stored with this migration, for the workers to run; on SQLite they run
inline once it commits, as new sources' jobs do. The task is the current one: a job is a call.
"""

from django.apps import apps as installed_apps
from django.db import migrations


def queue_waiting_url_sources(apps, schema_editor):
    from jobs.queue import defer
    from sources.tasks import fetch_source

    Source = apps.get_model("sources", "Source")
    waiting = Source.objects.filter(type="url", status__in=["pending", "processing"]).order_by("created_at")
    for source_id in waiting.values_list("pk", flat=True):
        defer(fetch_source, source_id=source_id)


class Migration(migrations.Migration):
    dependencies = [("sources", "0004_drop_source_queue_index")]
    if installed_apps.is_installed("procrastinate.contrib.django"):  # PostgreSQL: its queue must exist
        dependencies.append(("procrastinate", "0041_post_retry_failed_job"))

    operations = [migrations.RunPython(queue_waiting_url_sources, migrations.RunPython.noop, elidable=True)]
