"""End-to-end test of authorization (issue #5) with the independent Python `ocpp` client.

Id tokens are created through the operator API (and the CSV import command), then OCPP 1.6
and OCPP 2.0.1 stations send Authorize and check the answers. See docs/authorization.md.
"""

import asyncio
import json
import os
import subprocess
import urllib.error
import urllib.request

from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call as call16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201

from test_csms_e2e import API_TOKEN, Server, csms_binary, server, with_station  # noqa: F401 (fixture)


def api(srv: Server, method: str, path: str, body=None) -> tuple[int, dict]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"http://127.0.0.1:{srv.port}{path}", data=data, method=method,
        headers={"Authorization": f"Bearer {API_TOKEN}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else {}
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, json.loads(raw) if raw else {}


def test_authorize_16_and_201_from_the_registry(server):
    tokens = {
        "E2E-OK": {"status": "Accepted", "groupIdToken": "E2E-FLEET", "expiryDate": "2099-01-01T00:00:00Z"},
        "E2E-FLEET": {"status": "Accepted", "type": "Central"},
        "E2E-BLOCKED": {"status": "Blocked"},
        "E2E-OLD": {"status": "Accepted", "expiryDate": "2001-01-01T00:00:00Z"},
        "E2E-ELSEWHERE": {"status": "Accepted", "chargePointIds": ["SOMEWHERE-ELSE"]},
        "E2E-RFID": {"status": "Accepted", "type": "ISO14443", "language": "de", "personalMessage": "Hallo"},
        "E2E-BAD-GROUP": {"status": "Accepted", "groupIdToken": "E2E-BLOCKED"},
    }
    for token, body in tokens.items():
        status, view = api(server, "PUT", f"/api/v1/id-tokens/{token}", body)
        assert status == 201, view
    status, page = api(server, "GET", "/api/v1/id-tokens?limit=3")
    assert status == 200 and len(page["items"]) == 3 and "next" in page

    async def station_16(cp, ws):
        boot = await cp.call(
            call16.BootNotification(charge_point_model="E2E-AUTH", charge_point_vendor="PyOCPP"), suppress=False
        )
        assert boot.status == "Accepted"

        async def authorize(tag):
            return (await cp.call(call16.Authorize(id_tag=tag), suppress=False)).id_tag_info

        ok = await authorize("E2E-OK")
        assert ok["status"] == "Accepted"
        assert ok["parent_id_tag"] == "E2E-FLEET"
        assert ok["expiry_date"].startswith("2099-01-01T00:00:00")
        assert (await authorize("E2E-BLOCKED"))["status"] == "Blocked"
        assert (await authorize("E2E-OLD"))["status"] == "Expired"
        assert (await authorize("E2E-UNKNOWN"))["status"] == "Invalid"
        assert (await authorize("E2E-ELSEWHERE"))["status"] == "Invalid"  # NotAtThisLocation in 1.6 terms
        assert (await authorize("E2E-BAD-GROUP"))["status"] == "Blocked"

    async def station_201(cp, ws):
        boot = await cp.call(
            call201.BootNotification(charging_station={"model": "E2E-AUTH", "vendor_name": "PyOCPP"}, reason="PowerUp"),
            suppress=False,
        )
        assert boot.status == "Accepted"

        async def authorize(token, kind="ISO14443", **extra):
            return await cp.call(call201.Authorize(id_token={"id_token": token, "type": kind}, **extra), suppress=False)

        rfid = (await authorize("E2E-RFID")).id_token_info
        assert rfid["status"] == "Accepted"
        assert rfid["language1"] == "de"
        assert rfid["personal_message"] == {"format": "UTF8", "content": "Hallo"}
        assert (await authorize("E2E-RFID", kind="KeyCode")).id_token_info["status"] == "Invalid"
        assert (await authorize("E2E-ELSEWHERE", kind="Central")).id_token_info["status"] == "NotAtThisLocation"
        assert (await authorize("E2E-OLD", kind="Central")).id_token_info["status"] == "Expired"
        assert (await authorize("", kind="NoAuthorization")).id_token_info["status"] == "Invalid"
        ok = (await authorize("E2E-OK", kind="Central")).id_token_info
        assert ok["group_id_token"] == {"id_token": "E2E-FLEET", "type": "Central"}
        hashed = await authorize(
            "E2E-RFID",
            iso15118_certificate_hash_data=[{
                "hash_algorithm": "SHA256", "issuer_name_hash": "aa", "issuer_key_hash": "bb",
                "serial_number": "01", "responder_url": "http://ocsp.example",
            }],
        )
        assert hashed.id_token_info["status"] == "Accepted"
        assert hashed.certificate_status == "NoCertificateAvailable"

    asyncio.run(with_station(ChargePoint16, server.url("E2E-AUTH-16"), "E2E-AUTH-16", "ocpp1.6", station_16))
    asyncio.run(with_station(ChargePoint201, server.url("E2E-AUTH-201"), "E2E-AUTH-201", "ocpp2.0.1", station_201))

    # A blocked token becomes Accepted once the operator changes it; a deleted one is Invalid.
    assert api(server, "PUT", "/api/v1/id-tokens/E2E-BLOCKED", {"status": "Accepted"})[0] == 200
    assert api(server, "DELETE", "/api/v1/id-tokens/E2E-OK")[0] == 204

    async def again(cp, ws):
        await cp.call(call16.BootNotification(charge_point_model="E2E-AUTH", charge_point_vendor="PyOCPP"), suppress=False)
        assert (await cp.call(call16.Authorize(id_tag="E2E-BLOCKED"), suppress=False)).id_tag_info["status"] == "Accepted"
        assert (await cp.call(call16.Authorize(id_tag="E2E-OK"), suppress=False)).id_tag_info["status"] == "Invalid"

    asyncio.run(with_station(ChargePoint16, server.url("E2E-AUTH-16"), "E2E-AUTH-16", "ocpp1.6", again))


def test_csv_import_then_authorize(tmp_path):
    database = tmp_path / "data" / "csms.sqlite"
    csv = tmp_path / "tokens.csv"
    csv.write_text(
        "idToken,status,type,personalMessage\n"
        "CSV-1,Accepted,ISO14443,\"Hello, driver\"\n"
        "CSV-2,Blocked,,\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CSMS_")}
    imported = subprocess.run(
        [str(csms_binary()), "id-tokens", "import", str(csv), "--database", f"sqlite:{database}"],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert imported.returncode == 0, imported.stderr
    assert "imported 2 id tokens (2 added, 0 replaced)" in imported.stdout

    bad = tmp_path / "bad.csv"
    bad.write_text("idToken,status\nCSV-3,Maybe\n")
    refused = subprocess.run(
        [str(csms_binary()), "id-tokens", "import", str(bad), "--database", f"sqlite:{database}"],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert refused.returncode == 1
    assert "line 2: status must be one of" in refused.stderr

    srv = Server(tmp_path, database)
    srv.start()
    try:
        status, view = api(srv, "GET", "/api/v1/id-tokens/CSV-1")
        assert status == 200 and view["personalMessage"] == "Hello, driver"
        assert api(srv, "GET", "/api/v1/id-tokens/CSV-3")[0] == 404

        async def body(cp, ws):
            await cp.call(
                call201.BootNotification(charging_station={"model": "CSV", "vendor_name": "PyOCPP"}, reason="PowerUp"),
                suppress=False,
            )
            one = await cp.call(call201.Authorize(id_token={"id_token": "CSV-1", "type": "ISO14443"}), suppress=False)
            assert one.id_token_info["status"] == "Accepted"
            two = await cp.call(call201.Authorize(id_token={"id_token": "CSV-2", "type": "Local"}), suppress=False)
            assert two.id_token_info["status"] == "Blocked"

        asyncio.run(with_station(ChargePoint201, srv.url("E2E-CSV"), "E2E-CSV", "ocpp2.0.1", body))
    finally:
        assert srv.stop() == 0
