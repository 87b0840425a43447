"""End-to-end tests of operator commands (issue #6, docs/commands.md) with the Python `ocpp`
package as OCPP 1.6 and 2.0.1 stations against the built `csms` binary.

Each station reads frames itself and routes every CALL in its own task, so a slow handler
does not stop it from reading: the log of arrivals then shows whether the CSMS sent a second
CALL before the first was answered (it must not: one CALL in flight per connection).
"""

import asyncio
import json
import subprocess
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone

import pytest
import websockets
from ocpp.exceptions import NotSupportedError
from ocpp.routing import on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201

from test_csms_e2e import API_TOKEN, Server

CALL_TIMEOUT = 2


class CommandServer(Server):
    """`csms serve` with a short call timeout, a queue of one, and the DataTransfer echo vendor."""

    EXTRA_ARGS = ["--call-timeout", str(CALL_TIMEOUT), "--commands-queue-size", "1",
                  "--data-transfer-echo-vendor", "true"]

    def start(self) -> None:
        # Server.start builds the command line itself; the extra flags are appended to it.
        real_popen = subprocess.Popen
        subprocess.Popen = lambda args, **kwargs: real_popen(list(args) + self.EXTRA_ARGS, **kwargs)
        try:
            super().start()
        finally:
            subprocess.Popen = real_popen

    def request(self, method: str, path: str, body=None) -> tuple[int, dict]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", data=data, method=method,
            headers={"Authorization": f"Bearer {API_TOKEN}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    async def command(self, station: str, action: str, payload: dict, wait: bool = True) -> tuple[int, dict]:
        suffix = "" if wait else "?wait=false"
        return await asyncio.to_thread(
            self.request, "POST", f"/api/v1/charge-points/{station}/commands/{action}{suffix}", payload)


@pytest.fixture
def server(tmp_path):
    srv = CommandServer(tmp_path, tmp_path / "data" / "csms.sqlite")
    srv.start()
    yield srv
    srv.stop()


def now() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


class Recording:
    """Reads frames itself (logging each arrival) and routes each in its own task."""

    def setup_recording(self):
        self.events = []
        self.release = asyncio.Event()
        self.tasks = set()

    async def start(self):
        while True:
            message = await self._connection.recv()
            frame = json.loads(message)
            if frame[0] == 2:
                self.events.append(("call", frame[2], time.monotonic()))
            task = asyncio.create_task(self.route_message(message))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    def answered(self, action: str):
        self.events.append(("answer", action, time.monotonic()))


class Station16(Recording, ChargePoint16):
    @on("Reset")
    async def on_reset(self, type, **_):
        self.answered("Reset")
        return result16.Reset(status="Accepted" if type == "Soft" else "Rejected")

    @on("ClearCache")
    async def on_clear_cache(self, **_):
        raise NotSupportedError(description="no cache here")

    @on("GetLocalListVersion")
    async def on_get_local_list_version(self, **_):
        await asyncio.sleep(3600)  # never answers

    @on("ChangeAvailability")
    async def on_change_availability(self, connector_id, type, **_):
        await self.release.wait()  # slow: answers when the test says so
        self.answered("ChangeAvailability")
        return result16.ChangeAvailability(status="Accepted")

    @on("TriggerMessage")
    async def on_trigger_message(self, requested_message, **_):
        self.answered("TriggerMessage")
        return result16.TriggerMessage(status="Accepted")

    @on("UnlockConnector")
    async def on_unlock_connector(self, connector_id, **_):
        await self._connection.close()  # disconnects mid-call

    @on("GetConfiguration")
    async def on_get_configuration(self, key=None, **_):
        return result16.GetConfiguration(
            configuration_key=[{"key": "HeartbeatInterval", "readonly": False, "value": "300"}], unknown_key=[])


class Station201(Recording, ChargePoint201):
    @on("Reset")
    async def on_reset(self, type, **_):
        self.answered("Reset")
        return result201.Reset(status="Accepted")

    @on("ChangeAvailability")
    async def on_change_availability(self, operational_status, **_):
        self.answered("ChangeAvailability")
        return result201.ChangeAvailability(status="Rejected")

    @on("ClearCache")
    async def on_clear_cache(self, **_):
        raise NotSupportedError(description="no cache here")

    @on("GetLocalListVersion")
    async def on_get_local_list_version(self, **_):
        await asyncio.sleep(3600)

    @on("TriggerMessage")
    async def on_trigger_message(self, requested_message, **_):
        await self.release.wait()
        self.answered("TriggerMessage")
        return result201.TriggerMessage(status="Accepted")

    @on("UnlockConnector")
    async def on_unlock_connector(self, evse_id, connector_id, **_):
        await self._connection.close()


async def connect(cls, server: CommandServer, charge_point_id: str, subprotocol: str):
    ws = await websockets.connect(server.url(charge_point_id), subprotocols=[subprotocol])
    cp = cls(charge_point_id, ws, response_timeout=10)
    cp.setup_recording()
    reader = asyncio.create_task(cp.start())
    if subprotocol == "ocpp1.6":
        boot = await cp.call(call16.BootNotification(charge_point_model="E2E", charge_point_vendor="PyOCPP"))
    else:
        boot = await cp.call(call201.BootNotification(
            charging_station={"model": "E2E", "vendor_name": "PyOCPP"}, reason="PowerUp"))
    assert boot.status == "Accepted"
    return cp, ws, reader


async def one_in_flight(server: CommandServer, cp, station: str, slow: tuple[str, dict], second: tuple[str, dict]):
    """`slow` is answered only when released; `second` must not reach the station before."""
    start = len(cp.events)

    def seen(kind: str, action: str) -> bool:
        return any(e[0] == kind and e[1] == action for e in cp.events[start:])

    slow_answer = asyncio.create_task(server.command(station, *slow))
    while not seen("call", slow[0]):
        await asyncio.sleep(0.02)
    status, queued = await server.command(station, *second, wait=False)
    assert status == 202 and queued["state"] == "Queued"
    # Queue of one: a third command is refused while the second waits.
    status, full = await server.command(station, *second, wait=False)
    assert status == 429 and full["error"]["code"] == "queue_full"
    await asyncio.sleep(0.5)
    assert not seen("call", second[0]), "second CALL sent before the first was answered"
    cp.release.set()
    status, body = await slow_answer
    assert status == 200, body
    while not seen("answer", second[0]):
        await asyncio.sleep(0.02)
    answered_first = next(e[2] for e in cp.events[start:] if e[0] == "answer" and e[1] == slow[0])
    second_arrived = next(e[2] for e in cp.events[start:] if e[0] == "call" and e[1] == second[0])
    assert second_arrived >= answered_first
    for _ in range(100):
        status, record = await asyncio.to_thread(server.request, "GET", f"/api/v1/commands/{queued['commandId']}")
        if record["state"] == "Answered":
            break
        await asyncio.sleep(0.05)
    assert record["state"] == "Answered", record


async def drive_16(server: CommandServer) -> None:
    cp, ws, reader = await connect(Station16, server, "CMD-16", "ocpp1.6")
    try:
        status, body = await server.command("CMD-16", "Reset", {"type": "Soft"})
        assert status == 200 and body["response"] == {"status": "Accepted"}, body
        status, body = await server.command("CMD-16", "Reset", {"type": "Hard"})
        assert status == 200 and body["response"] == {"status": "Rejected"}, body

        status, body = await server.command("CMD-16", "ClearCache", {})
        assert status == 502 and body["error"]["code"] == "NotSupported", body

        status, body = await server.command("CMD-16", "Reset", {"type": "Sideways"})
        assert status == 422 and body["error"]["details"]["violations"], body

        started = time.monotonic()
        status, body = await server.command("CMD-16", "GetLocalListVersion", {})
        assert status == 504 and body["error"]["code"] == "timeout", body
        assert time.monotonic() - started >= CALL_TIMEOUT - 0.2

        await one_in_flight(
            server, cp, "CMD-16", ("ChangeAvailability", {"connectorId": 1, "type": "Operative"}),
            ("TriggerMessage", {"requestedMessage": "Heartbeat"}))

        status, config = await asyncio.to_thread(server.request, "GET", "/api/v1/charge-points/CMD-16/configuration")
        assert status == 200 and config["values"][0]["key"] == "HeartbeatInterval", config
        status, shadow = await asyncio.to_thread(server.request, "GET", "/api/v1/charge-points/CMD-16/shadow")
        assert shadow["reported"]["configuration"] == {"HeartbeatInterval": "300"}

        echo = await cp.call(call16.DataTransfer(vendor_id="org.swift-csms.echo", message_id="echo", data="ping"))
        assert echo.status == "Accepted" and echo.data == "ping"
        unknown = await cp.call(call16.DataTransfer(vendor_id="com.example"))
        assert unknown.status == "UnknownVendorId"

        status, body = await server.command("CMD-16", "UnlockConnector", {"connectorId": 1})
        assert status == 502 and body["error"]["code"] == "station_disconnected", body
    finally:
        reader.cancel()
        await ws.close()


async def drive_201(server: CommandServer) -> None:
    cp, ws, reader = await connect(Station201, server, "CMD-201", "ocpp2.0.1")
    try:
        status, body = await server.command("CMD-201", "Reset", {"type": "Immediate"})
        assert status == 200 and body["response"]["status"] == "Accepted", body
        status, body = await server.command("CMD-201", "ChangeAvailability", {"operationalStatus": "Inoperative"})
        assert status == 200 and body["response"]["status"] == "Rejected", body
        status, body = await server.command("CMD-201", "ClearCache", {})
        assert status == 502 and body["error"]["code"] == "NotSupported", body
        status, body = await server.command("CMD-201", "GetLocalListVersion", {})
        assert status == 504, body

        await one_in_flight(
            server, cp, "CMD-201", ("TriggerMessage", {"requestedMessage": "Heartbeat"}),
            ("Reset", {"type": "OnIdle"}))

        report = await cp.call(call201.NotifyReport(
            request_id=5, generated_at=now(), seq_no=0, tbc=False,
            report_data=[{"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"},
                          "variable_attribute": [{"value": "300"}]}]))
        assert report is not None
        status, model = await asyncio.to_thread(
            server.request, "GET", "/api/v1/charge-points/CMD-201/device-model?requestId=5")
        assert status == 200 and model["complete"] is True and len(model["reportData"]) == 1, model
        event = await cp.call(call201.NotifyEvent(
            generated_at=now(), seq_no=0,
            event_data=[{"event_id": 1, "timestamp": now(), "trigger": "Alerting", "actual_value": "1",
                         "event_notification_type": "HardWiredNotification", "component": {"name": "C"},
                         "variable": {"name": "V"}}]))
        assert event is not None
        status, reports = await asyncio.to_thread(
            server.request, "GET", "/api/v1/charge-points/CMD-201/reports?action=NotifyEvent")
        assert status == 200 and len(reports["items"]) == 1

        status, body = await server.command("CMD-201", "UnlockConnector", {"evseId": 1, "connectorId": 1})
        assert status == 502 and body["error"]["code"] == "station_disconnected", body
    finally:
        reader.cancel()
        await ws.close()


def test_commands_ocpp16(server):
    asyncio.run(drive_16(server))
    status, listing = server.request("GET", "/api/v1/charge-points/CMD-16/commands")
    assert status == 200
    states = {item["action"]: item["state"] for item in listing["items"]}
    assert states["GetLocalListVersion"] == "TimedOut"
    assert states["UnlockConnector"] == "Failed"
    status, body = server.request("POST", "/api/v1/charge-points/CMD-16/commands/Reset", {"type": "Soft"})
    assert status == 409  # not connected any more


def test_commands_ocpp201(server):
    asyncio.run(drive_201(server))
