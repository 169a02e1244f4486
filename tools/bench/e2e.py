"""End-to-end helpers: gunicorn on a loopback port, driven by wrk (Debian's package)."""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import http.client
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
HOST = "127.0.0.1"


def free_port():
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def get(port, path, headers=None, close=False):
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        connection.request("GET", path, headers={**(headers or {}), **({"Connection": "close"} if close else {})})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


class Server:
    def __init__(self, port, pid):
        self.port, self.pid = port, pid

    def worker_pids(self):
        with open(f"/proc/{self.pid}/task/{self.pid}/children") as f:
            return [self.pid, *map(int, f.read().split())]


def cpu_ticks(pids):
    """{pid: user + system clock ticks} of the processes (all their threads) still running."""
    ticks = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            ticks[pid] = int(fields[11]) + int(fields[12])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return ticks


CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_ms_between(before, after):
    return sum(after[pid] - before[pid] for pid in before.keys() & after.keys()) * 1000 / CLOCK_TICKS


@contextmanager
def gunicorn(env, worker_class="sync", workers=3, threads=1, log=None):
    port = free_port()
    args = [GUNICORN, "tools.bench.wsgi:application", "--bind", f"{HOST}:{port}", "--workers", str(workers),
            "--worker-class", worker_class, "--threads", str(threads), "--log-level", "warning",
            "--graceful-timeout", "5", "--no-control-socket"]
    output = open(log, "a") if log else subprocess.DEVNULL
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=output, stderr=output)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if get(port, "/healthz")[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start (see {log})")
            time.sleep(0.2)
        # Every worker imports Django lazily on its first request: warm them all.
        for _ in range(workers * threads * 4):
            get(port, "/healthz", close=True)
        yield Server(port, process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if log:
            output.close()


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text):
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * UNITS[unit]


def wrk(port, path, headers=None, seconds=3, connections=8, threads=1):
    args = ["wrk", "--latency", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "5s"]
    for name, value in (headers or {}).items():
        args += ["-H", f"{name}: {value}"]
    output = subprocess.run([*args, f"http://{HOST}:{port}{path}"], capture_output=True, text=True, check=True).stdout
    result = {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "non_2xx": int(m.group(1)) if (m := re.search(r"Non-2xx or 3xx responses: (\d+)", output)) else 0,
        "errors": bool(re.search(r"Socket errors", output)),
    }
    for percentile in ("50", "90", "99"):
        result[f"p{percentile}_ms"] = _ms(re.search(rf"\s{percentile}%\s+(\S+)", output).group(1))
    if result["non_2xx"] or result["errors"]:
        raise RuntimeError(f"wrk {path}: {result['non_2xx']} non-2xx responses or socket errors:\n{output}")
    return result


def bench_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("BENCH_")}
    env.update({"DJANGO_SETTINGS_MODULE": "tools.bench.settings", "PYTHONPATH": str(ROOT)})
    env.update({k: str(v) for k, v in extra.items() if v is not None})
    return env
