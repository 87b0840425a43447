"""End-to-end tests of the BootNotification validation policies (issue #8, docs/security.md
"Boot validation policies") with the Python `ocpp` package as OCPP 1.6 and 2.0.1 stations
against the built `csms` binary: a boot below a firmware rule's minimum, and a serial number
that differs from the bound one.
"""

import asyncio
import json
import urllib.error
import urllib.request

import pytest
import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201

from test_csms_e2e import API_TOKEN, Server

FIRMWARE_URL = "https://firmware.example/e2e-2.0.0.bin"


def firmware_rules(action: str) -> str:
    return json.dumps(
        [{"vendor": "PyOCPP", "minimumFirmware": "2.0.0", "action": action, "firmwareUrl": FIRMWARE_URL}]
    )


def request(server: Server, method: str, path: str, body=None) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(
        f"http://127.0.0.1:{server.port}{path}", data=data, method=method,
        headers={"Authorization": f"Bearer {API_TOKEN}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def event_types(server: Server, station: str) -> list[str]:
    status, body = request(server, "GET", f"/api/v1/security-events?chargePointId={station}")
    assert status == 200, body
    return [item["type"] for item in body["items"]]


class Station16(ChargePoint16):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.updates: asyncio.Queue = asyncio.Queue()

    @on("UpdateFirmware")
    async def on_update_firmware(self, location, retrieve_date, **_):
        await self.updates.put((location, retrieve_date))
        return result16.UpdateFirmware()


class Station201(ChargePoint201):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.updates: asyncio.Queue = asyncio.Queue()

    @on("UpdateFirmware")
    async def on_update_firmware(self, request_id, firmware, **_):
        await self.updates.put((request_id, firmware))
        return result201.UpdateFirmware(status="Accepted")


async def connected(cls, server: Server, station: str, subprotocol: str, body):
    async with websockets.connect(server.url(station), subprotocols=[subprotocol]) as ws:
        cp = cls(station, ws, response_timeout=10)
        reader = asyncio.create_task(cp.start())
        try:
            return await body(cp)
        finally:
            reader.cancel()


def boot16(firmware: str, serial: str = "SN-16") -> call16.BootNotification:
    return call16.BootNotification(
        charge_point_vendor="PyOCPP", charge_point_model="E2E", firmware_version=firmware,
        charge_point_serial_number=serial,
    )


def boot201(firmware: str, serial: str = "SN-201") -> call201.BootNotification:
    return call201.BootNotification(
        charging_station={"vendor_name": "PyOCPP", "model": "E2E", "firmware_version": firmware,
                          "serial_number": serial},
        reason="PowerUp",
    )


def started(tmp_path, *settings: str) -> Server:
    args = []
    for setting in settings:
        args += ["--set", setting]
    server = Server(tmp_path, tmp_path / "data" / "csms.sqlite", extra_args=tuple(args))
    server.start()
    return server


def test_firmware_below_minimum_16_is_pending_and_gets_update_firmware(tmp_path):
    server = started(tmp_path, f"bootPolicy.firmwareRules={firmware_rules('pending')}")
    try:
        async def body(cp):
            boot = await cp.call(boot16("v1.9.3"), suppress=False)
            assert boot.status == "Pending"
            assert boot.interval == 60
            # OCPP 1.6 §4.2: while Pending the Central System may send requests (UpdateFirmware).
            location, retrieve_date = await asyncio.wait_for(cp.updates.get(), timeout=15)
            assert location == FIRMWARE_URL
            assert retrieve_date
            # Nothing but BootNotification is accepted while Pending.
            with pytest.raises(Exception) as refused:
                await cp.call(call16.Heartbeat(), suppress=False)
            assert "SecurityError" in type(refused.value).__name__
            assert event_types(server, "E2E-FW16") == ["csms.boot.firmware_below_minimum"]
            # The station installed the new firmware and boots again: Accepted, no new event.
            upgraded = await cp.call(boot16("2.0.0"), suppress=False)
            assert upgraded.status == "Accepted"
            assert event_types(server, "E2E-FW16") == ["csms.boot.firmware_below_minimum"]

        asyncio.run(connected(Station16, server, "E2E-FW16", "ocpp1.6", body))
    finally:
        assert server.stop() == 0


def test_firmware_below_minimum_201_accept_gets_update_firmware(tmp_path):
    server = started(tmp_path, f"bootPolicy.firmwareRules={firmware_rules('accept')}")
    try:
        async def body(cp):
            boot = await cp.call(boot201("1.10.0-rc1"), suppress=False)
            assert boot.status == "Accepted"
            request_id, firmware = await asyncio.wait_for(cp.updates.get(), timeout=15)
            assert isinstance(request_id, int)
            assert firmware["location"] == FIRMWARE_URL
            assert event_types(server, "E2E-FW201") == ["csms.boot.firmware_below_minimum"]

        asyncio.run(connected(Station201, server, "E2E-FW201", "ocpp2.0.1", body))
    finally:
        assert server.stop() == 0


def test_firmware_below_minimum_201_pending_gets_no_update_firmware(tmp_path):
    """OCPP 2.0.1 B02.FR.01: a Pending station may only be sent B05-B08 messages."""
    server = started(tmp_path, f"bootPolicy.firmwareRules={firmware_rules('pending')}")
    try:
        async def body(cp):
            boot = await cp.call(boot201("1.0"), suppress=False)
            assert boot.status == "Pending"
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(cp.updates.get(), timeout=5)

        asyncio.run(connected(Station201, server, "E2E-FWP", "ocpp2.0.1", body))
    finally:
        assert server.stop() == 0


@pytest.mark.parametrize("subprotocol", ["ocpp1.6", "ocpp2.0.1"])
def test_serial_mismatch_is_pending_until_the_operator_rebinds(tmp_path, subprotocol):
    server = started(tmp_path, "bootPolicy.bindSerialNumber=true")
    station = "E2E-SN16" if subprotocol == "ocpp1.6" else "E2E-SN201"
    cls, boot = (Station16, boot16) if subprotocol == "ocpp1.6" else (Station201, boot201)
    try:
        async def body(cp):
            first = await cp.call(boot("2.0", serial="SN-A"), suppress=False)
            assert first.status == "Accepted"
            status, binding = request(server, "GET", f"/api/v1/charge-points/{station}/serial-binding")
            assert status == 200 and binding["serialNumber"] == "SN-A"

            swapped = await cp.call(boot("2.0", serial="SN-B"), suppress=False)
            assert swapped.status == "Pending"
            assert event_types(server, station) == ["csms.boot.serial_mismatch"]
            status, binding = request(server, "GET", f"/api/v1/charge-points/{station}/serial-binding")
            assert binding["serialNumber"] == "SN-A", "a mismatch does not rebind"
            again = await cp.call(boot("2.0", serial="SN-B"), suppress=False)
            assert again.status == "Pending"

            status, binding = request(
                server, "PUT", f"/api/v1/charge-points/{station}/serial-binding", {"serialNumber": "SN-B"})
            assert status == 200 and binding["serialNumber"] == "SN-B"
            rebound = await cp.call(boot("2.0", serial="SN-B"), suppress=False)
            assert rebound.status == "Accepted"

        asyncio.run(connected(cls, server, station, subprotocol, body))
    finally:
        assert server.stop() == 0
