"""End-to-end test of the built `csms` binary with an independent OCPP client.

The client is the PyPI `ocpp` package (its own JSON schemas and RPC handling) over the
`websockets` package. The test starts `csms serve` on port 0 with a temporary SQLite file,
drives an OCPP 1.6 and an OCPP 2.0.1 station, sends a malformed frame, restarts the server
on the same database and checks that the state survived. See Tests/e2e/README.md.
"""

import asyncio
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

import pytest
import websockets
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call as call16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201

API_TOKEN = "e2e-token-5f1c0a"
REPO_ROOT = Path(os.environ.get("CSMS_REPO_ROOT", Path(__file__).resolve().parents[2]))


def csms_binary() -> Path:
    """The built `csms`: $CSMS_BIN_PATH (the folder scripts/test.sh exports), else the
    folder `swift build --show-bin-path` names."""
    folder = os.environ.get("CSMS_BIN_PATH")
    if not folder:
        folder = subprocess.run(
            ["swift", "build", "--show-bin-path"], cwd=REPO_ROOT, check=True, capture_output=True, text=True
        ).stdout.strip()
    binary = Path(folder) / "csms"
    if not binary.exists():
        pytest.fail(f"{binary} does not exist: run `swift build` first")
    return binary


class Server:
    """One `csms serve` process on 127.0.0.1, port 0, logging JSON lines to a file."""

    def __init__(self, workdir: Path, database: Path, extra_args: tuple = (), accept_unknown: bool = True):
        self.workdir = workdir
        self.database = database
        self.extra_args = list(extra_args)
        # `--unknown-charge-points accept`, unless a config file is to decide (flags win over it).
        self.accept_unknown = accept_unknown
        self.process = None
        self.port = None
        self.log_path = None

    def start(self) -> None:
        port_file = self.workdir / "port"
        port_file.unlink(missing_ok=True)
        self.log_path = self.workdir / f"csms-{int(time.time() * 1000)}.log"
        log = open(self.log_path, "w")
        env = {k: v for k, v in os.environ.items() if not k.startswith("CSMS_")}
        self.process = subprocess.Popen(
            [
                str(csms_binary()), "serve",
                "--host", "127.0.0.1", "--port", "0", "--port-file", str(port_file),
                "--database", f"sqlite:{self.database}",
                *(["--unknown-charge-points", "accept"] if self.accept_unknown else []),
                "--log-format", "json",
                *self.extra_args,
            ],
            cwd=self.workdir, env={**env, "CSMS_API_TOKEN": API_TOKEN},
            stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if port_file.exists() and port_file.read_text().strip():
                self.port = int(port_file.read_text().strip())
                return
            if self.process.poll() is not None:
                pytest.fail(f"csms exited with {self.process.returncode}:\n{self.log_path.read_text()}")
            time.sleep(0.05)
        pytest.fail("csms did not write its port file within 30 s")

    def stop(self) -> int:
        """SIGTERM, then the exit status (the test expects 0)."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            pytest.fail("csms did not exit within 30 s of SIGTERM")

    def url(self, charge_point_id: str) -> str:
        return f"ws://127.0.0.1:{self.port}/ocpp/{charge_point_id}"

    def api(self, path: str) -> tuple[int, dict]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", headers={"Authorization": f"Bearer {API_TOKEN}"}
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def log_lines(self) -> list[dict]:
        return [json.loads(line) for line in self.log_path.read_text().splitlines() if line.startswith("{")]


@pytest.fixture
def server(tmp_path):
    srv = Server(tmp_path, tmp_path / "data" / "csms.sqlite")
    srv.start()
    yield srv
    srv.stop()


def now() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


async def with_station(cls, url: str, charge_point_id: str, subprotocol: str, body):
    """Connects `cls` (an ocpp ChargePoint class) as `charge_point_id` and runs `body(cp, ws)`."""
    async with websockets.connect(url, subprotocols=[subprotocol]) as ws:
        assert ws.subprotocol == subprotocol
        cp = cls(charge_point_id, ws, response_timeout=10)
        reader = asyncio.create_task(cp.start())
        try:
            return await body(cp, ws)
        finally:
            reader.cancel()


async def raw_exchange(url: str, subprotocol: str, text: str) -> list:
    """Sends one raw text frame and returns the parsed answer."""
    async with websockets.connect(url, subprotocols=[subprotocol]) as ws:
        await ws.send(text)
        return json.loads(await asyncio.wait_for(ws.recv(), timeout=10))


async def drive_16(server: Server) -> None:
    async def body(cp, ws):
        boot = await cp.call(
            call16.BootNotification(charge_point_model="E2E-16", charge_point_vendor="PyOCPP"), suppress=False
        )
        assert boot.status == "Accepted"
        assert boot.interval > 0
        beat = await cp.call(call16.Heartbeat(), suppress=False)
        datetime.fromisoformat(beat.current_time.replace("Z", "+00:00"))
        await cp.call(
            call16.StatusNotification(connector_id=1, error_code="NoError", status="Available", timestamp=now()),
            suppress=False,
        )
        status, view = server.api("/api/v1/charge-points/E2E-16")
        assert status == 200
        assert view["connected"] is True
        assert view["protocol"] == "ocpp1.6"
        assert view["vendor"] == "PyOCPP"
        assert view["bootStatus"] == "Accepted"

    await with_station(ChargePoint16, server.url("E2E-16"), "E2E-16", "ocpp1.6", body)


async def drive_201(server: Server) -> None:
    async def body(cp, ws):
        boot = await cp.call(
            call201.BootNotification(charging_station={"model": "E2E-201", "vendor_name": "PyOCPP"}, reason="PowerUp"),
            suppress=False,
        )
        assert boot.status == "Accepted"
        await cp.call(call201.Heartbeat(), suppress=False)
        await cp.call(
            call201.StatusNotification(timestamp=now(), connector_status="Occupied", evse_id=1, connector_id=1),
            suppress=False,
        )

    await with_station(ChargePoint201, server.url("E2E-201"), "E2E-201", "ocpp2.0.1", body)


def boot_not_implemented(server: Server) -> bool:
    """Whether BootNotification is answered CALLERROR NotImplemented: no handler is wired in
    yet (the interim processor, or the message processor before its handlers land)."""
    frame = json.dumps([2, "probe-1", "BootNotification", {"chargePointModel": "Probe", "chargePointVendor": "E2E"}])
    answer = asyncio.run(raw_exchange(server.url("E2E-PROBE"), "ocpp1.6", frame))
    return answer[0] == 4 and answer[2] == "NotImplemented"


def test_stations_malformed_frames_and_restart(tmp_path):
    srv = Server(tmp_path, tmp_path / "data" / "csms.sqlite")
    srv.start()
    try:
        if boot_not_implemented(srv):
            pytest.skip("BootNotification is answered NotImplemented: no OCPP handlers are wired in yet")
        status, health = srv.api("/health/ready")
        assert status == 200, health

        asyncio.run(drive_16(srv))
        asyncio.run(drive_201(srv))

        # Malformed frames: 1.6 "not JSON" gets FormationViolation with id "-1"; a 2.0.1 CALL with
        # a missing payload gets RpcFrameworkError with its own id (docs/protocol.md).
        answer16 = asyncio.run(raw_exchange(srv.url("E2E-16"), "ocpp1.6", "this is not json"))
        assert answer16[0] == 4 and answer16[1] == "-1" and answer16[2] == "FormationViolation"
        answer201 = asyncio.run(raw_exchange(srv.url("E2E-201"), "ocpp2.0.1", '[2, "m1", "Heartbeat"]'))
        assert answer201[0] == 4 and answer201[1] == "m1" and answer201[2] == "RpcFrameworkError"

        # The log is JSON lines with the station's metadata.
        connected = [l for l in srv.log_lines() if l.get("message") == "station connected"]
        assert any(l["metadata"].get("ocpp.charge_point_id") == "E2E-16" for l in connected)
        assert all(API_TOKEN not in json.dumps(l) for l in srv.log_lines())

        # Restart on the same database file: state kept.
        assert srv.stop() == 0
        srv.start()
        status, view = srv.api("/api/v1/charge-points/E2E-16")
        assert status == 200
        assert view["bootStatus"] == "Accepted"
        assert view["connected"] is False
        assert {"connectorId": 1, "status": "Available"}.items() <= view["connectors"][0].items()
        status, view201 = srv.api("/api/v1/charge-points/E2E-201")
        assert status == 200
        assert view201["connectors"][0]["evseId"] == 1 and view201["connectors"][0]["status"] == "Occupied"

        # The boot gate stays open: a Heartbeat without a new BootNotification is answered.
        async def heartbeat_after_restart(cp, ws):
            beat = await cp.call(call16.Heartbeat(), suppress=False)
            assert beat.current_time

        asyncio.run(with_station(ChargePoint16, srv.url("E2E-16"), "E2E-16", "ocpp1.6", heartbeat_after_restart))

        status, listing = srv.api("/api/v1/charge-points")
        assert status == 200
        assert {item["id"] for item in listing["items"]} >= {"E2E-16", "E2E-201"}
    finally:
        code = srv.stop()
    assert code == 0


async def stop_while_connected(server: Server) -> None:
    """A connected station sees close code 1001 when the server gets SIGTERM; exit status 0."""
    async with websockets.connect(server.url("E2E-STOP"), subprotocols=["ocpp1.6"]) as ws:
        # One answered frame proves the server serves the connection (it is registered), so
        # the test does not race the server's side of the upgrade. A station whose upgrade is
        # still completing when SIGTERM arrives is closed by the HTTP server instead (1000).
        await ws.send('[2,"stop-1","Heartbeat",{}]')
        assert '"stop-1"' in await asyncio.wait_for(ws.recv(), timeout=20)
        exit_code = asyncio.get_running_loop().run_in_executor(None, server.stop)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), timeout=20)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 1001
        assert await exit_code == 0


def test_sigterm_closes_stations_with_1001_and_exits_0(server):
    asyncio.run(stop_while_connected(server))
    assert any(line.get("message") == "stopped" for line in server.log_lines())


def test_unknown_subprotocol_is_closed_and_unauthenticated_api_refused(server):
    async def offer_unknown():
        async with websockets.connect(server.url("E2E-X"), subprotocols=["ocpp1.2"]) as ws:
            assert ws.subprotocol is None
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), timeout=10)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1002

    asyncio.run(offer_unknown())
    request = urllib.request.Request(f"http://127.0.0.1:{server.port}/api/v1/charge-points")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 401
    assert json.loads(refused.value.read())["error"]["code"] == "unauthorized"


def test_cli_charge_points_add_and_list(tmp_path):
    database = f"sqlite:{tmp_path / 'cli.sqlite'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSMS_")}
    add = subprocess.run(
        [str(csms_binary()), "charge-points", "add", "CLI-1", "--password-stdin", "--database", database],
        input="s3cret-password-0001\n", capture_output=True, text=True, env=env, timeout=60,
    )
    assert add.returncode == 0, add.stderr
    assert "registered CLI-1" in add.stdout
    listed = subprocess.run(
        [str(csms_binary()), "charge-points", "list", "--json", "--database", database],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert rows == [
        {"id": "CLI-1", "registrationStatus": None, "bootStatus": None, "protocol": None, "lastSeen": None,
         "hasPassword": True}
    ]
    assert "s3cret-password-0001" not in listed.stdout + listed.stderr


if shutil.which("swift") is None and not os.environ.get("CSMS_BIN_PATH"):
    pytest.skip("no swift toolchain and no CSMS_BIN_PATH", allow_module_level=True)
