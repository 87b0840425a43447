"""A central system on the Python `ocpp` package: the peer of the load benchmarks.

It is what a small CSMS built on the most used OCPP library looks like: one asyncio
process, `websockets` for the transport, one `ChargePoint` object per connection with an
`@on` handler per action, and SQLite for storage (WAL, synchronous=FULL, one commit per
message before the answer, as swift-csms does: an acknowledged message is durable).

Answers BootNotification (Accepted), Heartbeat, StatusNotification, Authorize (Accepted),
StartTransaction / StopTransaction, MeterValues (OCPP 1.6) and BootNotification, Heartbeat,
StatusNotification, Authorize, TransactionEvent, MeterValues (OCPP 2.0.1).

`GET /api/v1/transactions` lists the stored transactions in the shape swift-csms uses
(`{"items": [{"transactionId", "chargePointId", "status"}], "nextCursor": null}`), so that the
`sessions` scenario can check the peer's storage the same way.

    python python_ocpp_csms.py --port 9200 --database /tmp/peer.sqlite [--port-file FILE]
"""

import argparse
import asyncio
import http
import json
import logging
import sqlite3
import ssl
from datetime import datetime, timezone

import websockets
from ocpp.routing import on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call_result as result16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call_result as result201

SCHEMA = """
CREATE TABLE IF NOT EXISTS charge_points (id TEXT PRIMARY KEY, vendor TEXT, model TEXT, last_seen TEXT);
CREATE TABLE IF NOT EXISTS statuses (charge_point TEXT, evse INTEGER, connector INTEGER, status TEXT, at TEXT);
CREATE TABLE IF NOT EXISTS transactions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, charge_point TEXT, station_tx TEXT, connector INTEGER,
    id_tag TEXT, meter_start INTEGER, meter_stop INTEGER, started_at TEXT, stopped_at TEXT, status TEXT);
CREATE UNIQUE INDEX IF NOT EXISTS transactions_station_tx ON transactions (charge_point, station_tx);
CREATE TABLE IF NOT EXISTS meter_values (charge_point TEXT, tx TEXT, at TEXT, payload TEXT);
"""


def now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Store:
    """SQLite, one commit per message (synchronous=FULL)."""

    def __init__(self, path: str):
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)

    def write(self, sql: str, args: tuple) -> int:
        self.db.execute("BEGIN")
        cursor = self.db.execute(sql, args)
        self.db.execute("COMMIT")
        return cursor.lastrowid

    def seen(self, charge_point: str, vendor: str = None, model: str = None) -> None:
        self.write(
            "INSERT INTO charge_points (id, vendor, model, last_seen) VALUES (?, ?, ?, ?) "
            "ON CONFLICT(id) DO UPDATE SET last_seen = excluded.last_seen, "
            "vendor = COALESCE(excluded.vendor, vendor), model = COALESCE(excluded.model, model)",
            (charge_point, vendor, model, now()),
        )


class Station16(ChargePoint16):
    store: Store

    @on("BootNotification")
    def on_boot(self, charge_point_vendor, charge_point_model, **_):
        self.store.seen(self.id, charge_point_vendor, charge_point_model)
        return result16.BootNotification(current_time=now(), interval=300, status="Accepted")

    @on("Heartbeat")
    def on_heartbeat(self):
        self.store.seen(self.id)
        return result16.Heartbeat(current_time=now())

    @on("StatusNotification")
    def on_status(self, connector_id, error_code, status, **_):
        self.store.write("INSERT INTO statuses VALUES (?, NULL, ?, ?, ?)", (self.id, connector_id, status, now()))
        return result16.StatusNotification()

    @on("Authorize")
    def on_authorize(self, id_tag):
        return result16.Authorize(id_tag_info={"status": "Accepted"})

    @on("StartTransaction")
    def on_start(self, connector_id, id_tag, meter_start, timestamp, **_):
        tx = self.store.write(
            "INSERT INTO transactions (charge_point, connector, id_tag, meter_start, started_at, status) "
            "VALUES (?, ?, ?, ?, ?, 'Active')",
            (self.id, connector_id, id_tag, meter_start, timestamp),
        )
        return result16.StartTransaction(transaction_id=tx, id_tag_info={"status": "Accepted"})

    @on("StopTransaction")
    def on_stop(self, meter_stop, timestamp, transaction_id, **_):
        self.store.write(
            "UPDATE transactions SET meter_stop = ?, stopped_at = ?, status = 'Completed' WHERE id = ? AND charge_point = ?",
            (meter_stop, timestamp, transaction_id, self.id),
        )
        return result16.StopTransaction()

    @on("MeterValues")
    def on_meter_values(self, connector_id, meter_value, transaction_id=None, **_):
        self.store.write(
            "INSERT INTO meter_values VALUES (?, ?, ?, ?)", (self.id, transaction_id, now(), json.dumps(meter_value))
        )
        return result16.MeterValues()


