"""Where an authenticated request's time goes: pyinstrument over the in-process auth variants.

    make bench BENCH_ARGS=--keep-db        # once: seeds and keeps the bench databases
    .venv/bin/python -m tools.bench.profile pivra token [--cache] [--requests 1000]

Each variant runs in its own profile (after a warm-up), on the kept databases, and the profiles
print one after the other, so the frames that differ are easy to compare. Needs pyinstrument
(requirements-dev.txt).
"""

import argparse
import json
import os
import sys

from .run import BIG_DB, REDIS_URL, STATE, url


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", nargs="+", choices=["pivra", "token", "no_auth"])
    parser.add_argument("--cache", action="store_true", help="with Redis configured, as in production")
    parser.add_argument("--requests", type=int, default=1000)
    options = parser.parse_args()
    if not STATE.exists():
        raise SystemExit("no kept bench databases: run `make bench BENCH_ARGS=--keep-db` first")
    os.environ.update(BENCH_DATABASE_URL=url(BIG_DB), BENCH_CACHE_URL=REDIS_URL if options.cache else "")
    os.environ["DJANGO_SETTINGS_MODULE"] = "tools.bench.settings"

    from pyinstrument import Profiler

    from . import measure

    requests = {request.name: request for request in measure.auth_variants(json.loads(STATE.read_text())["big"])}
    for name in options.variants:
        request = requests[name]
        for _ in range(200):
            request()
        profiler = Profiler()
        with profiler:
            for _ in range(options.requests):
                request()
        print(f"===== {name}: {options.requests} requests, cache={'Redis' if options.cache else 'none'} =====")
        print(profiler.output_text(unicode=False, color=False, show_all=False, short_mode=False))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
