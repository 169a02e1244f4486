import signal

from django.core.management.base import BaseCommand

from sources.worker import process_pending, run_worker


class Command(BaseCommand):
    help = "Fetch pending URL sources until stopped (SIGTERM or Ctrl-C); with --once, until none are pending."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Process the pending sources, then exit.")

    def handle(self, *args, once, **options):
        if once:
            count = process_pending()
            self.stdout.write(f"Processed {count} source{'' if count == 1 else 's'}.")
            return

        stopping = False

        def stop(signum, frame):
            # Only set a flag: the source being fetched (at most SOURCE_FETCH_TIMEOUT_SECONDS) is
            # finished and saved, so nothing is left `processing` for another worker to redo.
            nonlocal stopping
            stopping = True

        previous = {number: signal.signal(number, stop) for number in (signal.SIGTERM, signal.SIGINT)}
        self.stdout.write("Source worker started; SIGTERM or Ctrl-C stops it.")
        try:
            run_worker(should_stop=lambda: stopping)
        finally:
            for number, handler in previous.items():
                signal.signal(number, handler)
        self.stdout.write("Source worker stopped.")
