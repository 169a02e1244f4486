"""Passages live in the sources app now (sources.0002), built there by sources.0003 first."""

from django.contrib.postgres.indexes import GinIndex
from django.db import migrations

INDEX = GinIndex(fields=["search_vector"], name="passage_search_vector")


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("widget", "SourcePassage"), INDEX)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("widget", "SourcePassage"), INDEX)


class Migration(migrations.Migration):

    dependencies = [
        ('widget', '0002_passage_search_index'),
        ('sources', '0003_index_ready_sources'),
    ]

    operations = [
        # Dropped before the table, so that migrating backwards recreates it after the table
        # (as widget.0002 did); the old code then rebuilds the passages as visitors ask.
        migrations.RunPython(drop_index, create_index),
        migrations.DeleteModel(
            name='SourcePassage',
        ),
    ]
