"""Operator-command load check (issue #6 benchmark, docs/commands.md "Measured").

Starts `csms serve` (CSMS_BIN, default .build/debug/csms) on a temporary SQLite file, connects
STATIONS simulated 1.6 stations (the `websockets` package; each answers every CALL at once),
then sends COMMANDS ClearCache commands through the API from WORKERS threads, to random
stations, waiting for each answer. Prints the statuses, that every command id is unique and
every CALL reached a station exactly once, the rate and the API latency percentiles.

Usage: .venv/bin/python scripts/bench-commands.py [STATIONS [COMMANDS [WORKERS]]]
"""

import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import websockets

BIN = os.environ.get("CSMS_BIN", os.path.join(os.path.dirname(__file__), "..", ".build", "debug", "csms"))
TOKEN = "bench-token"
STATIONS = int(sys.argv[1]) if len(sys.argv) > 1 else 100
COMMANDS = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
WORKERS = int(sys.argv[3]) if len(sys.argv) > 3 else 32

def main():
    work = tempfile.mkdtemp(prefix="csms-bench-")
    port_file = f"{work}/port"
    if os.path.exists(port_file): os.remove(port_file)
    db = f"{work}/csms-{int(time.time())}.sqlite"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSMS_")}
    env["CSMS_API_TOKEN"] = TOKEN
    proc = subprocess.Popen([BIN, "serve", "--port", "0", "--port-file", port_file, "--database", f"sqlite:{db}",
                             "--unknown-charge-points", "accept", "--log-level", "warning", "--log-format", "json"],
                            env=env, stdout=open(f"{work}/log", "w"), stderr=subprocess.STDOUT)
    try:
        while not (os.path.exists(port_file) and open(port_file).read().strip()): time.sleep(0.05)
        port = int(open(port_file).read())
        asyncio.run(run(port))
        print(f"server log: {work}/log")
    finally:
        proc.terminate(); proc.wait()

def post(port, station):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/charge-points/{station}/commands/ClearCache",
        data=b"{}", method="POST", headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    t = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            status = r.status; body = json.loads(r.read())
    except urllib.error.HTTPError as e:
        status = e.code; body = json.loads(e.read() or b"{}")
    return status, time.perf_counter() - t, body.get("commandId")

async def station(port, name, ready, calls):
    async with websockets.connect(f"ws://127.0.0.1:{port}/ocpp/{name}", subprotocols=["ocpp1.6"]) as ws:
        await ws.send(json.dumps([2, "b", "BootNotification", {"chargePointModel": "B", "chargePointVendor": "B"}]))
        await ws.recv()
        ready.release()
        async for msg in ws:
            f = json.loads(msg)
            if f[0] == 2:
                calls[name] = calls.get(name, 0) + 1
                await ws.send(json.dumps([3, f[1], {"status": "Accepted"}]))

async def run(port):
    ready = asyncio.Semaphore(0); calls = {}
    names = [f"B-{i:04d}" for i in range(STATIONS)]
    tasks = [asyncio.create_task(station(port, n, ready, calls)) for n in names]
    for _ in names: await ready.acquire()
    targets = [random.choice(names) for _ in range(COMMANDS)]
    loop = asyncio.get_running_loop()
    t0 = time.perf_counter()
    with ThreadPoolExecutor(WORKERS) as pool:
        results = await asyncio.gather(*[loop.run_in_executor(pool, post, port, n) for n in targets])
    elapsed = time.perf_counter() - t0
    lat = sorted(r[1] * 1000 for r in results)
    statuses = {}
    for r in results: statuses[r[0]] = statuses.get(r[0], 0) + 1
    ids = [r[2] for r in results]
    q = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))]
    print(f"stations={STATIONS} commands={COMMANDS} workers={WORKERS} statuses={statuses} "
          f"unique_ids={len(set(ids))} calls_seen={sum(calls.values())} elapsed={elapsed:.1f}s "
          f"rate={COMMANDS/elapsed:.0f}/s p50={q(0.5):.1f}ms p99={q(0.99):.1f}ms max={lat[-1]:.1f}ms")
    for t in tasks: t.cancel()

main()
