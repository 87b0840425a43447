"""End-to-end tests of charging transactions (docs/transactions.md) with the independent
Python `ocpp` client against the built `csms`: 1.6 and 2.0.1 sessions, a retried start with a
new message id, a duplicate seqNo, stops for unknown and foreign ids, an offline queue
replayed after a reconnect, and a SIGKILL in the middle of a burst (everything answered before
the kill is in the database after the restart, checked through the API).
"""

import asyncio
import signal
import urllib.request
from datetime import datetime, timedelta, timezone

import websockets
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call as call16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201

from test_csms_e2e import API_TOKEN, Server, now, server, with_station  # noqa: F401 (fixture)


def ago(seconds: float) -> str:
    moment = datetime.now(timezone.utc) - timedelta(seconds=seconds)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def energy(value: int, context: str | None = None, at: str | None = None) -> dict:
    sampled = {"value": str(value), "measurand": "Energy.Active.Import.Register", "unit": "Wh"}
    if context:
        sampled["context"] = context
    return {"timestamp": at or now(), "sampled_value": [sampled]}


def energy201(value: int, at: str, context: str | None = None) -> dict:
    sampled = {"value": value, "measurand": "Energy.Active.Import.Register", "unit_of_measure": {"unit": "Wh"}}
    if context:
        sampled["context"] = context
    return {"timestamp": at, "sampled_value": [sampled]}


async def boot16(cp) -> None:
    answer = await cp.call(call16.BootNotification(charge_point_model="M", charge_point_vendor="V"))
    assert answer.status == "Accepted"


async def boot201(cp) -> None:
    answer = await cp.call(
        call201.BootNotification(charging_station={"model": "M", "vendor_name": "V"}, reason="PowerUp")
    )
    assert answer.status == "Accepted"


def transaction(server: Server, tx_id, charge_point_id: str) -> dict:
    status, body = server.api(f"/api/v1/transactions/{tx_id}?chargePointId={charge_point_id}")
    assert status == 200, body
    return body


def raw_api(server: Server, path: str) -> tuple[int, str, str]:
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.port}{path}", headers={"Authorization": f"Bearer {API_TOKEN}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.headers.get("Content-Type"), response.read().decode()


def test_16_session_retry_and_stops_for_unknown_or_foreign_ids(server):
    async def other_station(cp, ws):
        await boot16(cp)
        answer = await cp.call(call16.StartTransaction(connector_id=1, id_tag="OTHER", meter_start=0, timestamp=ago(5)))
        return answer.transaction_id

    foreign_id = asyncio.run(with_station(ChargePoint16, server.url("CP16-OTHER"), "CP16-OTHER", "ocpp1.6", other_station))

    async def session(cp, ws):
        await boot16(cp)
        start = call16.StartTransaction(connector_id=1, id_tag="TAG-1", meter_start=1000, timestamp=ago(60))
        first = await cp.call(start)
        # The same start again: the client gives it a new message id.
        retry = await cp.call(start)
        assert retry.transaction_id == first.transaction_id
        # No token registry: unknown tokens are Invalid, and the transaction is still stored.
        assert first.id_tag_info["status"] == "Invalid"
        for i, value in enumerate([1200, 1500, 1900]):
            await cp.call(
                call16.MeterValues(
                    connector_id=1, transaction_id=first.transaction_id, meter_value=[energy(value, at=ago(50 - i))]
                )
            )
        stopped_at = ago(10)
        stop = await cp.call(
            call16.StopTransaction(
                meter_stop=2000, timestamp=stopped_at, transaction_id=first.transaction_id, reason="EVDisconnected",
                id_tag="TAG-1", transaction_data=[energy(2000, "Transaction.End", stopped_at)],
            )
        )
        assert stop.id_tag_info["status"] == "Invalid"
        # Stops for an unknown id and for another station's id are acknowledged.
        unknown = await cp.call(call16.StopTransaction(meter_stop=5, timestamp=ago(1), transaction_id=987654))
        foreign = await cp.call(call16.StopTransaction(meter_stop=5, timestamp=ago(1), transaction_id=foreign_id))
        assert unknown.id_tag_info is None and foreign.id_tag_info is None
        return first.transaction_id

    tx_id = asyncio.run(with_station(ChargePoint16, server.url("CP16-TX"), "CP16-TX", "ocpp1.6", session))

    status, page = server.api("/api/v1/transactions?chargePointId=CP16-TX")
    assert status == 200
    assert [item["transactionId"] for item in page["items"]] == [str(tx_id)]
    detail = transaction(server, tx_id, "CP16-TX")
    assert detail["status"] == "Completed" and detail["state"] == "Ended"
    assert detail["meterStart"] == 1000 and detail["meterStop"] == 2000 and detail["energyWh"] == 1000
    assert detail["idToken"] == "TAG-1" and detail["authorizationStatus"] == "Invalid"
    assert [v["value"] for v in detail["meterValues"]] == ["1200", "1500", "1900", "2000"]
    assert detail["anomalies"] == []

    # The other station's transaction was not touched by the foreign stop.
    other = transaction(server, foreign_id, "CP16-OTHER")
    assert other["status"] == "Active"

    code, content_type, csv = raw_api(server, f"/api/v1/transactions/{tx_id}?format=csv")
    assert code == 200 and content_type.startswith("text/csv")
    lines = csv.split("\r\n")
    assert lines[0] == "timestamp,measurand,phase,location,unit,multiplier,context,format,value,signedData"
    assert len([line for line in lines[1:] if line]) == 4

    status, missing = server.api("/api/v1/transactions/987654")
    assert status == 404, missing


