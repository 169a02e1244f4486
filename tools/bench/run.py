"""Pivra's benchmarks: `make bench` (or `.venv/bin/python -m tools.bench.run`). Prints one table.

Creates its own PostgreSQL databases (pivra_bench with 1,000,000 leads, pivra_bench_1k with
1,000), seeds them, measures in-process and end to end, and drops them again. Needs PostgreSQL and
Redis on 127.0.0.1 and `wrk`. Options: --keep-db / --reuse-db (skip seeding on a kept database),
--quick (fewer rounds, for trying the harness). Results also go to tools/bench/results/ as JSON.
"""

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import psycopg
import redis

from . import e2e, stats

ROOT = Path(__file__).resolve().parents[2]
RESULTS = Path(__file__).resolve().parent / "results"
STATE = RESULTS / "state.json"
PG = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
BIG_DB, SMALL_DB = "pivra_bench", "pivra_bench_1k"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
SWEEP = [("sync", 2, 1), ("sync", 3, 1), ("sync", 4, 1), ("gthread", 2, 4), ("gthread", 3, 2), ("gthread", 4, 2)]
LIST = "/api/leads"
SETTINGS = {"no Redis": False, "Redis": True}
options = None


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def url(db):
    return f"{PG}/{db}"


def admin_sql(*statements, db="postgres"):
    with psycopg.connect(url(db), autocommit=True) as connection:
        results = []
        for statement in statements:
            cursor = connection.execute(statement)
            results.append(cursor.fetchall() if cursor.description else None)
        return results


def env_for(cache=False, small=False, **extra):
    return e2e.bench_env(
        BENCH_DATABASE_URL=url(BIG_DB), BENCH_CACHE_URL=REDIS_URL if cache else "",
        BENCH_SMALL_DATABASE_URL=url(SMALL_DB) if small else None, **extra,
    )


def python(*args, env):
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def measure(phase, rounds=None, **env):
    extra = {"BENCH_ROUNDS": rounds} if rounds else {}
    return json.loads(python("-m", "tools.bench.measure", phase, str(STATE), env=env_for(**env, **extra)))


# -- setup --------------------------------------------------------------------------------------

def preflight():
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")
    admin_sql("SELECT 1")
    redis.Redis.from_url(REDIS_URL).ping()


