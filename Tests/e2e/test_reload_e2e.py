"""Configuration reload end to end (docs/configuration.md, "Reload"): a real `csms serve` with a
config file, the file changed, a real SIGHUP (`kill -HUP`), and the change observed by new
station connections (the PyPI `ocpp` client and raw frames) and in the JSON log lines. An
invalid file keeps the server running with the settings it had.
"""

import asyncio
import json
import os
import re
import signal
import time
import urllib.request
from pathlib import Path

import pytest
import websockets
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call as call16

from test_csms_e2e import Server, with_station


class ReloadingServer(Server):
    """`csms serve` on port 0 whose settings come from a config file (no flags for the keys
    the test changes: flags would win over the file)."""

    def __init__(self, workdir: Path):
        self.config = workdir / "csms.json"
        super().__init__(
            workdir, workdir / "data" / "csms.sqlite", extra_args=("--config", str(self.config)),
            accept_unknown=False)

    def write_config(self, settings: dict) -> None:
        temporary = self.config.with_suffix(".tmp")
        temporary.write_text(json.dumps(settings))
        temporary.replace(self.config)

    def hangup_and_wait(self, message: str) -> dict:
        """Sends SIGHUP and waits for the next log line with `message` (returned)."""
        seen = sum(1 for line in self.log_lines() if line.get("message") == message)
        os.kill(self.process.pid, signal.SIGHUP)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            matches = [line for line in self.log_lines() if line.get("message") == message]
            if len(matches) > seen:
                return matches[-1]
            assert self.process.poll() is None, f"csms exited after SIGHUP:\n{self.log_path.read_text()}"
            time.sleep(0.05)
        pytest.fail(f"no '{message}' log line within 15 s of SIGHUP:\n{self.log_path.read_text()[-3000:]}")

    def metrics(self) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=10) as response:
            return response.read().decode()


async def boot_status(server: ReloadingServer, charge_point_id: str) -> str:
    async def body(cp, ws):
        answer = await cp.call(
            call16.BootNotification(charge_point_model="Reload", charge_point_vendor="PyOCPP"), suppress=False
        )
        return answer.status

    return await with_station(ChargePoint16, server.url(charge_point_id), charge_point_id, "ocpp1.6", body)


async def offered_version_code(server: ReloadingServer, charge_point_id: str, subprotocol: str):
    """The subprotocol the server picks for a connection offering only `subprotocol`, and the
    close code when it picks none (the server then closes with 1002)."""
    async with websockets.connect(server.url(charge_point_id), subprotocols=[subprotocol]) as ws:
        if ws.subprotocol is not None:
            return ws.subprotocol, None
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), timeout=10)
        return None, closed.value.rcvd.code if closed.value.rcvd else None


async def answers_to_burst(server: ReloadingServer, charge_point_id: str, heartbeats: int) -> list:
    """A BootNotification, then `heartbeats` Heartbeats on one connection; each answer's
    message type and (for a CALLERROR) error code."""
    async with websockets.connect(server.url(charge_point_id), subprotocols=["ocpp1.6"]) as ws:
        frames = [[2, "b", "BootNotification", {"chargePointModel": "Reload", "chargePointVendor": "PyOCPP"}]]
        frames += [[2, f"h{n}", "Heartbeat", {}] for n in range(heartbeats)]
        answers = []
        for frame in frames:
            await ws.send(json.dumps(frame))
            answer = json.loads(await asyncio.wait_for(ws.recv(), timeout=10))
            answers.append((answer[0], answer[2] if answer[0] == 4 else None))
        return answers


def test_sighup_reloads_the_live_settings_and_survives_an_invalid_file(tmp_path):
    server = ReloadingServer(tmp_path)
    base = {
        "logLevel": "info",
        "unknownChargePoints": "reject",
        "rateLimit": {"rate": 20, "burst": 100},
        "websocket": {"maxMessageSize": 262144},
    }
    server.write_config(base)
    server.start()
    try:
        assert asyncio.run(boot_status(server, "RELOAD-A")) == "Rejected"
        assert asyncio.run(offered_version_code(server, "RELOAD-V1", "ocpp2.0.1")) == ("ocpp2.0.1", None)
        assert not [line for line in server.log_lines() if line.get("level") == "debug"]

        changed = {
            "logLevel": "debug",
            "unknownChargePoints": "accept",
            "rateLimit": {"rate": 0.01, "burst": 2},
            "websocket": {"maxMessageSize": 65536},
            "ocpp": {"versions": ["ocpp1.6"]},
        }
        server.write_config(changed)
        reloaded = server.hangup_and_wait("configuration reloaded")
        assert set(reloaded["metadata"]["changed"].split(",")) == {
            "unknownChargePoints", "logLevel", "rateLimit.rate", "rateLimit.burst", "ocpp.versions"
        }
        assert reloaded["metadata"]["needs_restart"] == "websocket.maxMessageSize"
        warnings = [line for line in server.log_lines() if "needs restart" in line.get("message", "")]
        assert [line["metadata"]["key"] for line in warnings] == ["websocket.maxMessageSize"]
        assert warnings[0]["level"] == "warning"

        # A new station: the registration policy, the rate limit and the log level changed.
        assert asyncio.run(boot_status(server, "RELOAD-B")) == "Accepted"
        assert asyncio.run(answers_to_burst(server, "RELOAD-C", 2)) == [(3, None), (3, None), (4, "GenericError")]
        assert [line for line in server.log_lines() if line.get("level") == "debug"], "debug lines after the reload"
        assert asyncio.run(offered_version_code(server, "RELOAD-V2", "ocpp2.0.1")) == (None, 1002), "2.0.1 no more"

        # An invalid file: an error naming the key, the process keeps running, old settings stay.
        server.write_config({**changed, "logLevel": "loud", "unknownChargePoints": "reject"})
        failed = server.hangup_and_wait("configuration reload failed; keeping the running settings")
        assert failed["level"] == "error"
        assert "logLevel" in failed["metadata"]["error"] and "loud" not in failed["metadata"]["error"]
        assert server.process.poll() is None
        assert asyncio.run(boot_status(server, "RELOAD-D")) == "Accepted", "the policy in force stays accept"
        metrics = server.metrics()
        assert re.search(r'csms_config_reloads(_total)?\{outcome="failed"\} 1\b', metrics), metrics[-2000:]
        assert re.search(r'csms_config_reloads(_total)?\{outcome="applied"\} 1\b', metrics)

        # Fixed again: the next SIGHUP applies it.
        server.write_config({**changed, "logLevel": "info", "unknownChargePoints": "reject"})
        reloaded = server.hangup_and_wait("configuration reloaded")
        assert set(reloaded["metadata"]["changed"].split(",")) == {"unknownChargePoints", "logLevel"}
        assert asyncio.run(boot_status(server, "RELOAD-E")) == "Rejected"
    finally:
        assert server.stop() == 0