def test_201_session_with_duplicate_seq_no(server):
    async def session(cp, ws):
        await boot201(cp)
        info = {"transaction_id": "TX-E2E-1"}
        evse = {"id": 1, "connector_id": 1}
        started_at = ago(60)
        started = call201.TransactionEvent(
            event_type="Started", timestamp=started_at, trigger_reason="Authorized", seq_no=0, transaction_info=info,
            evse=evse, id_token={"id_token": "TOKEN-1", "type": "ISO14443"},
            meter_value=[energy201(500, started_at, "Transaction.Begin")],
        )
        answer = await cp.call(started)
        assert answer.id_token_info["status"] == "Invalid"
        assert answer.total_cost is None and answer.charging_priority is None
        updated = call201.TransactionEvent(
            event_type="Updated", timestamp=ago(30), trigger_reason="MeterValuePeriodic", seq_no=1,
            transaction_info={**info, "charging_state": "Charging"}, meter_value=[energy201(900, ago(30))],
        )
        await cp.call(updated)
        await cp.call(updated)  # the same seqNo again, new message id: changes nothing
        ended_at = ago(5)
        await cp.call(
            call201.TransactionEvent(
                event_type="Ended", timestamp=ended_at, trigger_reason="EVCommunicationLost", seq_no=2,
                transaction_info={**info, "charging_state": "Idle", "stopped_reason": "EVDisconnected"},
                meter_value=[energy201(1400, ended_at, "Transaction.End")],
            )
        )

    asyncio.run(with_station(ChargePoint201, server.url("CP201-TX"), "CP201-TX", "ocpp2.0.1", session))
    detail = transaction(server, "TX-E2E-1", "CP201-TX")
    assert detail["status"] == "Completed" and detail["evseId"] == 1 and detail["connectorId"] == 1
    assert detail["meterStart"] == 500 and detail["meterStop"] == 1400 and detail["energyWh"] == 900
    assert detail["stopReason"] == "EVDisconnected" and detail["seqNoGaps"] == 0
    assert [v["value"] for v in detail["meterValues"]] == ["500", "900", "1400"]
    assert detail["anomalies"] == []


