"""A GIN index on the passages' tsvectors, on PostgreSQL only (SQLite has no tsvector)."""

from django.contrib.postgres.indexes import GinIndex
from django.db import migrations

INDEX = GinIndex(fields=["search_vector"], name="passage_search_vector")


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("widget", "SourcePassage"), INDEX)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("widget", "SourcePassage"), INDEX)


class Migration(migrations.Migration):
    dependencies = [("widget", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index)]
