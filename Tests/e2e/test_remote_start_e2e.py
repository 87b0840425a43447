"""End-to-end tests of remote start/stop that answer with the transaction id (issue #6,
docs/commands.md "Remote start and stop") with the Python `ocpp` package as OCPP 1.6 and 2.0.1
stations against the built `csms` binary.

The stations behave like real ones: they accept the request and then start (or stop) the
transaction with their own StartTransaction / TransactionEvent, sent after the answer.
The idToken `REJECT` makes them reject; `NOSTART` makes them accept and never start.
"""

import asyncio
import json
import urllib.error
import urllib.request
from datetime import datetime, timezone

import websockets
from ocpp.routing import after, on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201

from test_csms_e2e import API_TOKEN, Server


def now() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


def request(server: Server, path: str, body: dict) -> tuple[int, dict]:
    data = json.dumps(body).encode()
    req = urllib.request.Request(
        f"http://127.0.0.1:{server.port}{path}", data=data, method="POST",
        headers={"Authorization": f"Bearer {API_TOKEN}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


async def post(server: Server, station: str, what: str, body: dict) -> tuple[int, dict]:
    return await asyncio.to_thread(request, server, f"/api/v1/charge-points/{station}/{what}", body)


class Station16(ChargePoint16):
    started: list

    @on("RemoteStartTransaction")
    async def on_remote_start(self, id_tag, connector_id=None, **_):
        return result16.RemoteStartTransaction(status="Rejected" if id_tag == "REJECT" else "Accepted")

    @after("RemoteStartTransaction")
    async def start_after_accepting(self, id_tag, connector_id=None, **_):
        if id_tag in ("REJECT", "NOSTART"):
            return
        result = await self.call(call16.StartTransaction(
            connector_id=connector_id or 1, id_tag=id_tag, meter_start=1000, timestamp=now()))
        self.started.append(result.transaction_id)

    @on("RemoteStopTransaction")
    async def on_remote_stop(self, transaction_id, **_):
        return result16.RemoteStopTransaction(status="Accepted")

    @after("RemoteStopTransaction")
    async def stop_after_accepting(self, transaction_id, **_):
        await self.call(call16.StopTransaction(
            transaction_id=transaction_id, meter_stop=4500, timestamp=now(), reason="Remote"))


class Station201(ChargePoint201):
    @on("RequestStartTransaction")
    async def on_request_start(self, id_token, remote_start_id, **_):
        status = "Rejected" if id_token["id_token"] == "REJECT" else "Accepted"
        return result201.RequestStartTransaction(status=status)

    @after("RequestStartTransaction")
    async def start_after_accepting(self, id_token, remote_start_id, evse_id=None, **_):
        if id_token["id_token"] in ("REJECT", "NOSTART"):
            return
        await self.call(call201.TransactionEvent(
            event_type="Started", timestamp=now(), trigger_reason="RemoteStart", seq_no=0,
            transaction_info={"transaction_id": f"PY-{remote_start_id}", "remote_start_id": remote_start_id},
            evse={"id": evse_id or 1, "connector_id": 1}, id_token=id_token))

    @on("RequestStopTransaction")
    async def on_request_stop(self, transaction_id, **_):
        return result201.RequestStopTransaction(status="Accepted")

    @after("RequestStopTransaction")
    async def stop_after_accepting(self, transaction_id, **_):
        await self.call(call201.TransactionEvent(
            event_type="Ended", timestamp=now(), trigger_reason="RemoteStop", seq_no=1,
            transaction_info={"transaction_id": transaction_id, "stopped_reason": "Remote"}))


async def connect(cls, server: Server, charge_point_id: str, subprotocol: str):
    ws = await websockets.connect(server.url(charge_point_id), subprotocols=[subprotocol])
    cp = cls(charge_point_id, ws, response_timeout=10)
    cp.started = []
    reader = asyncio.create_task(cp.start())
    if subprotocol == "ocpp1.6":
        boot = await cp.call(call16.BootNotification(charge_point_model="E2E", charge_point_vendor="PyOCPP"))
    else:
        boot = await cp.call(call201.BootNotification(
            charging_station={"model": "E2E", "vendor_name": "PyOCPP"}, reason="PowerUp"))
    assert boot.status == "Accepted"
    return cp, ws, reader


async def drive_16(server: Server) -> None:
    cp, ws, reader = await connect(Station16, server, "RS-16", "ocpp1.6")
    try:
        status, body = await post(server, "RS-16", "remote-start", {"connectorId": 1, "idToken": "PY-TAG"})
        assert status == 200 and body["status"] == "Accepted", body
        assert cp.started and body["transactionId"] == str(cp.started[-1]), (body, cp.started)
        assert body["transaction"]["idToken"] == "PY-TAG" and body["transaction"]["status"] == "Active"
        transaction_id = body["transactionId"]

        status, body = await post(server, "RS-16", "remote-start", {"idToken": "NOSTART", "waitForTransaction": 1})
        assert status == 202 and body["transactionId"] is None and body["waiting"] == "timeout", body

        status, body = await post(server, "RS-16", "remote-start", {"idToken": "REJECT"})
        assert status == 200 and body["status"] == "Rejected" and body["transactionId"] is None, body

        status, body = await post(
            server, "RS-16", "remote-stop", {"transactionId": int(transaction_id), "waitForStop": 20})
        assert status == 200 and body["stopped"] is True, body
        assert body["transaction"]["energyWh"] == 3500 and body["transaction"]["stopReason"] == "Remote", body

        status, body = await post(server, "RS-16", "remote-start", {"evseId": 1, "idToken": "PY-TAG"})
        assert status == 400, body
    finally:
        reader.cancel()
        await ws.close()


async def drive_201(server: Server) -> None:
    cp, ws, reader = await connect(Station201, server, "RS-201", "ocpp2.0.1")
    try:
        status, body = await post(server, "RS-201", "remote-start", {"evseId": 1, "idToken": "PY-TOKEN"})
        assert status == 200 and body["status"] == "Accepted", body
        assert body["transactionId"] == f"PY-{body['remoteStartId']}", body
        first = body["remoteStartId"]

        status, body = await post(server, "RS-201", "remote-start", {"idToken": "NOSTART", "waitForTransaction": 1})
        assert status == 202 and body["transactionId"] is None and body["waiting"] == "timeout", body
        assert body["remoteStartId"] != first

        status, body = await post(server, "RS-201", "remote-start", {"idToken": "REJECT"})
        assert status == 200 and body["status"] == "Rejected" and body["transactionId"] is None, body

        status, body = await post(
            server, "RS-201", "remote-stop", {"transactionId": f"PY-{first}", "waitForStop": 20})
        assert status == 200 and body["stopped"] is True and body["transaction"]["state"] == "Ended", body
    finally:
        reader.cancel()
        await ws.close()


def test_remote_start_and_stop_16(tmp_path):
    server = Server(tmp_path, tmp_path / "csms.sqlite")
    server.start()
    try:
        asyncio.run(drive_16(server))
    finally:
        assert server.stop() == 0


def test_remote_start_and_stop_201(tmp_path):
    server = Server(tmp_path, tmp_path / "csms.sqlite")
    server.start()
    try:
        asyncio.run(drive_201(server))
    finally:
        assert server.stop() == 0
