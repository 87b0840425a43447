"""Smoke test of the load tool (issue #10): `csms-load` drives a live `csms` and the
`csms-echo` transport limit for about two seconds each with a handful of stations.

It checks that the tool, the scenario presets and the JSON report work end to end, not
speed: boot-storm (5 stations, every boot Accepted) and status-loop (StatusNotification in
a closed loop, answered without errors, and the stations visible in the operator API).
Every run is bounded by the tool's own options and by a subprocess timeout.
"""

import json
import subprocess
import time
from pathlib import Path

import pytest

from test_csms_e2e import API_TOKEN, Server, csms_binary


def tool(name: str) -> Path:
    binary = csms_binary().parent / name
    if not binary.exists():
        pytest.fail(f"{binary} does not exist: run `swift build` first")
    return binary


def run_load(tmp_path: Path, scenario: str, url: str, *options: str, label: str = "csms", pid=None) -> dict:
    report = tmp_path / f"{scenario}-{label}.json"
    command = [
        str(tool("csms-load")), scenario, "--url", url, "--label", label, "--json", str(report),
        "--progress", "0", "--timeout", "5", *options,
    ]
    if pid is not None:
        command += ["--server-pid", str(pid)]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=60, env={"CSMS_API_TOKEN": API_TOKEN, "PATH": "/usr/bin:/bin"}
    )
    assert result.returncode == 0, f"csms-load {scenario} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    return json.loads(report.read_text())


def actions(report_part: dict) -> dict:
    return {action["action"]: action for action in report_part["actions"]}


@pytest.fixture
def unlimited_server(tmp_path):
    """A csms without per-station rate limits: a closed loop sends as fast as answers come,
    which the default limits (docs/processor.md, "Rate limiting") would refuse."""
    srv = Server(tmp_path, tmp_path / "data" / "csms.sqlite", extra_args=("--set", "rateLimit.rate=0"))
    srv.start()
    yield srv
    srv.stop()


def test_boot_storm_and_status_loop_against_csms(unlimited_server, tmp_path):
    server = unlimited_server
    url = f"ws://127.0.0.1:{server.port}/ocpp"
    boot = run_load(
        tmp_path, "boot-storm", url, "--stations", "5", "--duration", "10", "--id-prefix", "smoke-boot",
        "--share201", "0.4", pid=server.process.pid,
    )
    assert boot["setup"]["stations"] == 5
    assert boot["setup"]["accepted"] == 5, boot["setup"]
    assert boot["setup"]["failures"] == {}
    assert boot["setup"]["secondsUntilAllAccepted"] < 10
    setup = actions(boot["setup"])
    assert setup["BootNotification"]["count"] == 5
    assert setup["connect"]["count"] == 5
    assert setup["StatusNotification"]["count"] == 10  # two connectors each
    assert boot["server"]["rssMiB"] > 0  # read from /proc with --server-pid

    loop = run_load(
        tmp_path, "status-loop", url, "--stations", "5", "--warmup", "0.5", "--duration", "1.5",
        "--rates", "50", "--id-prefix", "smoke-loop",
    )
    assert loop["setup"]["accepted"] == 5
    back_to_back, paced = loop["phases"]
    assert (back_to_back["name"], paced["name"]) == ("status-loop", "paced 50/s")
    status = actions(back_to_back)["StatusNotification"]
    assert status["count"] > 5 and status["errors"] == {}
    assert back_to_back["errors"] == {}
    assert 0 < status["p50"] <= status["p99"] <= status["max"]
    # Paced: 50/s over 1.5 s is 75 requests due in the window, whatever the server's speed
    # (back to back, five stations send far more than that).
    assert paced["offeredRate"] == 50 and paced["errors"] == {}
    paced_status = actions(paced)["StatusNotification"]
    assert abs(paced_status["count"] - 75) <= 1, paced_status
    assert paced_status["count"] < status["count"]

    status_code, listing = server.api("/api/v1/charge-points")
    assert status_code == 200
    ids = {item["id"] for item in listing["items"]}
    assert {f"smoke-loop-00000{i}" for i in range(5)} <= ids
    assert {f"smoke-boot-00000{i}" for i in range(5)} <= ids


def test_status_loop_against_the_echo_server(tmp_path):
    port_file = tmp_path / "echo.port"
    echo = subprocess.Popen(
        [str(tool("csms-echo")), "--port", "0", "--port-file", str(port_file)],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 20
        while not (port_file.exists() and port_file.read_text().strip()):
            assert echo.poll() is None, "csms-echo exited"
            assert time.monotonic() < deadline, "csms-echo wrote no port file"
            time.sleep(0.05)
        url = f"ws://127.0.0.1:{port_file.read_text().strip()}/ocpp"
        report = run_load(
            tmp_path, "status-loop", url, "--stations", "3", "--warmup", "0.2", "--duration", "1",
            "--rates", "30", "--lenient-answers", label="echo",
        )
        assert report["setup"]["accepted"] == 3
        back_to_back, paced = report["phases"]
        assert actions(back_to_back)["StatusNotification"]["count"] > 30
        assert abs(actions(paced)["StatusNotification"]["count"] - 30) <= 1
        assert back_to_back["errors"] == {} and paced["errors"] == {}
    finally:
        echo.terminate()
        echo.wait(timeout=10)
