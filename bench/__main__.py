"""`python -m bench`: generate the province (or reuse it), serve it with gunicorn, run the
workloads W1–W6, write bench/results/. See bench/README.md."""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

from bench import env

PY = sys.executable
LUA = env.BENCH / "lua"

# (workload key, what, target test, unit) — the "done when".
TARGETS = {
    "w1_intake_1": ("p95_ms", "<", 18),
    "w1_intake_4": ("rps", ">=", 225),
    "w2_queue_api": ("p95_ms", "<", 30),
    "w2_queue_html": ("p95_ms", "<", 30),
    "w3_lookup": ("p95_ms", "<", 14),
    "w5_summary_county": ("p95_ms", "<", 100),
    "w5_summary_province": ("p95_ms", "<", 300),
}


def log(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", flush=True)


def psql(sql: str, db: str = "postgres", *, check: bool = True) -> str:
    out = subprocess.run(
        ["psql", "-h", env.PG_HOST, "-p", env.PG_PORT, "-U", env.PG_USER, "-d", db, "-tAX", "-c", sql],
        capture_output=True,
        text=True,
    )
    if check and out.returncode != 0:
        raise RuntimeError(f"psql failed: {out.stderr.strip()}")
    return out.stdout.strip()


def manage(*args: str, db: str = env.DB_NAME) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=env.ROOT, env=env.django_env(db), check=True)


def generated_cases() -> int | None:
    """The --cases the existing benchmark database was generated with (None: none usable)."""
    exists = psql(f"SELECT 1 FROM pg_database WHERE datname = '{env.DB_NAME}'")
    if not exists:
        return None
    value = psql("SELECT value FROM bench_meta WHERE key = 'cases'", env.DB_NAME, check=False)
    return int(value) if value.isdigit() else None


# --- Generation ------------------------------------------------------------------------------


def generate(cases: int) -> float:
    import psycopg2

    started = time.monotonic()
    log(f"generating a province with {cases:,} cases into {env.DB_NAME}")
    psql(f"DROP DATABASE IF EXISTS {env.DB_NAME} WITH (FORCE)")
    psql(f"CREATE DATABASE {env.DB_NAME}")
    manage("migrate", "--noinput", "-v", "0")
    from bench.generate import generate as run_generate

    conn = psycopg2.connect(host=env.PG_HOST, port=env.PG_PORT, user=env.PG_USER, dbname=env.DB_NAME)
    try:
        run_generate(conn, cases=cases)
    finally:
        conn.close()
    seconds = time.monotonic() - started
    log(f"generated in {seconds:.0f} s")
    return seconds


def fixtures() -> dict:
    code = "import django; django.setup(); from bench import fixtures; fixtures.build(); fixtures.check_lookup()"
    subprocess.run([PY, "-c", code], cwd=env.ROOT, env=env.django_env(), check=True)
    return json.loads((env.FIXTURES / "fixtures.json").read_text())


# --- The server ------------------------------------------------------------------------------


class Server:
    """gunicorn with 2 sync workers, production-like settings (DEBUG off, Redis cache)."""

    def __init__(self, workers: int = 2) -> None:
        self.workers = workers
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        manage("collectstatic", "--noinput", "-v", "0")
        flush_redis()
        log_file = open(env.VAR / "gunicorn.log", "w")  # noqa: SIM115 - kept open while the server runs
        self.proc = subprocess.Popen(
            [
                str(Path(PY).parent / "gunicorn"),
                "config.wsgi",
                "--workers",
                str(self.workers),
                "--bind",
                f"127.0.0.1:{env.PORT}",
                "--keep-alive",
                "30",
            ],
            cwd=env.ROOT,
            env=env.django_env(),
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{env.PORT}/healthz", timeout=2)
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not come up: see bench/var/gunicorn.log")

    def worker_pids(self) -> list[int]:
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout
        return [int(pid) for pid in out.split()]

    def worker_memory(self) -> dict:
        """Peak and current resident memory of each web worker (VmHWM / VmRSS), in MiB."""
        workers = []
        for pid in self.worker_pids():
            status = Path(f"/proc/{pid}/status").read_text()
            fields = {line.split(":")[0]: line.split()[1:2] for line in status.splitlines() if ":" in line}
            workers.append(
                {"pid": pid, "peak_mib": int(fields["VmHWM"][0]) / 1024, "rss_mib": int(fields["VmRSS"][0]) / 1024}
            )
        return {"workers": workers, "peak_mib": max(w["peak_mib"] for w in workers)}

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=30)


