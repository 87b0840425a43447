"""End-to-end attacks on the security profiles of the built `csms`, with the PyPI `ocpp`
and `websockets` packages as independent clients (issue #8, docs/security.md).

A throw-away PKI is made per test run: the CA with `csms ca init`, the server and station
certificates with the `openssl` command line (signed by that CA). `csms serve` runs a plain
listener (profile 1) and a TLS listener (profiles 2 and 3) on ports 0.
"""

import asyncio
import base64
import json
import os
import shutil
import signal
import ssl
import subprocess
import time
import urllib.error
import urllib.request
import warnings
from pathlib import Path

import pytest
import websockets
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call as call16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201

from test_csms_e2e import csms_binary

API_TOKEN = "e2e-security-token-7c2e9d41"
PASSWORD = "e2e-Secret-Password-123"
OPERATOR = "E2E Operator"

if shutil.which("swift") is None and not os.environ.get("CSMS_BIN_PATH"):
    pytest.skip("no swift toolchain and no CSMS_BIN_PATH", allow_module_level=True)
if shutil.which("openssl") is None:
    pytest.skip("no openssl command line", allow_module_level=True)


def run(*args, cwd=None, env=None, input=None) -> str:
    result = subprocess.run(args, cwd=cwd, env=env, input=input, capture_output=True, text=True)
    assert result.returncode == 0, f"{args[0]} failed: {result.stdout}\n{result.stderr}"
    return result.stdout


def clean_env() -> dict:
    return {k: v for k, v in os.environ.items() if not k.startswith("CSMS_")}


class PKI:
    """CA from `csms ca init`; leaf certificates from openssl, signed by that CA."""

    def __init__(self, folder: Path):
        self.folder = folder
        run(str(csms_binary()), "ca", "init", "--out", str(folder), "--organization", OPERATOR,
            "--common-name", "E2E Root", env=clean_env())
        self.ca = folder / "ca.pem"
        self.ca_key = folder / "ca-key.pem"
        assert oct(self.ca_key.stat().st_mode & 0o777) == "0o600"

    def leaf(self, name: str, subject: str, client: bool) -> tuple[Path, Path]:
        key, csr, cert, ext = (self.folder / f"{name}{s}" for s in ("-key.pem", ".csr", ".pem", ".ext"))
        run("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-subj", subject, "-keyout", str(key), "-out", str(csr))
        usage = "clientAuth" if client else "serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1"
        ext.write_text(f"basicConstraints=CA:FALSE\nextendedKeyUsage={usage}\n")
        run("openssl", "x509", "-req", "-in", str(csr), "-CA", str(self.ca), "-CAkey", str(self.ca_key),
            "-CAcreateserial", "-days", "2", "-sha256", "-extfile", str(ext), "-out", str(cert))
        return cert, key


class SecureServer:
    """`csms serve` with both listeners; ports read from the port files."""

    def __init__(self, workdir: Path, pki: PKI, server_cert: Path, server_key: Path):
        self.workdir = workdir
        self.server_cert, self.server_key = server_cert, server_key
        port_file, tls_port_file = workdir / "port", workdir / "tls-port"
        self.log_path = workdir / "csms.log"
        env = {
            **clean_env(),
            "CSMS_API_TOKEN": API_TOKEN,
            "CSMS_TLS_PORT": "0",
            "CSMS_TLS_PORT_FILE": str(tls_port_file),
            "CSMS_TLS_CERTIFICATE": str(server_cert),
            "CSMS_TLS_PRIVATE_KEY": str(server_key),
            "CSMS_TLS_CLIENT_CA": str(pki.ca),
            "CSMS_TLS_RELOAD_INTERVAL": "0",  # reload on SIGHUP only
            # Every test attacks from 127.0.0.1: leave room above the failures they cause
            # (the limit itself is tested in Swift, BasicAuthenticationTests).
            "CSMS_SECURITY_AUTH_FAILURE_BURST": "50",
            "CSMS_SECURITY_OPERATOR_NAME": OPERATOR,
            "CSMS_SECURITY_CA_CERTIFICATE": str(pki.ca),
            "CSMS_SECURITY_CA_KEY": str(pki.ca_key),
        }
        self.process = subprocess.Popen(
            [str(csms_binary()), "serve", "--host", "127.0.0.1", "--port", "0", "--port-file", str(port_file),
             "--database", f"sqlite:{workdir / 'csms.sqlite'}", "--unknown-charge-points", "accept",
             "--log-format", "json", "--log-level", "debug"],
            cwd=workdir, env=env, stdout=open(self.log_path, "w"), stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if all(f.exists() and f.read_text().strip() for f in (port_file, tls_port_file)):
                self.port = int(port_file.read_text())
                self.tls_port = int(tls_port_file.read_text())
                return
            if self.process.poll() is not None:
                pytest.fail(f"csms exited with {self.process.returncode}:\n{self.log_path.read_text()}")
            time.sleep(0.05)
        pytest.fail("csms did not write its port files within 30 s")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            return self.process.wait(timeout=30)
        return self.process.returncode

    def api(self, method: str, path: str, body=None, token: str = API_TOKEN) -> tuple[int, dict]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/v1{path}", data=data, method=method,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=20) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")