def test_offline_queue_replayed_after_reconnect(server):
    """A 2.0.1 station sends Started, loses the connection, and after reconnecting replays its
    queue (Started again, Updated, Ended, all flagged offline); a 1.6 station replays a start
    and a stop it queued offline."""

    info = {"transaction_id": "TX-OFFLINE"}
    started_at = ago(600)
    started = call201.TransactionEvent(
        event_type="Started", timestamp=started_at, trigger_reason="CablePluggedIn", seq_no=0, transaction_info=info,
        evse={"id": 2, "connector_id": 1}, meter_value=[energy201(100, started_at, "Transaction.Begin")],
    )

    async def before(cp, ws):
        await boot201(cp)
        await cp.call(started)

    async def after(cp, ws):
        await boot201(cp)
        started.offline = True
        await cp.call(started)
        await cp.call(
            call201.TransactionEvent(
                event_type="Updated", timestamp=ago(500), trigger_reason="ChargingStateChanged", seq_no=1,
                transaction_info={**info, "charging_state": "Charging"}, offline=True,
                meter_value=[energy201(300, ago(500))],
            )
        )
        ended_at = ago(400)
        await cp.call(
            call201.TransactionEvent(
                event_type="Ended", timestamp=ended_at, trigger_reason="EVDeparted", seq_no=2,
                transaction_info={**info, "stopped_reason": "EVDisconnected"}, offline=True,
                meter_value=[energy201(700, ended_at, "Transaction.End")],
            )
        )

    url = server.url("CP201-OFF")
    asyncio.run(with_station(ChargePoint201, url, "CP201-OFF", "ocpp2.0.1", before))
    asyncio.run(with_station(ChargePoint201, url, "CP201-OFF", "ocpp2.0.1", after))
    detail = transaction(server, "TX-OFFLINE", "CP201-OFF")
    assert detail["status"] == "Completed" and detail["offline"] is True and detail["energyWh"] == 600
    assert [v["value"] for v in detail["meterValues"]] == ["100", "300", "700"]

    async def queued16(cp, ws):
        await boot16(cp)
        start = await cp.call(call16.StartTransaction(connector_id=2, id_tag="Q", meter_start=10, timestamp=ago(900)))
        await cp.call(call16.StopTransaction(meter_stop=60, timestamp=ago(800), transaction_id=start.transaction_id))
        return start.transaction_id

    tx16 = asyncio.run(with_station(ChargePoint16, server.url("CP16-OFF"), "CP16-OFF", "ocpp1.6", queued16))
    detail16 = transaction(server, tx16, "CP16-OFF")
    assert detail16["status"] == "Completed" and detail16["energyWh"] == 50 and detail16["stopReason"] == "Local"


def test_sigkill_mid_burst_keeps_every_answered_message(server):
    """Stations run sessions as fast as they can; the server is killed with SIGKILL while
    they do. After a restart on the same database, every start, meter value and stop that
    was answered before the kill is in the database."""

    answered: dict[str, dict] = {}
    stations = [f"CP-BURST-{i}" for i in range(4)]

    async def run(charge_point_id: str):
        record = answered.setdefault(charge_point_id, {"starts": [], "stops": [], "meters": {}})
        try:
            async with websockets.connect(server.url(charge_point_id), subprotocols=["ocpp1.6"]) as ws:
                cp = ChargePoint16(charge_point_id, ws, response_timeout=5)
                reader = asyncio.create_task(cp.start())
                try:
                    await boot16(cp)
                    meter = 0
                    for session in range(10_000):
                        start = await cp.call(
                            call16.StartTransaction(
                                connector_id=1, id_tag=f"T{session}", meter_start=meter, timestamp=now()
                            )
                        )
                        tx = start.transaction_id
                        record["starts"].append(tx)
                        for _ in range(3):
                            meter += 10
                            await cp.call(
                                call16.MeterValues(connector_id=1, transaction_id=tx, meter_value=[energy(meter)])
                            )
                            record["meters"][tx] = record["meters"].get(tx, 0) + 1
                        await cp.call(call16.StopTransaction(meter_stop=meter, timestamp=now(), transaction_id=tx))
                        record["stops"].append(tx)
                finally:
                    reader.cancel()
        except (websockets.ConnectionClosed, OSError, asyncio.TimeoutError, asyncio.CancelledError):
            pass

    async def burst():
        tasks = [asyncio.create_task(run(cp)) for cp in stations]
        await asyncio.sleep(3)
        server.process.send_signal(signal.SIGKILL)
        await asyncio.wait(tasks, timeout=30)

    asyncio.run(burst())
    server.process.wait(timeout=10)
    total_starts = sum(len(r["starts"]) for r in answered.values())
    total_meters = sum(sum(r["meters"].values()) for r in answered.values())
    print(f"answered before SIGKILL: {total_starts} starts, {total_meters} meter values")
    assert total_starts > 0, "no session was answered before the kill"

    server.start()
    for charge_point_id, record in answered.items():
        for tx in record["starts"]:
            detail = transaction(server, tx, charge_point_id)
            assert len(detail["meterValues"]) >= record["meters"].get(tx, 0)
            if tx in record["stops"]:
                assert detail["status"] == "Completed", detail
    ids = [tx for r in answered.values() for tx in r["starts"]]
    assert len(ids) == len(set(ids)), "a transaction id was handed out twice"