def flush_redis() -> None:
    """Empty the benchmark's Redis database: rate-limit counters start at zero."""
    import redis

    redis.Redis.from_url(env.REDIS_URL).flushdb()


# --- The load client ---------------------------------------------------------------------------


def ensure_wrk() -> str | None:
    path = shutil.which("wrk")
    if path:
        return path
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("installing wrk (apt-get install -y wrk)")
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], capture_output=True)
        return shutil.which("wrk")
    return None


def run_wrk(script: str, path: str, *, connections: int, seconds: int, extra_env: dict) -> dict:
    threads = min(connections, 2)
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA / script),
        f"http://127.0.0.1:{env.PORT}{path}",
    ]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load = os.getloadavg()[0]
    out = subprocess.run(
        command, capture_output=True, text=True, env={**os.environ, "BENCH_LUA": str(LUA), **extra_env}
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    lines = [line for line in out.stdout.splitlines() if line.startswith("BENCH ")]
    if not lines:
        raise RuntimeError(f"wrk gave no figures: {out.stdout}\n{out.stderr}")
    figures = json.loads(lines[-1][6:])
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    figures["client_cpu_share"] = round(cpu / figures["seconds"], 3)  # of one core
    figures["load_1m_before"] = load
    return figures


def run_python_client(script: str, path: str, *, connections: int, seconds: int, extra_env: dict) -> dict:
    from bench.pyclient import run

    load = os.getloadavg()[0]
    figures = run(script, f"127.0.0.1:{env.PORT}", path, connections=connections, seconds=seconds, env=extra_env)
    figures["load_1m_before"] = load
    return figures


def repeat(client, runs: int, *args, **kwargs) -> dict:
    """The workload `runs` times; each figure the median of the runs (all runs kept)."""
    results = [client(*args, **kwargs) for _ in range(runs)]
    keys = ["rps", "p50_ms", "p95_ms", "p99_ms"]
    median = {key: round(statistics.median(r[key] for r in results), 2) for key in keys}
    median["errors"] = sum(
        r.get(k, 0)
        for r in results
        for k in ("errors_connect", "errors_read", "errors_write", "errors_status", "errors_timeout")
    )
    median["requests"] = sum(r["requests"] for r in results)
    median["client_cpu_share"] = round(statistics.median(r.get("client_cpu_share", 0) for r in results), 3)
    median["runs"] = results
    return median


def workloads(fx: dict, client, *, runs: int, seconds: int) -> dict:
    tokens = fx["tokens"]
    results = {}

    def go(key: str, label: str, script: str, path: str, connections: int, extra: dict) -> None:
        client(script, path, connections=connections, seconds=2, extra_env=extra)  # warm-up
        results[key] = repeat(client, runs, script, path, connections=connections, seconds=seconds, extra_env=extra)
        r = results[key]
        log(
            f"{label}: {r['rps']:.0f} req/s, p50 {r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms, "
            f"p99 {r['p99_ms']:.1f} ms, errors {r['errors']}"
        )

    intake = {"BENCH_AUTH": f"Token {tokens['clerk']}", "BENCH_REGION": fx["village"]}
    go("w1_intake_1", "W1 intake, 1 client", "intake.lua", "/api/v1/petitions/", 1, intake)
    go("w1_intake_4", "W1 intake, 4 clients", "intake.lua", "/api/v1/petitions/", 4, intake)
    queue = f"?region={fx['township']}&open=true"
    staff = {"BENCH_AUTH": f"Token {tokens['county_supervisor']}"}
    go("w2_queue_api", "W2 queue, API", "get.lua", f"/api/v1/petitions/{queue}", 2, staff)
    go("w2_queue_html", "W2 queue, HTML", "get.lua", f"/staff/cases/{queue}", 2, {"BENCH_COOKIE": fx["session_cookie"]})
    flush_redis()  # the lookup's rate-limit counters start at zero
    go("w3_lookup", "W3 lookup", "lookup.lua", "/api/v1/public/lookup/", 2, {"BENCH_LOOKUP_FILE": fx["lookup_file"]})
    go("w5_summary_county", "W5 summary, county", "get.lua", f"/api/v1/stats/summary/?region={fx['county']}", 2, staff)
    province = {"BENCH_AUTH": f"Token {tokens['province_supervisor']}"}
    go(
        "w5_summary_province",
        "W5 summary, province",
        "get.lua",
        f"/api/v1/stats/summary/?region={fx['province']}",
        2,
        province,
    )
    return results


# --- W4: the escalation sweep ---------------------------------------------------------------------


def escalation(target: int, timeout: int) -> dict:
    """Clone the province, make `target` open cases overdue in the clone (keeping each case's
    deadline fields consistent), run the sweep as its own process, drop the clone."""
    clone = f"test_{env.DB_NAME}_w4"
    psql(f"DROP DATABASE IF EXISTS {clone} WITH (FORCE)")
    log(f"W4: cloning {env.DB_NAME} into {clone}")
    psql(f"CREATE DATABASE {clone} TEMPLATE {env.DB_NAME}")
    try:
        already = int(
            psql(
                "SELECT count(*) FROM petitions_petition WHERE status IN ('registered','accepted','in_progress',"
                "'under_review') AND current_due_at < now()",
                clone,
            )
        )
        psql(
            f"""
            WITH pick AS (
              SELECT id FROM petitions_petition
              WHERE status IN ('registered','accepted','in_progress','under_review') AND current_due_at >= now()
              ORDER BY md5(id::text) LIMIT {max(target - already, 0)})
            UPDATE petitions_petition p SET
              current_due_at = now() - interval '1 hour' - interval '10 days' * ((p.id % 97) / 97.0),
              acceptance_due_at = CASE WHEN p.status = 'registered'
                                  THEN now() - interval '1 hour' - interval '10 days' * ((p.id % 97) / 97.0)
                                  ELSE p.acceptance_due_at END,
              due_at = CASE WHEN p.status IN ('accepted', 'in_progress')
                       THEN now() - interval '1 hour' - interval '10 days' * ((p.id % 97) / 97.0) ELSE p.due_at END
            FROM pick WHERE p.id = pick.id;
            """,
            clone,
        )
        psql("VACUUM ANALYZE petitions_petition", clone)
        overdue = int(
            psql(
                "SELECT count(*) FROM petitions_petition WHERE status IN ('registered','accepted','in_progress',"
                "'under_review') AND current_due_at < now()",
                clone,
            )
        )
        log(f"W4: {overdue:,} overdue cases; sweeping")
        started = time.monotonic()
        proc = subprocess.Popen(
            [PY, "-m", "bench.sweep"], cwd=env.ROOT, env=env.django_env(clone), stdout=subprocess.PIPE, text=True
        )
        timed_out = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - started > timeout:
                # Stopped at the limit: what it escalated so far is committed and counted below.
                timed_out = True
                proc.send_signal(signal.SIGTERM)
                _pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.1)
        seconds = time.monotonic() - started
        out = proc.stdout.read()
        escalations = int(psql("SELECT count(DISTINCT petition_id) FROM petitions_escalation", clone))
        if timed_out:
            figures = {"escalated": escalations, "sweep_seconds": None}
        elif status != 0:
            raise RuntimeError(f"the sweep failed ({status}): {out}")
        else:
            figures = json.loads([line for line in out.splitlines() if line.startswith("BENCH ")][-1][6:])
        figures.update(
            timed_out=timed_out,
            timeout_seconds=timeout,
            overdue_before=overdue,
            escalation_rows=escalations,
            process_seconds=round(seconds, 2),
            peak_rss_mib=round(usage.ru_maxrss / 1024, 1),
            cases_per_second=round(figures["escalated"] / seconds, 1) if seconds else None,
        )
        log(f"W4: escalated {figures['escalated']:,} in {seconds:.1f} s, peak {figures['peak_rss_mib']} MiB")
        return figures
    finally:
        psql(f"DROP DATABASE IF EXISTS {clone} WITH (FORCE)")


