"""Where an authenticated request's CPU goes end to end: py-spy on gunicorn workers under wrk.

    make bench BENCH_ARGS=--keep-db        # once: seeds and keeps the bench databases
    .venv/bin/python -m tools.bench.spy [--seconds 20]

Serves Pivra's /api/leads and the unauthenticated comparison view with Redis configured, loads
each with wrk in turn while py-spy samples the workers (on-CPU samples only), and prints the share
of the workers' request-handling CPU spent under Pivra's key-checking functions. Needs py-spy
(requirements-dev.txt) and permission to read other processes' memory (root, or ptrace allowed).
"""

import argparse
import json
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from . import e2e
from .run import BIG_DB, REDIS_URL, STATE, url

PY_SPY = str(Path(sys.executable).with_name("py-spy"))
# Frames whose samples are the key check's cost; a sample counts under the first one it contains.
FRAMES = [
    ("record last use (an UPDATE once a minute)", "ApiKey.record_use (apikeys/models.py"),
    ("check the format and checksum, HMAC the key", "is_well_formed (apikeys/crypto.py"),
    ("check the format and checksum, HMAC the key", "hash_key (apikeys/crypto.py"),
    ("the key query: key, account and plan", "ApiKeyAuthentication.authenticate (apikeys/authentication.py"),
    ("plan permission", "HasApiAccess.has_permission (apikeys/authentication.py"),
    ("rate-limit count (Redis round trip)", "ApiRateThrottle.allow_request (usage/ratelimit.py"),
]
HANDLER = "WSGIHandler.__call__ (django/core/handlers/wsgi.py"


def shares(collapsed):
    """{label: % of the samples inside Django's handler} from py-spy's raw (collapsed) output."""
    handler, found = 0, dict.fromkeys((label for label, _ in FRAMES), 0)
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if HANDLER not in stack:
            continue
        handler += int(count)
        label = next((label for label, frame in FRAMES if frame in stack), None)
        if label:
            found[label] += int(count)
    return {label: 100 * n / max(handler, 1) for label, n in found.items()}, handler


def profile(server, path, headers, seconds):
    e2e.wrk(server.port, path, headers, seconds=2)  # warm up
    load = threading.Thread(target=e2e.wrk, args=(server.port, path, headers), kwargs={"seconds": seconds + 2})
    load.start()
    with tempfile.NamedTemporaryFile("r", suffix=".txt") as out:
        subprocess.run(
            [PY_SPY, "record", "--pid", str(server.pid), "--subprocesses", "--duration", str(seconds),
             "--rate", "250", "--format", "raw", "--nonblocking", "--output", out.name],
            check=True, capture_output=True,
        )
        load.join()
        return shares(out.read())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20)
    options = parser.parse_args()
    if not STATE.exists():
        raise SystemExit("no kept bench databases: run `make bench BENCH_ARGS=--keep-db` first")
    big = json.loads(STATE.read_text())["big"]
    env = e2e.bench_env(BENCH_DATABASE_URL=url(BIG_DB), BENCH_CACHE_URL=REDIS_URL)
    variants = {
        "Pivra key": ("/api/leads", {"Authorization": f"Bearer {big['key']}"}),
        "no authentication": ("/api/bench/noauth/leads", {"X-Bench-Account": big["account"]}),
    }
    with e2e.gunicorn(env, workers=2) as server:
        results = {name: profile(server, path, headers, options.seconds) for name, (path, headers) in variants.items()}
    print(f"% of gunicorn workers' request CPU (py-spy, {options.seconds} s of wrk each, Redis configured)")
    print(f"{'':42s}" + "".join(f"{name:>20s}" for name in results))
    for label in dict.fromkeys(label for label, _ in FRAMES):
        print(f"{label:42s}" + "".join(f"{found[label]:19.2f}%" for found, _ in results.values()))
    print(f"{'samples in the request handler':42s}" + "".join(f"{n:20d}" for _, n in results.values()))
    print(f"{'total of the rows above':42s}" + "".join(f"{sum(found.values()):19.2f}%" for found, _ in results.values()))
    print("(Redis's own CPU, in its own process, is not in these figures.)")


if __name__ == "__main__":
    main()
