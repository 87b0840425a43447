"""Dead letters end to end: a frame the server cannot process is kept (invariant 7) and can be
listed, shown, replayed and deleted through the API and the `csms dead-letters` CLI."""

import asyncio
import json
import os
import subprocess

import websockets

from test_csms_e2e import Server, csms_binary


def cli(database, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSMS_")}
    return subprocess.run(
        [str(csms_binary()), "dead-letters", *args, "--database", f"sqlite:{database}"],
        capture_output=True, text=True, env=env, timeout=60,
    )


async def send_ignored_frame(url: str) -> None:
    """A 1.6 reply frame without a payload is ignored by the spec (never answered)."""
    async with websockets.connect(url, subprotocols=["ocpp1.6"]) as ws:
        await ws.send('[3,"lost-1"]')
        # A following CALL is still answered, in order, after the ignored frame.
        await ws.send('[2,"b1","BootNotification",{"chargePointVendor":"V","chargePointModel":"M"}]')
        answer = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
        assert answer[0] == 3 and answer[1] == "b1"


def test_ignored_frame_is_kept_listed_replayed_and_deleted(tmp_path):
    database = tmp_path / "data" / "csms.sqlite"
    server = Server(tmp_path, database)
    server.start()
    try:
        asyncio.run(send_ignored_frame(server.url("DLQ-1")))
        status, body = server.api("/api/v1/dead-letters?chargePointId=DLQ-1")
        assert status == 200
        assert [item["reason"] for item in body["items"]] == ["frame_ignored"]
        assert body["items"][0]["rawFrame"] == '[3,"lost-1"]'
        assert body["nextCursor"] is None
        letter_id = body["items"][0]["id"]
    finally:
        assert server.stop() == 0

    listed = cli(database, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(row["id"], row["chargePointId"], row["attempts"]) for row in rows] == [(letter_id, "DLQ-1", 1)]

    replay = cli(database, "replay", str(letter_id))
    assert replay.returncode == 1
    assert "failed again" in replay.stderr
    shown = cli(database, "show", str(letter_id))
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["attempts"] == 2

    assert cli(database, "delete", str(letter_id)).returncode == 0
    missing = cli(database, "show", str(letter_id))
    assert missing.returncode == 1
    assert f"no dead letter {letter_id}" in missing.stderr
