from django.core.management.base import BaseCommand

from sources.models import Source
from sources.search import index_source


class Command(BaseCommand):
    help = (
        "Rebuild the search passages of every source, or of the sources given. Sources are indexed when "
        "saved; run this if that failed (it is logged, naming the source) or after the splitting changed."
    )

    def add_arguments(self, parser):
        parser.add_argument("source_ids", nargs="*", metavar="source_id", help="Only these sources.")

    def handle(self, *args, source_ids, **options):
        sources = Source.objects.filter(pk__in=source_ids) if source_ids else Source.objects.all()
        pks = list(sources.order_by("created_at").values_list("pk", flat=True))
        for pk in pks:
            index_source(pk)  # a transaction per source: a long run holds no lock for long
        self.stdout.write(f"Indexed {len(pks)} source{'' if len(pks) == 1 else 's'}.")