# --- Results -------------------------------------------------------------------------------------


def machine() -> dict:
    mem = next(line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return {
        "uname": " ".join(platform.uname()),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(int(mem.split()[1]) / 1024 / 1024, 1),
        "postgresql": psql("SHOW server_version"),
        "python": platform.python_version(),
        "wrk": subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0]
        if shutil.which("wrk")
        else None,
    }


def commit() -> dict:
    def git(*args):
        return subprocess.run(["git", *args], cwd=env.ROOT, capture_output=True, text=True).stdout.strip()

    dirty = bool(git("status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench/results"))
    return {"sha": git("rev-parse", "HEAD"), "short": git("rev-parse", "--short", "HEAD"), "dirty": dirty}


def verdicts(results: dict) -> dict:
    out = {}
    for key, (field, op, bound) in TARGETS.items():
        if key in results:
            value = results[key][field]
            out[key] = {
                "value": value,
                "target": f"{field} {op} {bound}",
                "met": value < bound if op == "<" else value >= bound,
            }
    w4 = results.get("w4_escalation")
    if w4:
        scaled = w4["process_seconds"] * 100_000 / max(w4["escalated"], 1)
        out["w4_escalation"] = {
            "value": w4["process_seconds"],
            "escalated": w4["escalated"],
            "target": "100,000 cases < 60 s, peak < 300 MB",
            "met": not w4["timed_out"]
            and w4["escalated"] >= 100_000
            and w4["process_seconds"] < 60
            and w4["peak_rss_mib"] * 1.048576 < 300,
            "seconds_per_100k": round(scaled, 1),
        }
    w6 = results.get("w6_worker_memory")
    if w6:
        out["w6_worker_memory"] = {
            "value": round(w6["peak_mib"], 1),
            "target": "peak RSS < 100 MiB",
            "met": w6["peak_mib"] < 100,
        }
    return out


