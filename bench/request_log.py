"""Benchmark: what the request log costs a worker, on the warm public feed.

Run from the repository root (PYTHONPATH=src):

    python bench/request_log.py [--duration 5] [--rounds 3]

It makes a SQLite demo database in a temporary folder and starts, on free ports of
127.0.0.1, one worker each of

  * `programmes serve --demo --no-access-log`   (no log: the ceiling),
  * `programmes serve --demo`                   (the request log, written to a file),
  * the same app under uvicorn's own access log (as `programmes serve` ran before the
    request log; for comparison),

warms `/feeds/public.ics` on each, and runs `wrk -t2 -c64` against each in interleaved
rounds (the machine is shared and its load drifts). It prints the median req/s of each,
the ratio of each to the run without a log (median of the rounds' ratios, with their
spread), the server's CPU time per request (steadier than throughput on a shared machine),
and checks that the request log wrote one line per request.

Target (docs/performance.md): the request log costs at most 10 % of throughput, so
"request log / no log" >= 90 %. Needs `wrk` (apt-get install wrk). Everything it starts is
stopped at the end; the temporary folder is removed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import httpx

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(BENCH))

from feeds import FEED, SECRET, Load, Server, free_port, median_load, start, wrk  # noqa: E402

#: The app as `programmes serve` ran it before the request log: uvicorn's access log.
UVICORN_ACCESS_LOG = (
    "import sys, uvicorn\n"
    "from programmes.logging_config import uvicorn_log_config\n"
    "uvicorn.run('programmes.asgi:app_from_environment', factory=True, host='127.0.0.1',\n"
    "    port=int(sys.argv[1]), loop='uvloop', http='httptools',\n"
    "    log_config=uvicorn_log_config(), access_log=True)\n"
)
VARIANTS = ("no log", "request log", "uvicorn's access log")


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def commands(port: int, variant: str) -> list[str]:
    serve = [sys.executable, "-m", "programmes.cli", "serve", "--demo", "--port", str(port)]
    if variant == "no log":
        return [*serve, "--no-access-log"]
    if variant == "request log":
        return serve
    return [sys.executable, "-c", UVICORN_ACCESS_LOG, str(port)]


async def run(args: argparse.Namespace, work: Path) -> None:
    env = {
        **os.environ,
        "PROGRAMMES_ENV": "development",
        "PROGRAMMES_DATABASE_URL": f"sqlite:///{work}/demo.sqlite",
        "PROGRAMMES_SECRET_KEY": SECRET,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(BENCH)]),
    }
    servers: dict[str, Server] = {}
    ports: dict[str, int] = {}
    try:
        for variant in VARIANTS:  # one after the other: the first loads the demo data
            ports[variant] = port = free_port()
            servers[variant] = await start(commands(port, variant), env, work, port)
            async with httpx.AsyncClient(base_url=servers[variant].base, timeout=60) as http:
                for _ in range(5):
                    (await http.get(FEED)).raise_for_status()
        loads: dict[str, list[Load]] = {variant: [] for variant in VARIANTS}
        cpu: dict[str, list[float]] = {variant: [] for variant in VARIANTS}
        for _ in range(args.rounds):
            for variant in VARIANTS:
                before = cpu_seconds(servers[variant].process.pid)
                load = await wrk(servers[variant].base + FEED, duration=args.duration)
                used = cpu_seconds(servers[variant].process.pid) - before
                loads[variant].append(load)
                cpu[variant].append(used / (load.rps * args.duration) * 1e6)
    finally:
        for server in servers.values():
            server.stop()

    print(f"warm {FEED} of the demo data, one worker each")
    print(f"wrk -t2 -c64 -d{args.duration}s; medians of {args.rounds} interleaved rounds")
    print("1. throughput")
    for variant in VARIANTS:
        load = median_load(loads[variant])
        if variant == "no log":
            print(f"   {variant:<22}{load}")
            continue
        ratios = [
            ours.rps / ceiling.rps
            for ours, ceiling in zip(loads[variant], loads["no log"], strict=True)
        ]
        target = "  (>= 90 %)" if variant == "request log" else ""
        print(
            f"   {variant:<22}{load}    / no log {statistics.median(ratios):5.0%}{target}  "
            f"rounds {min(ratios):.0%}-{max(ratios):.0%}"
        )
    # CPU time per request of the server process (its threads included) does not depend on
    # what else the shared machine runs, so it shows the cost when throughput is noisy.
    print("2. server CPU per request (the log's thread included)")
    for variant in VARIANTS:
        micros = statistics.median(cpu[variant])
        ceiling = statistics.median(cpu["no log"])
        extra = "" if variant == "no log" else f"    no log / this {ceiling / micros:5.0%}"
        spread = f"rounds {min(cpu[variant]):.0f}-{max(cpu[variant]):.0f} µs"
        print(f"   {variant:<22}{micros:9.0f} µs{extra}    {spread}")
    logged = (work / f"server-{ports['request log']}.log").read_text(errors="replace")
    lines = len(re.findall(rf"GET {re.escape(FEED)} 200 ", logged))
    print(f"   request log lines written: {lines} (warm-up and wrk requests of that server)")
    if lines < sum(load.rps for load in loads["request log"]) * args.duration * 0.9:
        raise SystemExit("the request log did not write a line per request")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved wrk rounds")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench/request_log.py needs wrk: apt-get install -y wrk")
    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} CPUs, load {load:.2f}; python {sys.version.split()[0]}")
    work = Path(tempfile.mkdtemp(prefix="request-log-bench-"))
    try:
        asyncio.run(run(args, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
