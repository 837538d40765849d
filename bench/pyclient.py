"""A keep-alive Python load client, for machines without wrk (`--python-client`): one thread
per connection, each request timed with perf_counter. Heavier than wrk (it shares the cores
with the server): its CPU share is reported like wrk's."""

from __future__ import annotations

import http.client
import json
import random
import resource
import threading
import time
from pathlib import Path


def _requests(script: str, path: str, env: dict):
    """The (method, path, headers, body) the Lua script of the same name would send."""
    headers = {"Accept-Language": "zh-hans"}
    if env.get("BENCH_AUTH"):
        headers["Authorization"] = env["BENCH_AUTH"]
    if env.get("BENCH_COOKIE"):
        headers["Cookie"] = env["BENCH_COOKIE"]
    if script == "get.lua":
        while True:
            yield "GET", path, headers, None
    elif script == "intake.lua":
        headers["Content-Type"] = "application/json"
        n = 0
        while True:
            n += 1
            body = {
                "channel": random.choice(["visit", "phone", "letter", "outreach"]),
                "category": random.choice(["infrastructure", "other", "social_security", "land"]),
                "region": env["BENCH_REGION"],
                "title": f"村道损毁需修复 {n}",
                "content": "村民反映通组公路路面塌陷，雨天无法通行，请求尽快修复。",
                "complainant_name": "王明华",
                "complainant_phone": f"139{random.randrange(10**8):08d}",
            }
            yield "POST", path, headers, json.dumps(body, ensure_ascii=False).encode()
    elif script == "lookup.lua":
        headers["Content-Type"] = "application/json"
        pairs = [line.split() for line in Path(env["BENCH_LOOKUP_FILE"]).read_text().splitlines()]
        i = random.randrange(len(pairs))
        while True:
            i = (i + 1) % len(pairs)
            yield (
                "POST",
                path,
                headers,
                json.dumps({"tracking_number": pairs[i][0], "query_code": pairs[i][1]}).encode(),
            )
    else:
        raise ValueError(script)


def run(script: str, host: str, path: str, *, connections: int, seconds: int, env: dict) -> dict:
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker():
        conn = http.client.HTTPConnection(host, timeout=10)
        mine, bad = [], 0
        for method, url, headers, body in _requests(script, path, env):
            if time.monotonic() >= stop:
                break
            started = time.perf_counter()
            try:
                conn.request(method, url, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status >= 400:
                    bad += 1
            except OSError:
                bad += 1
                conn.close()
                conn = http.client.HTTPConnection(host, timeout=10)
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    latencies.sort()

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p / 100 * len(latencies)))] * 1000 if latencies else 0.0

    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {
        "requests": len(latencies),
        "seconds": round(elapsed, 3),
        "rps": len(latencies) / elapsed,
        "p50_ms": pct(50),
        "p95_ms": pct(95),
        "p99_ms": pct(99),
        "max_ms": latencies[-1] * 1000 if latencies else 0.0,
        "errors_status": errors[0],
        "client_cpu_share": round(cpu / elapsed, 3),
    }