LABELS = {
    "w1_intake_1": "W1 intake, 1 client",
    "w1_intake_4": "W1 intake, 4 clients",
    "w2_queue_api": "W2 queue (township, open), API",
    "w2_queue_html": "W2 queue (township, open), HTML",
    "w3_lookup": "W3 public lookup",
    "w5_summary_county": "W5 summary, county",
    "w5_summary_province": "W5 summary, province",
}


def markdown(report: dict) -> str:
    m, c, v = report["machine"], report["commit"], report["verdicts"]
    lines = [
        f"# Suqiu benchmark — {report['started_at']}",
        "",
        f"- commit `{c['sha']}`{' (with uncommitted changes)' if c['dirty'] else ''}",
        f"- machine: {m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB; `{m['uname']}`",
        f"- PostgreSQL {m['postgresql']}, Python {m['python']}, client {report['client']}",
        f"- province: {report['cases']:,} generated cases ({report['petitions_now']:,} in the table now); "
        f"{report['runs']} runs × {report['seconds']} s per workload, each figure the median of the runs",
        f"- load average (1 min) at start {report['load_start']:.2f}, at end {report['load_end']:.2f}",
        "",
        "| workload | clients | req/s | p50 ms | p95 ms | p99 ms | errors | target | met |",
        "|---|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    clients = {"w1_intake_1": 1, "w1_intake_4": 4}
    for key, label in LABELS.items():
        r = report["results"].get(key)
        if not r:
            continue
        verdict = v.get(key, {})
        lines.append(
            f"| {label} | {clients.get(key, 2)} | {r['rps']:.1f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | "
            f"{r['p99_ms']:.1f} | {r['errors']} | {verdict.get('target', '')} | "
            f"{'yes' if verdict.get('met') else 'NO'} |"
        )
    w4 = report["results"].get("w4_escalation")
    if w4:
        verdict = v["w4_escalation"]
        lines += [
            "",
            "| W4 escalation sweep | value |",
            "|---|---:|",
            f"| overdue cases before | {w4['overdue_before']:,} |",
            f"| cases escalated | {w4['escalated']:,} |",
            f"| whole process (s) | {w4['process_seconds']} |",
            f"| of which the sweep (s) | {w4['sweep_seconds']} |",
            f"| stopped at the {w4['timeout_seconds']} s limit | {'yes' if w4['timed_out'] else 'no'} |",
            f"| cases/s | {w4['cases_per_second']} |",
            f"| peak memory (MiB) | {w4['peak_rss_mib']} |",
            f"| target: {verdict['target']} | {'met' if verdict['met'] else 'NOT met'} |",
        ]
    w6 = report["results"].get("w6_worker_memory")
    if w6:
        peaks = ", ".join(f"{w['peak_mib']:.1f}" for w in w6["workers"])
        lines += [
            "",
            f"W6: peak RSS of the web workers after the run: {peaks} MiB "
            f"(target < 100 MiB: {'met' if v['w6_worker_memory']['met'] else 'NOT met'}).",
        ]
    if report.get("generation_seconds"):
        lines += ["", f"Generation took {report['generation_seconds']:.0f} s."]
    return "\n".join(lines) + "\n"


def write_results(report: dict) -> Path:
    env.RESULTS.mkdir(parents=True, exist_ok=True)
    stem = f"{datetime.now(UTC):%Y%m%d-%H%M}-{report['commit']['short']}"
    if report["cases"] != 1_000_000:
        stem += f"-{report['cases']}"
    (env.RESULTS / f"{stem}.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    text = markdown(report)
    (env.RESULTS / f"{stem}.md").write_text(text)
    if report["cases"] == 1_000_000:
        (env.RESULTS / "latest.md").write_text(text)
    return env.RESULTS / f"{stem}.md"


# --- The command ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--cases", type=int, default=1_000_000, help="cases to generate (default 1,000,000)")
    parser.add_argument("--regenerate", action="store_true", help="generate again even if the database matches")
    parser.add_argument("--skip-generate", action="store_true", help="use the existing database whatever its size")
    parser.add_argument("--generate-only", action="store_true", help="generate (if needed) and stop")
    parser.add_argument("--runs", type=int, default=3, help="runs per workload; figures are their median")
    parser.add_argument("--seconds", type=int, default=10, help="seconds per run")
    parser.add_argument(
        "--overdue", type=int, default=100_000, help="overdue cases for the W4 sweep (at most the open ones)"
    )
    parser.add_argument(
        "--w4-timeout", type=int, default=300, help="stop the W4 sweep after this many seconds (counted, reported)"
    )
    parser.add_argument("--only", default="", help="comma-separated subset: w1,w2,w3,w4,w5 (w6 always)")
    parser.add_argument("--python-client", action="store_true", help="use the Python load client instead of wrk")
    args = parser.parse_args(argv)

    started_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load_start = os.getloadavg()[0]
    generation = None
    existing = generated_cases()
    if args.skip_generate and existing is None:
        parser.error(f"no generated database {env.DB_NAME} to reuse")
    if args.regenerate or (existing != args.cases and not args.skip_generate):
        generation = generate(args.cases)
    else:
        log(f"reusing {env.DB_NAME} ({existing:,} cases generated)")
    cases = generated_cases()
    manage("migrate", "--noinput", "-v", "0")  # the tree under test may add migrations (indexes)
    if args.generate_only:
        return 0
    fx = fixtures()
    log(f"county {fx['county']}, township {fx['township']} ({fx['township_open_cases']} open cases)")

    wrk = None if args.python_client else ensure_wrk()
    client = (lambda *a, **k: run_wrk(*a, **k)) if wrk else run_python_client
    if not wrk:
        log("wrk not available: using the Python load client (bench/pyclient.py)")
    only = {w.strip() for w in args.only.split(",") if w.strip()}

    server = Server()
    results: dict = {}
    server.start()
    try:
        results = workloads(fx, client, runs=args.runs, seconds=args.seconds) if not only or only - {"w4"} else {}
        if only:
            results = {k: v for k, v in results.items() if k.split("_")[0] in only}
        results["w6_worker_memory"] = server.worker_memory()
        log(f"W6: worker peak RSS {results['w6_worker_memory']['peak_mib']:.1f} MiB")
    finally:
        server.stop()
    petitions_now = int(psql("SELECT count(*) FROM petitions_petition", env.DB_NAME))
    if not only or "w4" in only:
        results["w4_escalation"] = escalation(args.overdue, args.w4_timeout)

    report = {
        "started_at": started_at,
        "commit": commit(),
        "machine": machine(),
        "client": "wrk" if wrk else "python",
        "cases": cases,
        "petitions_now": petitions_now,
        "runs": args.runs,
        "seconds": args.seconds,
        "load_start": load_start,
        "load_end": os.getloadavg()[0],
        "generation_seconds": generation,
        "results": results,
    }
    report["verdicts"] = verdicts(results)
    path = write_results(report)
    print(path.read_text())
    log(f"written {path.relative_to(env.ROOT)} and its .json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
