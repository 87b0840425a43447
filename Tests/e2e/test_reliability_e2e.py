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


# --- kill -9 under mixed load, and a database that stops taking writes -------------------

import itertools  # noqa: E402
import signal  # noqa: E402
import sqlite3  # noqa: E402
import time  # noqa: E402
from datetime import datetime, timedelta, timezone  # noqa: E402


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class RawStation:
    """A 1.6 station speaking raw OCPP-J frames; `call` returns the answer frame."""

    def __init__(self, ws, charge_point_id: str):
        self.ws = ws
        self.id = charge_point_id
        self.ids = itertools.count(1)

    async def call(self, action: str, payload: dict, timeout: float = 30) -> list:
        message_id = f"{self.id}-{next(self.ids)}"
        await self.ws.send(json.dumps([2, message_id, action, payload]))
        while True:
            frame = json.loads(await asyncio.wait_for(self.ws.recv(), timeout=timeout))
            if frame[0] in (3, 4) and frame[1] == message_id:
                return frame


def meter(value: int, at: datetime) -> list:
    return [{"timestamp": iso(at), "sampledValue": [
        {"value": str(value), "measurand": "Energy.Active.Import.Register", "unit": "Wh"}]}]


def test_sigkill_under_mixed_load_loses_nothing_acknowledged(tmp_path):
    """Six 1.6 stations send boots, status notifications, heartbeats and whole charging
    sessions as fast as they are answered; the server is killed with SIGKILL meanwhile. After
    a restart on the same database every acknowledged message is there: each connector shows
    the last acknowledged status (or the one in flight at the kill), every acknowledged start
    is a transaction with at least its acknowledged meter values, every acknowledged stop
    completed it."""
    server = Server(tmp_path, tmp_path / "data" / "csms.sqlite")
    server.start()
    stations = [f"CP-LOAD-{i}" for i in range(6)]
    base = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)
    acked = {cp: {"status": {}, "in_flight": {}, "starts": [], "meters": {}, "stops": [], "messages": 0}
             for cp in stations}

    async def run(charge_point_id: str):
        record = acked[charge_point_id]
        tick = itertools.count(1)
        try:
            async with websockets.connect(server.url(charge_point_id), subprotocols=["ocpp1.6"]) as ws:
                station = RawStation(ws, charge_point_id)
                answer = await station.call("BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"})
                assert answer[0] == 3 and answer[2]["status"] == "Accepted"
                record["messages"] += 1

                async def status(connector: int, value: str):
                    at = base + timedelta(milliseconds=10 * next(tick))
                    record["in_flight"][connector] = (value, at)
                    answer = await station.call("StatusNotification", {
                        "connectorId": connector, "errorCode": "NoError", "status": value, "timestamp": iso(at)})
                    if answer[0] == 3:
                        record["status"][connector] = (value, at)
                        record["messages"] += 1

                energy = 0
                for session in itertools.count():
                    connector = 1 + session % 2
                    await status(connector, "Preparing")
                    at = base + timedelta(milliseconds=10 * next(tick))
                    start = await station.call("StartTransaction", {
                        "connectorId": connector, "idTag": f"TAG{session}", "meterStart": energy,
                        "timestamp": iso(at)})
                    if start[0] != 3:
                        continue
                    tx = start[2]["transactionId"]
                    record["starts"].append(tx)
                    record["messages"] += 1
                    await status(connector, "Charging")
                    for _ in range(2):
                        energy += 10
                        at = base + timedelta(milliseconds=10 * next(tick))
                        answer = await station.call("MeterValues", {
                            "connectorId": connector, "transactionId": tx, "meterValue": meter(energy, at)})
                        if answer[0] == 3:
                            record["meters"][tx] = record["meters"].get(tx, 0) + 1
                            record["messages"] += 1
                    if (await station.call("Heartbeat", {}))[0] == 3:
                        record["messages"] += 1
                    at = base + timedelta(milliseconds=10 * next(tick))
                    stop = await station.call("StopTransaction", {
                        "transactionId": tx, "meterStop": energy, "timestamp": iso(at)})
                    if stop[0] == 3:
                        record["stops"].append(tx)
                        record["messages"] += 1
                    await status(connector, "Available")
        except (websockets.ConnectionClosed, OSError, asyncio.TimeoutError):
            pass

    async def load():
        tasks = [asyncio.create_task(run(cp)) for cp in stations]
        await asyncio.sleep(4)
        server.process.send_signal(signal.SIGKILL)
        await asyncio.wait(tasks, timeout=30)

    started = time.monotonic()
    asyncio.run(load())
    elapsed = time.monotonic() - started
    server.process.wait(timeout=10)
    total = sum(r["messages"] for r in acked.values())
    starts = sum(len(r["starts"]) for r in acked.values())
    print(f"\nacknowledged before SIGKILL: {total} messages ({starts} sessions) from {len(stations)} stations "
          f"in {elapsed:.1f} s")
    assert starts > 0, "no session was acknowledged before the kill"

    server.start()
    try:
        missing = []
        for cp, record in acked.items():
            status_code, body = server.api(f"/api/v1/charge-points/{cp}")
            assert status_code == 200, body
            connectors = {c["connectorId"]: c for c in body["connectors"]}
            for connector, (value, at) in record["status"].items():
                stored = connectors.get(connector)
                in_flight = record["in_flight"].get(connector)
                ok = stored is not None and (
                    (stored["status"] == value and parse_iso(stored["updatedAt"]) == at)
                    or (in_flight is not None and stored["status"] == in_flight[0]
                        and parse_iso(stored["updatedAt"]) == in_flight[1]))
                if not ok:
                    missing.append(("status", cp, connector, value, stored))
            for tx in record["starts"]:
                status_code, detail = server.api(f"/api/v1/transactions/{tx}?chargePointId={cp}")
                if status_code != 200:
                    missing.append(("start", cp, tx))
                    continue
                if len(detail["meterValues"]) < record["meters"].get(tx, 0):
                    missing.append(("meterValues", cp, tx))
                if tx in record["stops"] and detail["status"] != "Completed":
                    missing.append(("stop", cp, tx, detail["status"]))
        print(f"messages lost: {len(missing)}")
        assert missing == []
        ids = [tx for r in acked.values() for tx in r["starts"]]
        assert len(ids) == len(set(ids)), "a transaction id was handed out twice"
    finally:
        assert server.stop() == 0


