"""Observability end to end: Prometheus metrics at /metrics, the per-station message log
through the API and `csms messages tail`."""

import asyncio
import json
import os
import subprocess
import time
import urllib.request

import websockets

from test_csms_e2e import Server, csms_binary


async def boot_and_heartbeat(url: str) -> None:
    async with websockets.connect(url, subprotocols=["ocpp1.6"]) as ws:
        await ws.send('[2,"b1","BootNotification",{"chargePointVendor":"V","chargePointModel":"M"}]')
        assert json.loads(await asyncio.wait_for(ws.recv(), timeout=10))[0] == 3
        await ws.send('[2,"h1","Heartbeat",{}]')
        assert json.loads(await asyncio.wait_for(ws.recv(), timeout=10))[0] == 3


def test_metrics_and_message_log(tmp_path):
    database = tmp_path / "data" / "csms.sqlite"
    server = Server(tmp_path, database)
    server.start()
    try:
        asyncio.run(boot_and_heartbeat(server.url("OBS-1")))
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/metrics", timeout=10) as response:
            text = response.read().decode()
        assert 'ocpp_messages_received{version="1.6",action="Heartbeat",frame_type="call"} 1' in text
        assert "process_resident_memory_bytes" in text

        deadline = time.monotonic() + 10
        items = []
        while time.monotonic() < deadline:
            status, body = server.api("/api/v1/charge-points/OBS-1/messages")
            assert status == 200
            items = body["items"]
            if len(items) == 4:
                break
            time.sleep(0.1)
        assert [(i["direction"], i["messageType"], i["action"], i["messageId"]) for i in items] == [
            ("in", 2, "BootNotification", "b1"), ("out", 3, "BootNotification", "b1"),
            ("in", 2, "Heartbeat", "h1"), ("out", 3, "Heartbeat", "h1"),
        ]
        assert items[1]["processingMicros"] is not None and items[0]["payload"] is None
        status, only = server.api("/api/v1/charge-points/OBS-1/messages?action=Heartbeat&limit=1")
        assert [i["messageId"] for i in only["items"]] == ["h1"] and only["nextCursor"] is not None
    finally:
        assert server.stop() == 0

    env = {k: v for k, v in os.environ.items() if not k.startswith("CSMS_")}
    tail = subprocess.run(
        [str(csms_binary()), "messages", "tail", "OBS-1", "-n", "2", "--json", "--database", f"sqlite:{database}"],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert tail.returncode == 0, tail.stderr
    rows = [json.loads(line) for line in tail.stdout.splitlines()]
    assert [(r["direction"], r["messageId"]) for r in rows] == [("in", "h1"), ("out", "h1")]