class Station201(ChargePoint201):
    store: Store

    @on("BootNotification")
    def on_boot(self, charging_station, reason, **_):
        self.store.seen(self.id, charging_station.get("vendor_name"), charging_station.get("model"))
        return result201.BootNotification(current_time=now(), interval=300, status="Accepted")

    @on("Heartbeat")
    def on_heartbeat(self, **_):
        self.store.seen(self.id)
        return result201.Heartbeat(current_time=now())

    @on("StatusNotification")
    def on_status(self, timestamp, connector_status, evse_id, connector_id, **_):
        self.store.write(
            "INSERT INTO statuses VALUES (?, ?, ?, ?, ?)", (self.id, evse_id, connector_id, connector_status, now())
        )
        return result201.StatusNotification()

    @on("Authorize")
    def on_authorize(self, id_token, **_):
        return result201.Authorize(id_token_info={"status": "Accepted"})

    @on("TransactionEvent")
    def on_transaction_event(self, event_type, timestamp, trigger_reason, seq_no, transaction_info, **extra):
        tx = transaction_info["transaction_id"]
        if event_type == "Started":
            self.store.write(
                "INSERT OR IGNORE INTO transactions (charge_point, station_tx, started_at, status) "
                "VALUES (?, ?, ?, 'Active')",
                (self.id, tx, timestamp),
            )
        elif event_type == "Ended":
            self.store.write(
                "UPDATE transactions SET stopped_at = ?, status = 'Completed' WHERE charge_point = ? AND station_tx = ?",
                (timestamp, self.id, tx),
            )
        else:
            self.store.write(
                "INSERT INTO meter_values VALUES (?, ?, ?, ?)",
                (self.id, tx, now(), json.dumps(extra.get("meter_value"))),
            )
        if extra.get("id_token"):
            return result201.TransactionEvent(id_token_info={"status": "Accepted"})
        return result201.TransactionEvent()

    @on("MeterValues")
    def on_meter_values(self, evse_id, meter_value, **_):
        self.store.write("INSERT INTO meter_values VALUES (?, NULL, ?, ?)", (self.id, now(), json.dumps(meter_value)))
        return result201.MeterValues()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=9200)
    parser.add_argument("--database", default="peer.sqlite")
    parser.add_argument("--port-file")
    parser.add_argument("--tls-cert", help="PEM certificate chain: serve wss (with --tls-key)")
    parser.add_argument("--tls-key", help="PEM private key of --tls-cert")
    args = parser.parse_args()
    tls = None
    if args.tls_cert:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(args.tls_cert, args.tls_key)
    logging.basicConfig(level=logging.WARNING)
    store = Store(args.database)

    async def serve(connection):
        charge_point_id = connection.request.path.rstrip("/").split("/")[-1]
        kind = Station201 if connection.subprotocol == "ocpp2.0.1" else Station16
        station = kind(charge_point_id, connection)
        station.store = store
        try:
            await station.start()
        except websockets.exceptions.ConnectionClosed:
            pass

    def api(connection, request):
        """Plain HTTP requests (no upgrade): the transactions listing; anything else 404."""
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return None
        if request.path.split("?")[0] != "/api/v1/transactions":
            return connection.respond(http.HTTPStatus.NOT_FOUND, "{}")
        rows = store.db.execute("SELECT id, station_tx, charge_point, status FROM transactions").fetchall()
        items = [
            {"transactionId": station_tx or str(row_id), "chargePointId": charge_point, "status": status}
            for row_id, station_tx, charge_point, status in rows
        ]
        return connection.respond(http.HTTPStatus.OK, json.dumps({"items": items, "nextCursor": None}))

    async with websockets.serve(
        serve, args.host, args.port, subprotocols=["ocpp1.6", "ocpp2.0.1"], backlog=8192, ping_interval=None,
        max_size=1 << 18, process_request=api, ssl=tls,
    ) as server:
        if args.port_file:
            port = next(iter(server.sockets)).getsockname()[1]
            with open(args.port_file, "w") as handle:
                handle.write(f"{port}\n")
        await asyncio.Future()


if __name__ == "__main__":
    asyncio.run(main())