def test_database_refusing_writes_spills_meter_values_that_arrive_later(tmp_path):
    """The database stops taking writes while a transaction runs: its MeterValues are
    acknowledged from the spill file and reach the database once writes work again.

    `chmod a-w` on the SQLite file and its `-wal` does not do it: the server's connection is
    already open (and root ignores permission bits). The fault used instead is real and needs
    no hook: another process holds SQLite's write lock (`BEGIN IMMEDIATE`), so every commit of
    the server fails with SQLITE_BUSY ("database is locked") after its busy timeout while
    reads keep working."""
    database = tmp_path / "data" / "csms.sqlite"
    server = Server(tmp_path, database, extra_args=("--set", "retry.database.maxTotal=1"))
    server.start()
    spill = tmp_path / "data" / "spill.jsonl"

    async def scenario():
        async with websockets.connect(server.url("CP-FAULT"), subprotocols=["ocpp1.6"]) as ws:
            station = RawStation(ws, "CP-FAULT")
            assert (await station.call(
                "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}))[2]["status"] == "Accepted"
            start = await station.call("StartTransaction", {
                "connectorId": 1, "idTag": "TAG", "meterStart": 0, "timestamp": iso(datetime.now(timezone.utc))})
            tx = start[2]["transactionId"]
            first = await station.call("MeterValues", {
                "connectorId": 1, "transactionId": tx, "meterValue": meter(10, datetime.now(timezone.utc))})
            assert first[0] == 3

            lock = sqlite3.connect(database, timeout=10, isolation_level=None)
            lock.execute("BEGIN IMMEDIATE")
            try:
                answers = []
                for value in (20, 30):
                    answers.append(await station.call("MeterValues", {
                        "connectorId": 1, "transactionId": tx,
                        "meterValue": meter(value, datetime.now(timezone.utc))}, timeout=60))
                assert [a[0] for a in answers] == [3, 3], answers
                spilled = [json.loads(line) for line in spill.read_text().splitlines() if line.strip()]
                assert len(spilled) == 2, spilled
                # Reads still work: the API shows only what the database holds.
                _, detail = server.api(f"/api/v1/transactions/{tx}?chargePointId=CP-FAULT")
                assert len(detail["meterValues"]) == 1
                await asyncio.sleep(2)  # the replay service tries meanwhile and must keep them
                assert len([line for line in spill.read_text().splitlines() if line.strip()]) == 2
            finally:
                lock.execute("ROLLBACK")
                lock.close()
            return tx

    tx = asyncio.run(scenario())
    try:
        deadline = time.monotonic() + 30
        detail = {}
        while time.monotonic() < deadline:
            _, detail = server.api(f"/api/v1/transactions/{tx}?chargePointId=CP-FAULT")
            if len(detail.get("meterValues", [])) == 3:
                break
            time.sleep(0.2)
        assert len(detail["meterValues"]) == 3, detail
        assert not [line for line in spill.read_text().splitlines() if line.strip()], "the spill file is emptied"
        warnings = [line for line in server.log_lines() if "spill file" in line.get("message", "")]
        assert warnings, "the spill is logged"
        print("\nfaults injected: 1 write lock, 2 MeterValues spilled and acknowledged, messages lost: 0")
    finally:
        assert server.stop() == 0
