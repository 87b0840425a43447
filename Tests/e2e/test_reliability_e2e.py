"""Reliability end to end: per-station rate limits (a flooding station is refused, then
disconnected with 1008, while another station is served normally)."""

import asyncio
import json

import websockets

from test_csms_e2e import Server

BOOT = '[2,"boot","BootNotification",{"chargePointVendor":"V","chargePointModel":"M"}]'


async def flood_and_watch(server: Server) -> None:
    async with websockets.connect(server.url("FLOOD-1"), subprotocols=["ocpp1.6"]) as flooder, \
            websockets.connect(server.url("CALM-1"), subprotocols=["ocpp1.6"]) as calm:
        for ws in (flooder, calm):
            await ws.send(BOOT)
            assert json.loads(await asyncio.wait_for(ws.recv(), timeout=10))[2]["status"] == "Accepted"
        # 300 heartbeats without waiting for answers.
        for n in range(300):
            try:
                await flooder.send(f'[2,"hb{n}","Heartbeat",{{}}]')
            except websockets.ConnectionClosed:
                break
        answers = []
        try:
            while True:
                answers.append(json.loads(await asyncio.wait_for(flooder.recv(), timeout=10)))
        except websockets.ConnectionClosed as closed:
            assert closed.rcvd is not None and closed.rcvd.code == 1008, closed
        refused = [a for a in answers if a[0] == 4]
        assert refused, "some heartbeats must be refused"
        assert all(a[2] == "GenericError" and "rate limit" in a[3] for a in refused)
        assert answers[0][0] == 3, "the first messages fit the burst"
        # The calm station is still served at once.
        await calm.send('[2,"c1","Heartbeat",{}]')
        answer = json.loads(await asyncio.wait_for(calm.recv(), timeout=5))
        assert answer[0] == 3 and "currentTime" in answer[2]


def test_flooding_station_is_refused_then_disconnected(tmp_path):
    server = Server(
        tmp_path, tmp_path / "data" / "csms.sqlite",
        extra_args=("--set", "rateLimit.rate=5", "--set", "rateLimit.burst=10",
                    "--set", "rateLimit.disconnectAfter=50"),
    )
    server.start()
    try:
        asyncio.run(flood_and_watch(server))
        events = [line for line in server.log_lines()
                  if line.get("metadata", {}).get("security_event") == "flooding"]
        assert events and events[0]["metadata"]["ocpp.charge_point_id"] == "FLOOD-1"
    finally:
        assert server.stop() == 0
