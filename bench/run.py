"""Pivra's benchmarks: `make bench` (or `.venv/bin/python -m bench.run`). Prints one table.

Creates its own PostgreSQL databases (pivra_bench with 1,000,000 leads, pivra_bench_1k with
1,000), seeds them, measures in-process and end to end, and drops them again. Needs PostgreSQL and
Redis on 127.0.0.1 and `wrk`. Options: --keep-db / --reuse-db (skip seeding on a kept database),
--quick (fewer rounds, for trying the harness). Results also go to bench/results/ as JSON.
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

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
STATE = RESULTS / "state.json"
PG = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
BIG_DB, SMALL_DB = "pivra_bench", "pivra_bench_1k"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")
SWEEP = [("sync", 2, 1), ("sync", 3, 1), ("sync", 4, 1), ("gthread", 2, 4), ("gthread", 3, 2), ("gthread", 4, 2)]
LIST = "/api/leads"
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
    return json.loads(python("-m", "bench.measure", phase, str(STATE), env=env_for(**env, **extra)))


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
    big = json.loads(python("-m", "bench.seed", "big", env=env_for()))
    small = json.loads(python("-m", "bench.seed", "small", env=e2e.bench_env(BENCH_DATABASE_URL=url(SMALL_DB))))
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
                "CONN_HEALTH_CHECKS off": {"BENCH_CONN_HEALTH_CHECKS": "false"},
                "no prepared statements": {"BENCH_PREPARED_STATEMENTS": "false"},
                "no cache configured (embedded default)": {"cache": False}}
    with ExitStack() as stack:
        targets = {}
        for label, extra in variants.items():
            extra = dict(extra)
            cache = extra.pop("cache", True)
            server = stack.enter_context(e2e.gunicorn(env_for(cache=cache, **extra), *best["config"], log=log_file))
            targets[label] = (server, path, headers, cache)
        runs = interleaved_wrk(targets, options.sweep_rounds, options.seconds)
    settings_variants = [{"label": label, **medians(runs[label])} for label in variants]
    for result in settings_variants:
        log(f"  {result['label']}: {result['rps']:.0f} req/s, p99 {result['p99_ms']:.1f} ms, "
            f"{result['cpu_ms']:.1f} CPU ms")
    return {"sweep": results, "best": best, "settings": settings_variants}


def e2e_auth(state, cache, config):
    """A/B interleaved wrk runs on one gunicorn: Pivra against the target's baseline (Token without a
    cache, no authentication with Redis)."""
    variants = {name: v for name, v in e2e_variants(state).items() if name in ("pivra", "no_auth" if cache else "token")}
    with e2e.gunicorn(env_for(cache=cache), *config, log=RESULTS / "gunicorn.log") as server:
        targets = {name: (server, path, headers, cache) for name, (path, headers) in variants.items()}
        runs = interleaved_wrk(targets, options.e2e_rounds, options.e2e_seconds)
        revocation = measure("revoke-e2e", cache=cache, BENCH_PORT=server.port) if cache else None
    summary = {name: medians(results) for name, results in runs.items()}

    def cost_ratio(a, b):
        # Cost per request: the inverse of saturated throughput, and the CPU time per request.
        # Paired by round (a and b ran seconds apart), so drift slower than a round cancels; on a
        # shared 2-core VM one variant's throughput alone swung by 50% between rounds.
        paired = [rb["rps"] / ra["rps"] for ra, rb in zip(runs[a], runs[b])]
        return {"ratio": stats.median(paired), "ci95": stats.median_interval(paired),
                "cpu_ratio": stats.median([ra["cpu_ms"] / rb["cpu_ms"] for ra, rb in zip(runs[a], runs[b])])}

    baseline = "no_auth" if cache else "token"
    return {"summary": summary, "runs": runs, "revocation": revocation,
            f"pivra_vs_{baseline}": cost_ratio("pivra", baseline)}


def table_writes():
    rows = admin_sql("SELECT relname, n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_user_tables", db=BIG_DB)[0]
    return {name: (ins, upd, dele) for name, ins, upd, dele in rows}


def writes(state, cache, config):
    """10 s of load on one key whose last_used_at is due: count UPDATE statements and rows."""
    measure("reset-last-used", cache=cache)
    time.sleep(1)  # the reset's backend has exited and reported its statistics
    before = table_writes()
    write_log = RESULTS / f"writes-{'redis' if cache else 'nocache'}.log"
    write_log.unlink(missing_ok=True)
    path, headers = e2e_variants(state)["pivra"]
    with e2e.gunicorn(env_for(cache=cache, BENCH_WRITE_LOG=write_log), *config, log=RESULTS / "gunicorn.log") as server:
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
    add("Ratios are medians of A/B-interleaved runs, with a 95% bootstrap interval. 'wall': in-process, what a")
    add("client waits; end to end, the inverse of throughput, paired round by round. 'CPU': the CPU time Django,")
    add("PostgreSQL (and Redis) spent per request.")
    add(hr)
    row("", "wall", "CPU", "target")
    row("1. AUTH COST  GET /api/leads (50 a page) on the 1M-lead account")
    na, rd, en, er = r["auth_nocache"], r["auth_redis"], r["e2e_nocache"], r["e2e_redis"]
    t = na["timings"]
    row("  No cache. Pivra key / DRF TokenAuthentication, in-process", wall(na["pivra_vs_token"]),
        cpu(na["pivra_vs_token"]), "<= 1.05x", na["pivra_vs_token"]["ratio"] <= 1.05)
    row(f"    ms: Pivra {ms(t, 'pivra')}, Token {ms(t, 'token')}, no auth {ms(t, 'no_auth')}; "
        f"SQL queries {na['queries']['pivra']}/{na['queries']['token']}/{na['queries']['no_auth']}")
    row(f"  No cache. Pivra key / Token, end to end ({setup}, wrk)", wall(en["pivra_vs_token"]),
        cpu(en["pivra_vs_token"]), "<= 1.05x", en["pivra_vs_token"]["ratio"] <= 1.05)
    sm = en["summary"]
    row(f"    req/s: Pivra {sm['pivra']['rps']:.0f}, Token {sm['token']['rps']:.0f}")
    t = rd["timings"]
    row("  Redis. Pivra key / no authentication, in-process", wall(rd["pivra_vs_no_auth"]),
        cpu(rd["pivra_vs_no_auth"]), "<= 1.10x", rd["pivra_vs_no_auth"]["ratio"] <= 1.10)
    row(f"    ms: Pivra {ms(t, 'pivra')}, no auth {ms(t, 'no_auth')}; SQL queries "
        f"{rd['queries']['pivra']}/{rd['queries']['no_auth']}")
    row(f"  Redis. Pivra key / no authentication, end to end ({setup})", wall(er["pivra_vs_no_auth"]),
        cpu(er["pivra_vs_no_auth"]), "<= 1.10x", er["pivra_vs_no_auth"]["ratio"] <= 1.10)
    sm = er["summary"]
    row(f"    req/s: Pivra {sm['pivra']['rps']:.0f}, no auth {sm['no_auth']['rps']:.0f}")
    rev, rev_e2e = rd["revocation"], er["revocation"]
    row("  Redis. Revoked key refused on the very next request, in-process",
        f"{rev['after_revoke']} {rev['code']}", "", "401", rev["refused"])
    row(f"    (the key was served from the cache before: {rev['key_served_from_cache']})")
    row("  Redis. Same, end to end: revoked in another process",
        f"{rev_e2e['after_401']}/{rev_e2e['requests']} requests 401", "", "all 401", rev_e2e["refused"])
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
    row("3. WRITES  10 s of wrk on one key; its last_used_at falls due 3 s in")
    for label, w in (("No cache", r["writes_nocache"]), ("Redis", r["writes_redis"])):
        row(f"  {label}: {w['requests']:,} requests; key-row UPDATE statements (rows changed)",
            f"{w['key_update_statements']} ({w['key_rows_updated']})", "", "<= 1/minute",
            w["key_update_statements"] <= 1 and w["key_rows_updated"] <= 1)
        row(f"  {label}: any other write: statements / rows (pg_stat)",
            f"{w['other_write_statements']} / {w['other_rows_written']}", "", "0",
            w["other_write_statements"] == 0 and w["other_rows_written"] == 0)
    add(hr)
    q = r["queries"]
    row("4. QUERIES  SQL queries per list request at page_size 5 / 50 / 100 (no cache)")
    for endpoint in ("leads", "conversations", "chatbots", "sources"):
        counts = [q["lists"][endpoint][str(size)] for size in (5, 50, 100)]
        row(f"  /api/{endpoint}", " / ".join(map(str, counts)), "", "constant", len(set(counts)) == 1)
    row("  /api/leads with Redis (the key comes from the cache)", str(rd["queries"]["pivra"]))
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
        log("in-process: authentication, no cache")
        r["auth_nocache"] = measure("auth", options.rounds * 2)
        log("in-process: authentication, Redis")
        r["auth_redis"] = measure("auth", options.rounds * 2, cache=True)
        log("in-process: 1,000,000 vs 1,000 leads")
        r["scale"] = measure("scale", options.rounds // 2, small=True)
        log("end to end: gunicorn worker setups")
        r["throughput"] = throughput_sweep(state)
        config = r["throughput"]["best"]["config"]
        log("end to end: authentication, no cache")
        r["e2e_nocache"] = e2e_auth(state, False, config)
        log("end to end: authentication and revocation, Redis")
        r["e2e_redis"] = e2e_auth(state, True, config)
        log("writes: 10 s of load, no cache")
        r["writes_nocache"] = writes(state, False, config)
        log("writes: 10 s of load, Redis")
        r["writes_redis"] = writes(state, True, config)
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