def create_databases():
    log("creating databases and seeding (about a minute)")
    admin_sql(*(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)" for db in (BIG_DB, SMALL_DB)), f"CREATE DATABASE {BIG_DB}")
    python("manage.py", "migrate", "--no-input", "-v0", env=env_for())
    admin_sql(f"CREATE DATABASE {SMALL_DB} TEMPLATE {BIG_DB}")  # the same migrated schema
    started = time.perf_counter()
    big = json.loads(python("-m", "tools.bench.seed", "big", env=env_for()))
    small = json.loads(python("-m", "tools.bench.seed", "small", env=e2e.bench_env(BENCH_DATABASE_URL=url(SMALL_DB))))
    state = {**big, "small": small["small"], "seed_seconds": round(time.perf_counter() - started, 1)}
    STATE.write_text(json.dumps(state))
    log(f"seeded {big['leads']:,} + {small['leads']:,} leads in {state['seed_seconds']} s "
        f"(COPY {big['timings']['copy']} s, index builds {big['timings']['indexes']} s)")
    return state


def drop_databases():
    admin_sql(*(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)" for db in (BIG_DB, SMALL_DB)))


# -- end-to-end phases --------------------------------------------------------------------------

def bearer(raw):
    return {"Authorization": f"Bearer {raw}"}


def e2e_variants(state):
    big = state["big"]
    return {
        "pivra": (LIST, bearer(big["key"])),
        "token": ("/api/bench/token/leads", {"Authorization": f"Token {big['token']}"}),
        "no_auth": ("/api/bench/noauth/leads", {"X-Bench-Account": big["account"]}),
    }


def backend_pids():
    rows = admin_sql(f"SELECT pid FROM pg_stat_activity WHERE datname = '{BIG_DB}'")[0]
    return [pid for (pid,) in rows]


def redis_pid():
    return redis.Redis.from_url(REDIS_URL).info("server")["process_id"]


def measured_wrk(server, path, headers, seconds, cache):
    """wrk, plus the CPU time gunicorn, PostgreSQL and Redis spent per request: unlike
    throughput, that barely moves when other programs compete for the cores."""
    pids = server.worker_pids() + backend_pids() + ([redis_pid()] if cache else [])
    before = e2e.cpu_ticks(pids)
    result = e2e.wrk(server.port, path, headers, seconds=seconds)
    result["cpu_ms"] = e2e.cpu_ms_between(before, e2e.cpu_ticks(pids)) / result["requests"]
    return result


def interleaved_wrk(targets, rounds, seconds):
    """targets: {name: (server, path, headers, cache)}. wrk runs in rounds, each round in a fresh
    order, so drifting background load hits every target alike. Returns {name: [results]}."""
    runs = {name: [] for name in targets}
    rng = random.Random(len(targets))
    for server, path, headers, _ in targets.values():
        e2e.wrk(server.port, path, headers, seconds=1)
    for _ in range(rounds):
        for name in rng.sample(list(targets), len(targets)):
            server, path, headers, cache = targets[name]
            runs[name].append(measured_wrk(server, path, headers, seconds, cache))
    return runs


def medians(results):
    return {key: statistics.median(r[key] for r in results) for key in ("rps", "p50_ms", "p99_ms", "cpu_ms")}


def throughput_sweep(state):
    """Authenticated GET /api/leads with Redis configured (the production setup): every worker
    setup is started at once (idle ones cost nothing) and the wrk runs are interleaved."""
    path, headers = e2e_variants(state)["pivra"]
    log_file = RESULTS / "gunicorn.log"
    with ExitStack() as stack:
        targets = {}
        for config in SWEEP:
            server = stack.enter_context(e2e.gunicorn(env_for(cache=True), *config, log=log_file))
            targets[config] = (server, path, headers, True)
        runs = interleaved_wrk(targets, options.sweep_rounds, options.seconds)
    results = [{"config": config, **medians(runs[config]), "runs": runs[config]} for config in SWEEP]
    for result in results:
        (worker_class, workers, threads) = result["config"]
        log(f"  {worker_class} {workers}x{threads}: {result['rps']:.0f} req/s, p99 {result['p99_ms']:.1f} ms, "
            f"{result['cpu_ms']:.1f} CPU ms a request")
    best = max(results, key=lambda r: r["rps"])

    variants = {"the recommended settings": {},
                "CONN_MAX_AGE=0 (a new connection per request)": {"BENCH_CONN_MAX_AGE": 0},
                "CONN_HEALTH_CHECKS off": {"BENCH_CONN_HEALTH_CHECKS": "false"}}
    with ExitStack() as stack:
        targets = {}
        for label, extra in variants.items():
            server = stack.enter_context(e2e.gunicorn(env_for(cache=True, **extra), *best["config"], log=log_file))
            targets[label] = (server, path, headers, True)
        runs = interleaved_wrk(targets, options.sweep_rounds, options.seconds)
    settings_variants = [{"label": label, **medians(runs[label])} for label in variants]
    for result in settings_variants:
        log(f"  {result['label']}: {result['rps']:.0f} req/s, p99 {result['p99_ms']:.1f} ms, "
            f"{result['cpu_ms']:.1f} CPU ms")
    return {"sweep": results, "best": best, "settings": settings_variants}


def e2e_auth(state, config):
    """Pivra, Token and no authentication, without and with Redis: two gunicorns side by side (the
    idle one costs nothing), all six targets' wrk runs interleaved round by round."""
    with ExitStack() as stack:
        targets = {}
        for setting, cache in SETTINGS.items():
            server = stack.enter_context(e2e.gunicorn(env_for(cache=cache), *config, log=RESULTS / "gunicorn.log"))
            for name, (path, headers) in e2e_variants(state).items():
                targets[f"{setting} {name}"] = (server, path, headers, cache)
        runs = interleaved_wrk(targets, options.e2e_rounds, options.e2e_seconds)

    def cost_ratio(a, b):
        # Cost per request: the inverse of saturated throughput, and the CPU time per request.
        # Paired by round (a and b ran seconds apart), so drift slower than a round cancels.
        paired = [rb["rps"] / ra["rps"] for ra, rb in zip(runs[a], runs[b])]
        return {"ratio": stats.median(paired), "ci95": stats.median_interval(paired),
                "cpu_ratio": stats.median([ra["cpu_ms"] / rb["cpu_ms"] for ra, rb in zip(runs[a], runs[b])])}

    return {
        "summary": {name: medians(results) for name, results in runs.items()},
        "runs": runs,
        "ratios": {setting: {f"pivra_vs_{b}": cost_ratio(f"{setting} pivra", f"{setting} {b}") for b in ("token", "no_auth")}
                   for setting in SETTINGS},
    }


def table_writes():
    rows = admin_sql("SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables", db=BIG_DB)[0]
    return {name: (ins, upd, dele) for name, ins, upd, dele in rows}


def writes(state, config):
    """10 s of load on one key whose last_used_at is due, Redis configured as in production:
    count UPDATE statements and rows."""
    measure("reset-last-used")
    time.sleep(1)  # the reset's backend has exited and reported its statistics
    before = table_writes()
    write_log = RESULTS / "writes.log"
    write_log.unlink(missing_ok=True)
    path, headers = e2e_variants(state)["pivra"]
    with e2e.gunicorn(env_for(cache=True, BENCH_WRITE_LOG=write_log), *config, log=RESULTS / "gunicorn.log") as server:
        load = e2e.wrk(server.port, path, headers, seconds=10)
    time.sleep(1)  # workers' backends have exited and reported their statistics
    after = table_writes()
    statements = write_log.read_text().splitlines() if write_log.exists() else []
    key_updates = [s for s in statements if s.split()[1:3] == ["UPDATE", "apikeys_apikey"]]
    delta = {t: tuple(a - b for a, b in zip(after[t], before.get(t, (0, 0, 0)), strict=True)) for t in after}
    other_rows = sum(sum(v) for t, v in delta.items() if t != "apikeys_apikey") + sum(
        delta.get("apikeys_apikey", (0, 0, 0))[i] for i in (0, 2))
    return {
        "requests": load["requests"], "rps": load["rps"],
        "key_update_statements": len(key_updates),
        "key_rows_updated": delta.get("apikeys_apikey", (0, 0, 0))[1],
        "other_write_statements": len(statements) - len(key_updates),
        "other_rows_written": other_rows,
    }


# -- the table ----------------------------------------------------------------------------------

def verdict(ok):
    return "MET" if ok else "NOT MET"


def print_table(r):
    lines = []
    add = lines.append
    hr = "-" * 124

    def row(item, measured="", cpu="", target="", ok=None):
        add(f"{item:<62} {measured:<28} {cpu:<10} {target:<12} {'' if ok is None else verdict(ok)}")

    def wall(c):
        interval = f" [{c['ci95'][0]:.3f}-{c['ci95'][1]:.3f}]" if "ci95" in c else ""
        return f"{c['ratio']:.3f}x{interval}"

    def cpu(c):
        return f"{c['cpu_ratio']:.3f}x"

    def ms(timings, name):
        return f"{timings[name]['median_us'] / 1000:.2f}"

    best = r["throughput"]["best"]
    config = best["config"]
    setup = f"gunicorn {config[0]} {config[1]}x{config[2]}"
    add(hr)
    add(f"Pivra benchmarks {time.strftime('%Y-%m-%d %H:%M')} | {os.cpu_count()} cores | load average before/after "
        f"{r['load_before']:.2f}/{r['load_after']:.2f} | {r['state']['leads']:,} leads seeded in "
        f"{r['state']['seed_seconds']} s")
    add("Ratios are medians of A/B-interleaved runs, with a 95% bootstrap interval. In-process, what a client")
    add("waits; end to end, the inverse of throughput, paired round by round. 'CPU': the CPU time Django,")
    add("PostgreSQL (and Redis) spent per request. In-process the three views interleave request by request, without")
    add("Redis, then with it (settings differ); end to end all six interleave, on two gunicorns side by side.")
    add(hr)
    add(f"1. AUTHENTICATION  GET /api/leads (50 a page) on the 1M-lead account; end to end: {setup}, wrk -c 8")
    add(f"{'':40}{'in-process ms':>14}{'CPU ms':>9}{'SQL':>5}{'end to end req/s':>22}{'CPU ms/req':>12}")
    names = {"pivra": "Pivra key", "token": "TokenAuthentication", "no_auth": "no authentication"}
    for setting, phase in (("no Redis", r["auth_nocache"]), ("Redis", r["auth_redis"])):
        t, q = phase["timings"], phase["queries"]
        for name, label in names.items():
            e = r["e2e"]["summary"][f"{setting} {name}"]
            add(f"  {setting:<10}{label:<28}{ms(t, name):>14}{t[name]['cpu_median_us'] / 1000:>9.2f}{q[name]:>5}"
                f"{e['rps']:>22.0f}{e['cpu_ms']:>12.2f}")
        for b in ("token", "no_auth"):
            c, ce = phase[f"pivra_vs_{b}"], r["e2e"]["ratios"][setting][f"pivra_vs_{b}"]
            add(f"  {'':<10}{'Pivra / ' + names[b]:<28}{wall(c):>22} CPU {cpu(c):<8}{wall(ce):>22} CPU {cpu(ce)}")
    add("  The key check alone, in-process (microseconds: median wall, median CPU)")
    for label, setting, name in (
        ("ApiKeyAuthentication().authenticate(): 1 SELECT", "auth_nocache", "authenticate"),
        ("the same with last_used_at due (once a minute): SELECT + UPDATE", "auth_nocache", "authenticate_due"),
        ("of which no query: format, checksum, HMAC", "auth_nocache", "format_and_hmac"),
        ("the throttle's rate-limit count, no Redis (process memory)", "auth_nocache", "rate_limit_count"),
        ("the throttle's rate-limit count, Redis (INCR + EXPIRE pipeline)", "auth_redis", "rate_limit_count"),
    ):
        t = r[setting]["key_check"]["timings"][name]
        add(f"    {label:<70}{t['median_us']:>8.0f}{t['cpu_median_us']:>8.0f}")
    add(hr)
    s = r["scale"]
    row("2. SCALE  1,000,000 leads / 1,000 leads, in-process (ms: 1M vs 1k)")
    for name, label, target in (("first_page", "first page, 50 a page", True),
                                ("page_100", "100th page, 10 a page (the 1k's last)", True),
                                ("chatbot_filter", "?chatbot=, first page", False),
                                ("updated_after", "?updated_after= (the last day)", False),
                                ("email_filter", "?email= (case-insensitive)", False)):
        c = s[name]
        label = f"  {label}: {ms(s['timings'], name + '_1m')} vs {ms(s['timings'], name + '_1k')}"
        row(label, wall(c), cpu(c), "<= 1.25x" if target else "no target", c["ratio"] <= 1.25 if target else None)
    add(hr)
    w = r["writes"]
    # Workers that read the stale value at once may each send the conditional UPDATE; one row changes.
    row("3. WRITES  10 s of wrk on one key, Redis; its last_used_at falls due 3 s in")
    row(f"  {w['requests']:,} requests; key-row UPDATE statements (rows changed)",
        f"{w['key_update_statements']} ({w['key_rows_updated']})", "", "<= 1/minute", w["key_rows_updated"] <= 1)
    row("  any other write: statements / rows (pg_stat)",
        f"{w['other_write_statements']} / {w['other_rows_written']}", "", "0",
        w["other_write_statements"] == 0 and w["other_rows_written"] == 0)
    add(hr)
    q = r["queries"]
    row("4. QUERIES  SQL queries per list request at page_size 5 / 50 / 100 (no Redis)")
    for endpoint in ("leads", "conversations", "chatbots", "sources"):
        counts = [q["lists"][endpoint][str(size)] for size in (5, 50, 100)]
        row(f"  /api/{endpoint}", " / ".join(map(str, counts)), "", "constant", len(set(counts)) == 1)
    s5, s500 = q["security"]["security_5_keys"], q["security"]["security_500_keys"]
    row("  Settings -> Security: queries with 5 keys vs 500 keys + 500 events",
        f"{s5['queries']} vs {s500['queries']}", "", "equal", s5["queries"] == s500["queries"])
    row("  Settings -> Security: render time, 5 vs 500 keys (median)",
        f"{s5['median_ms']:.0f} ms vs {s500['median_ms']:.0f} ms", "", "<= 300 ms", s500["median_ms"] <= 300)
    add(hr)
    row("5. THROUGHPUT  authenticated GET /api/leads, Redis, wrk -c 8", "req/s  p50 ms  p99 ms", "CPU ms/req")
    for result in r["throughput"]["sweep"]:
        worker_class, workers, threads = result["config"]
        chosen = "  chosen" if result["config"] == config else ""
        row(f"  gunicorn {worker_class}, {workers} workers x {threads} threads",
            f"{result['rps']:5.0f} {result['p50_ms']:7.1f} {result['p99_ms']:7.1f}", f"{result['cpu_ms']:.1f}{chosen}")
    for result in r["throughput"]["settings"]:
        row(f"  {setup}, {result['label']}",
            f"{result['rps']:5.0f} {result['p50_ms']:7.1f} {result['p99_ms']:7.1f}", f"{result['cpu_ms']:.1f}")
    add(hr)
    print("\n".join(lines))


def main():
    global options
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep-db", action="store_true", help="keep the bench databases afterwards")
    parser.add_argument("--reuse-db", action="store_true", help="reuse databases kept by --keep-db")
    parser.add_argument("--quick", action="store_true", help="fewer rounds: for trying the harness")
    options = parser.parse_args()
    options.rounds = 150 if options.quick else 1000
    options.e2e_rounds = 3 if options.quick else 60
    options.e2e_seconds = 1
    options.seconds = 1 if options.quick else 3
    options.sweep_rounds = 1 if options.quick else 4

    RESULTS.mkdir(exist_ok=True)
    preflight()
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    if load_before > 1.0:
        log(f"load average {load_before:.1f}: other processes share the CPU; A/B pairs are interleaved so the "
            "ratios stay comparable, but absolute times will be slower")
    state = json.loads(STATE.read_text()) if options.reuse_db else create_databases()
    r = {"state": state, "load_before": load_before}
    try:
        log("in-process: list query counts and the Security page")
        r["queries"] = measure("queries", max(20, options.rounds // 20))
        log("in-process: authentication and the key check, no Redis")
        r["auth_nocache"] = measure("auth", options.rounds * 2)
        log("in-process: authentication and the key check, Redis")
        r["auth_redis"] = measure("auth", options.rounds * 2, cache=True)
        log("in-process: 1,000,000 vs 1,000 leads")
        r["scale"] = measure("scale", options.rounds // 2, small=True)
        log("end to end: gunicorn worker setups")
        r["throughput"] = throughput_sweep(state)
        config = r["throughput"]["best"]["config"]
        log("end to end: authentication, without and with Redis")
        r["e2e"] = e2e_auth(state, config)
        log("writes: 10 s of load")
        r["writes"] = writes(state, config)
    finally:
        if not (options.keep_db or options.reuse_db):
            drop_databases()
    r["load_after"] = os.getloadavg()[0]
    r["seconds"] = round(time.perf_counter() - started)
    (RESULTS / f"results-{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(json.dumps(r, indent=1, default=str))
    print_table(r)
    log(f"done in {r['seconds']} s")


if __name__ == "__main__":
    main()
