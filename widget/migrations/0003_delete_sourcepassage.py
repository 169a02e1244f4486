"""Passages live in the sources app now (sources.0002), built there by sources.0003 first.

Only the model goes: its table stays for the workers of the previous release, which still read
and write it during a rolling deploy, and the next release drops it. Its foreign keys go now, so
that its leftover rows never stop this release from deleting a source or a chatbot.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('widget', '0002_passage_search_index'),
        ('sources', '0003_index_ready_sources'),
    ]

    operations = [
        migrations.AlterField(
            model_name='sourcepassage', name='chatbot',
            field=models.ForeignKey(db_constraint=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='chatbots.chatbot'),
        ),
        migrations.AlterField(
            model_name='sourcepassage', name='source',
            field=models.ForeignKey(db_constraint=False, db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='sources.source'),
        ),
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name='SourcePassage')]),
    ]
