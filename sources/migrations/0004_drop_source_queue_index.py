from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('sources', '0003_index_ready_sources'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='source',
            name='source_queue',
        ),
    ]
