"""Builds the passages of every ready source (they were built lazily, in the widget app, before).

Passages are derived data: this uses the historical models with today's `split_passages` and
`search_vector`, and `manage.py reindex_sources` rebuilds them all again at any time.
"""

from django.db import migrations

from sources.search import search_vector, split_passages


def build_passages(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("SET LOCAL statement_timeout = 0")  # one statement fills every vector
    Source = apps.get_model("sources", "Source")
    SourcePassage = apps.get_model("sources", "SourcePassage")
    sources = Source.objects.filter(status="ready").only("pk", "title", "content")
    for source in sources.iterator(chunk_size=100):
        texts = split_passages(source.content) or [""]
        SourcePassage.objects.bulk_create(
            SourcePassage(source=source, position=position, title=source.title, text=text)
            for position, text in enumerate(texts)
        )
    if schema_editor.connection.vendor == "postgresql":
        SourcePassage.objects.update(search_vector=search_vector())


def delete_passages(apps, schema_editor):
    apps.get_model("sources", "SourcePassage").objects.all().delete()


class Migration(migrations.Migration):

    dependencies = [("sources", "0002_source_passages")]

    operations = [migrations.RunPython(build_passages, delete_passages)]