def basic(user: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


def client_tls(pki: PKI, leaf=None, tls_max=None) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(str(pki.ca))
    if leaf:
        context.load_cert_chain(str(leaf[0]), str(leaf[1]))
    if tls_max:
        # Let the client offer old versions, so that a refusal is the server's.
        context.set_ciphers("DEFAULT:@SECLEVEL=0")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.TLSv1
            context.maximum_version = tls_max
    return context


async def attempt(url: str, headers=None, tls=None, subprotocol="ocpp1.6", body=None):
    """Opens the WebSocket; returns ("ok", body result) or ("refused", HTTP status) or
    ("tls", message)."""
    try:
        async with websockets.connect(url, subprotocols=[subprotocol], additional_headers=headers or {},
                                      ssl=tls, open_timeout=20) as ws:
            return "ok", (await body(ws) if body else None)
    except websockets.exceptions.InvalidStatus as error:
        return "refused", error.response.status_code
    except (ssl.SSLError, ConnectionError, OSError) as error:
        return "tls", str(error)


async def boot16(ws):
    cp = ChargePoint16("x", ws, response_timeout=20)
    reader = asyncio.create_task(cp.start())
    try:
        result = await cp.call(call16.BootNotification(charge_point_vendor="V", charge_point_model="M"))
        return result.status
    finally:
        reader.cancel()


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    folder = tmp_path_factory.mktemp("security")
    pki = PKI(folder / "pki")
    server_cert, server_key = pki.leaf("server", "/CN=localhost", client=False)
    server = SecureServer(folder, pki, server_cert, server_key)
    # CP-E1: profile 1 with a password; CP-E2: profile 2; CP-E3: profile 3.
    subprocess.run([str(csms_binary()), "charge-points", "add", "CP-E1", "--password-stdin",
                    "--database", f"sqlite:{folder / 'csms.sqlite'}"], input=PASSWORD + "\n", text=True,
                   env=clean_env(), check=True, capture_output=True)
    assert server.api("PUT", "/charge-points/CP-E2", {"password": PASSWORD})[0] in (200, 201)
    assert server.api("PUT", "/charge-points/CP-E2/security-profile", {"securityProfile": 2})[0] == 200
    assert server.api("PUT", "/charge-points/CP-E3/security-profile", {"securityProfile": 3})[0] == 200
    yield server, pki
    assert server.stop() == 0


def test_profile1_basic_auth(env):
    server, _ = env
    url = f"ws://127.0.0.1:{server.port}/ocpp/CP-E1"
    assert asyncio.run(attempt(url)) == ("refused", 401)
    assert asyncio.run(attempt(url, basic("CP-E1", "wrong-password-0000"))) == ("refused", 401)
    assert asyncio.run(attempt(url, basic("CP-OTHER", PASSWORD))) == ("refused", 401)
    assert asyncio.run(attempt(url, basic("CP-E1", PASSWORD), body=boot16)) == ("ok", "Accepted")


def test_profile2_tls_versions_and_downgrade(env):
    server, pki = env
    url = f"wss://localhost:{server.tls_port}/ocpp/CP-E2"
    kind, detail = asyncio.run(attempt(url, basic("CP-E2", PASSWORD), tls=client_tls(pki, tls_max=ssl.TLSVersion.TLSv1_1)))
    # The server answers with a protocol_version alert (the client did offer TLS 1.1).
    assert kind == "tls" and "NO_PROTOCOLS_AVAILABLE" not in detail.upper(), detail
    assert "VERSION" in detail.upper(), detail
    assert asyncio.run(attempt(url, tls=client_tls(pki))) == ("refused", 401)
    assert asyncio.run(attempt(url, basic("CP-E2", PASSWORD), tls=client_tls(pki), body=boot16)) == ("ok", "Accepted")
    # The same station on plain ws:// with the right password: a downgrade.
    plain = f"ws://127.0.0.1:{server.port}/ocpp/CP-E2"
    assert asyncio.run(attempt(plain, basic("CP-E2", PASSWORD))) == ("refused", 403)


def test_profile3_client_certificates(env):
    server, pki = env
    url = f"wss://localhost:{server.tls_port}/ocpp/CP-E3"
    good = pki.leaf("cp-e3", f"/CN=CP-E3/O={OPERATOR}", client=True)
    wrong_cn = pki.leaf("cp-wrong-cn", f"/CN=CP-E9/O={OPERATOR}", client=True)
    wrong_o = pki.leaf("cp-wrong-o", "/CN=CP-E3/O=Mallory", client=True)
    assert asyncio.run(attempt(url, tls=client_tls(pki, good), body=boot16)) == ("ok", "Accepted")
    assert asyncio.run(attempt(url, tls=client_tls(pki))) == ("refused", 403)
    assert asyncio.run(attempt(url, tls=client_tls(pki, wrong_cn))) == ("refused", 403)
    assert asyncio.run(attempt(url, tls=client_tls(pki, wrong_o))) == ("refused", 403)
    status, events = server.api("GET", "/security-events?chargePointId=CP-E3")
    assert status == 200
    types = [e["type"] for e in events["items"]]
    assert "csms.connection_refused.profile_too_low" in types
    assert types.count("csms.connection_refused.certificate_mismatch") == 2


def test_sign_certificate_round_trip_verified_by_openssl(env, tmp_path):
    server, pki = env
    key, csr = tmp_path / "station-key.pem", tmp_path / "station.csr"
    run("openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-subj", f"/CN=CP-E2 SN-42/O={OPERATOR}", "-keyout", str(key), "-out", str(csr))

    async def sign(ws):
        cp = ChargePoint201("CP-E2", ws, response_timeout=20)
        reader = asyncio.create_task(cp.start())
        try:
            boot = await cp.call(call201.BootNotification(
                charging_station={"model": "M", "vendor_name": "V"}, reason="PowerUp"))
            assert boot.status == "Accepted"
            accepted = await cp.call(call201.SignCertificate(csr=csr.read_text()))
            bad = await cp.call(call201.SignCertificate(csr="-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n"
                                                             "-----END CERTIFICATE REQUEST-----"))
            return accepted.status, bad.status
        finally:
            reader.cancel()

    url = f"wss://localhost:{server.tls_port}/ocpp/CP-E2"
    assert asyncio.run(attempt(url, basic("CP-E2", PASSWORD), tls=client_tls(pki), subprotocol="ocpp2.0.1",
                               body=sign)) == ("ok", ("Accepted", "Rejected"))
    status, certificates = server.api("GET", "/certificates?chargePointId=CP-E2")
    assert status == 200 and len(certificates["items"]) == 1
    chain = tmp_path / "chain.pem"
    chain.write_text(certificates["items"][0]["pem"])
    assert ": OK" in run("openssl", "verify", "-CAfile", str(pki.ca), "-purpose", "sslclient", str(chain))
    subject = run("openssl", "x509", "-in", str(chain), "-noout", "-subject")
    assert "CP-E2 SN-42" in subject


def test_api_tokens_scopes_and_secrets_absent_from_logs(env):
    server, _ = env
    database = f"sqlite:{server.workdir / 'csms.sqlite'}"
    reader = run(str(csms_binary()), "api-tokens", "add", "grafana", "--scope", "read-only",
                 "--database", database, env=clean_env()).strip()
    assert reader.startswith("csms_")
    assert server.api("GET", "/security-events", token=reader)[0] == 200
    assert server.api("PUT", "/charge-points/CP-X/security-profile", {"securityProfile": 1}, token=reader)[0] == 403
    assert server.api("GET", "/security-events", token="csms_" + "A" * 43)[0] == 401
    listed = run(str(csms_binary()), "api-tokens", "list", "--database", database, env=clean_env())
    assert "grafana\tread-only" in listed and reader not in listed
    log = server.log_path.read_text()
    for secret in (PASSWORD, API_TOKEN, reader, base64.b64encode(f"CP-E1:{PASSWORD}".encode()).decode()):
        assert secret not in log
    key_body = "".join(l for l in server.workdir.joinpath("pki", "ca-key.pem").read_text().splitlines()
                       if not l.startswith("-----"))
    assert key_body[:40] not in log


def test_sighup_reloads_the_certificate_and_keeps_live_connections(env):
    server, pki = env
    new_cert, new_key = pki.leaf("server-reloaded", "/CN=localhost/O=Reloaded", client=False)
    url = f"wss://localhost:{server.tls_port}/ocpp/CP-E2"

    def organization(ws) -> str:
        subject = ws.transport.get_extra_info("ssl_object").getpeercert()["subject"]
        return dict(pair for rdn in subject for pair in rdn).get("organizationName", "")

    async def scenario(ws):
        assert organization(ws) == ""  # the first server certificate has no O
        shutil.copy(new_key, server.server_key)
        shutil.copy(new_cert, server.server_cert)
        server.process.send_signal(signal.SIGHUP)
        seen = ""
        for _ in range(100):
            # Another station (a second CP-E2 connection would replace the first).
            probe = f"wss://localhost:{server.tls_port}/ocpp/CP-E1"
            async with websockets.connect(probe, subprotocols=["ocpp1.6"], additional_headers=basic("CP-E1", PASSWORD),
                                          ssl=client_tls(pki), open_timeout=20) as fresh:
                seen = organization(fresh)
            if seen == "Reloaded":
                break
            await asyncio.sleep(0.1)
        assert seen == "Reloaded"
        return await boot16(ws)  # the connection opened before the reload still works

    assert asyncio.run(attempt(url, basic("CP-E2", PASSWORD), tls=client_tls(pki), body=scenario)) == ("ok", "Accepted")
    assert any(line.get("message") == "TLS certificate reloaded"
               for line in map(json.loads, filter(lambda l: l.startswith("{"), server.log_path.read_text().splitlines())))
