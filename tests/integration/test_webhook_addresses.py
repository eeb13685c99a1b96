"""Nothing leaves for where it should not go: a webhook's callback URL must resolve to public addresses only.

Every way of writing a forbidden address (loopback, private, link-local and the cloud metadata address, unique-local,
multicast, unspecified, reserved, CGNAT, broadcast; as one decimal number, in octal, in hex, short, IPv4-mapped or
-compatible IPv6, or a name that resolves to one) is refused when the subscription is made, through the HTTP API
(400, problem+json naming the rule) and the CLI (exit 2), and nothing is stored; and again when a delivery
connects, for a subscription stored while its address was allowed or its name resolved elsewhere. A delivery
connects to the address it checked, and follows no redirect.

The receivers are real HTTP servers on 127.0.0.1: where a test expects a refusal, a receiver listens on the
forbidden address where it can, so that a delivery that slipped through would be seen arriving.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import socket
import ssl
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from adapters.cli.context import STATE
from adapters.cli.main import app as cli
from adapters.event_store.store import open_service
from adapters.http.app import create_app
from adapters.http.context import ApiSettings
from adapters.logging import configure_logging
from adapters.letters.blobs import url_of
from adapters.notify.addresses import ALLOWED_SETTING, NOTHING_ALLOWED, RULE, AllowedNetworks, ForbiddenAddress
from adapters.notify.subscriptions import SubscriptionStore
from adapters.notify.webhooks import WebhookDispatcher, WebhookSettings
from adapters.operators.tokens import TokenStore
from tests.support.scripted import GrantScript
from tests.support.webhook_receiver import RECEIVERS, Receiver

EVERYTHING = AllowedNetworks.parse("0.0.0.0/0, ::/0")  # as an installation might once have allowed

# (how it is written, the callback URL with {port} for a receiver's port, what the refusal names)
FORMS = [
    ("loopback", "http://127.0.0.1:{port}/hook", "127.0.0.0/8"),
    ("loopback short", "http://127.1:{port}/hook", "127.0.0.0/8"),
    ("loopback decimal", "http://2130706433:{port}/hook", "127.0.0.0/8"),
    ("loopback octal", "http://0177.0.0.01:{port}/hook", "127.0.0.0/8"),
    ("loopback hex", "http://0x7f000001:{port}/hook", "127.0.0.0/8"),
    ("loopback ipv6", "http://[::1]:{port}/hook", "::1/128"),
    ("loopback ipv4-mapped", "http://[::ffff:127.0.0.1]:{port}/hook", "IPv4-mapped"),
    ("loopback ipv4-compatible", "http://[::127.0.0.1]:{port}/hook", "IPv4-compatible"),
    ("loopback by name", "http://localhost:{port}/hook", "127.0.0.0/8"),
    ("metadata", "http://169.254.169.254/latest/meta-data/", "cloud metadata"),
    ("metadata decimal", "http://2852039166/latest/meta-data/", "cloud metadata"),
    ("metadata octal", "http://0251.0376.0251.0376/latest/meta-data/", "cloud metadata"),
    ("metadata hex", "http://0xa9.0xfe.0xa9.0xfe/latest/meta-data/", "cloud metadata"),
    ("metadata ipv4-mapped", "http://[::ffff:169.254.169.254]/latest/meta-data/", "cloud metadata"),
    ("metadata ipv6 (unique-local)", "http://[fd00:ec2::254]/latest/meta-data/", "fc00::/7"),
    ("private 10/8", "http://10.0.0.1/", "RFC 1918"),
    ("private 172.16/12", "http://172.16.0.1/", "RFC 1918"),
    ("private 192.168/16", "https://192.168.1.1/hook", "RFC 1918"),
    ("private ipv4-mapped", "http://[::ffff:10.0.0.1]/", "RFC 1918"),
    ("link-local ipv6", "http://[fe80::1]/", "fe80::/10"),
    ("multicast", "http://224.0.0.1/", "multicast"),
    ("multicast ipv6", "http://[ff02::1]/", "multicast"),
    ("unspecified", "http://0.0.0.0:{port}/hook", "unspecified"),
    ("unspecified short", "http://0:{port}/hook", "unspecified"),
    ("unspecified ipv6", "http://[::]:{port}/hook", "unspecified"),
    ("reserved", "http://240.0.0.1/", "reserved"),
    ("cgnat", "http://100.64.0.1/", "carrier-grade NAT"),
    ("broadcast", "http://255.255.255.255/", "broadcast"),
]
IDS = [form[0] for form in FORMS]


def _url(template: str, port: int) -> str:
    return template.format(port=port)


def names(table: dict[str, list[str]]) -> Any:
    """A resolver answering from `table` as getaddrinfo would (the DNS of names that exist only in these tests)."""

    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))
                for ip in table[host]]

    return getaddrinfo


# --- when a subscription is made -----------------------------------------------------------------------------


@pytest.fixture
def api(sqlite_url):
    tokens = TokenStore(sqlite_url)
    operator = tokens.issue("op.devries", "operator", created_by="tests").token
    tokens.close()
    with TestClient(create_app(ApiSettings(database_url=sqlite_url, webhook_allowed=NOTHING_ALLOWED))) as client:
        yield client, {"Authorization": f"Bearer {operator}"}


def stored(url: str) -> list:
    store = SubscriptionStore(url)
    try:
        return store.list(include_removed=True)
    finally:
        store.close()


@pytest.mark.parametrize("form, template, named", FORMS, ids=IDS)
def test_the_api_refuses_a_subscription_to_a_forbidden_address_with_the_rule_and_stores_nothing(api, sqlite_url, form,
                                                                                                template, named):
    client, operator = api
    with Receiver() as receiver:
        answer = client.post("/v1/subscriptions", headers=operator,
                             json={"callback_url": _url(template, receiver.port), "region_code": "*"})
    assert answer.status_code == 400 and answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["code"] == "invalid_input" and problem["rule"] == RULE and "RFC 6890" in problem["source"]
    assert named in problem["detail"] and "public addresses" in problem["detail"]
    assert ALLOWED_SETTING in problem["hint"] and "nothing was stored" in problem["hint"]
    assert [p["name"] for p in problem["invalidParams"]] == ["callback_url"]
    assert stored(sqlite_url) == [] and receiver.hosts == []


@pytest.fixture
def sto(sqlite_url, monkeypatch):
    configure_logging("WARNING")
    monkeypatch.setenv("STO_ACTOR", "beheerder.smit")
    monkeypatch.delenv(ALLOWED_SETTING, raising=False)  # an installation's default: nothing but public addresses
    runner = CliRunner()

    def run(*args: str):
        STATE.database_url = sqlite_url
        STATE._services.clear()
        result = runner.invoke(cli, ["--database-url", sqlite_url, *args])
        return result, (json.loads(result.stdout) if "--json" in args and result.stdout.strip() else None)

    return run


@pytest.mark.parametrize("form, template, named", FORMS, ids=IDS)
def test_the_cli_refuses_a_subscription_to_a_forbidden_address_with_exit_2_and_stores_nothing(sto, sqlite_url, form,
                                                                                               template, named):
    result, body = sto("subscriptions", "add", _url(template, 8080), "--region", "*", "--json")
    assert result.exit_code == 2, result.output
    assert body["error"] == "invalid_input" and body["rule"] == RULE and named in body["message"]
    assert ALLOWED_SETTING in body["hint"]
    assert stored(sqlite_url) == []


def test_the_cli_says_for_people_which_rule_refused_the_address_and_what_to_do(sto, sqlite_url):
    result, _ = sto("subscriptions", "add", "http://2852039166/latest/meta-data/", "--region", "*")
    said = " ".join(result.output.split())
    assert result.exit_code == 2
    assert "'2852039166' is written for 169.254.169.254;" in said and RULE in said and "what to do" in said
    assert stored(sqlite_url) == []


def test_the_allowed_networks_setting_lets_a_receiver_inside_the_agency_be_subscribed(sto, sqlite_url, monkeypatch):
    monkeypatch.setenv(ALLOWED_SETTING, "10.20.0.0/16, hooks.intern.example")
    result, body = sto("subscriptions", "add", "http://10.20.3.4:8080/sto", "--region", "*", "--json")
    assert result.exit_code == 0, result.output
    result, body = sto("subscriptions", "add", "http://10.21.0.1/sto", "--region", "*", "--json")
    assert result.exit_code == 2 and "RFC 1918" in body["message"]
    monkeypatch.setenv(ALLOWED_SETTING, "10.20.0.0/16, not a host")
    result, body = sto("subscriptions", "add", "http://10.20.3.4:8080/sto", "--region", "*", "--json")
    assert result.exit_code == 2 and "'not a host' is no network" in body["message"]
    assert [s.callback_url for s in stored(sqlite_url)] == ["http://10.20.3.4:8080/sto"]


def test_a_name_is_refused_when_any_of_its_addresses_is_not_public_and_when_it_does_not_resolve(sqlite_url):
    resolver = names({"mixed.sto.test": ["93.184.216.34", "10.1.2.3"], "public.sto.test": ["93.184.216.34"],
                      "metadata.sto.test": ["169.254.169.254"], "ula.sto.test": ["fd00:ec2::254"]})
    store = SubscriptionStore(sqlite_url, resolver=resolver)
    try:
        for host, named in (("mixed.sto.test", "10.1.2.3 is in 10.0.0.0/8"), ("metadata.sto.test", "cloud metadata"),
                            ("ula.sto.test", "fc00::/7"), ("unknown.sto.test", "does not resolve")):
            with pytest.raises(ForbiddenAddress, match="callback URL") as refused:
                store.add(f"https://{host}/hook", "*", (), created_by="beheer", from_position=0)
            assert named in str(refused.value) and f"'{host}'" in str(refused.value)
        assert store.list(include_removed=True) == []
        store.add("https://public.sto.test/hook", "*", (), created_by="beheer", from_position=0)
        assert [s.callback_url for s in store.list()] == ["https://public.sto.test/hook"]
    finally:
        store.close()


# --- when a delivery connects --------------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.timezone.utc)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def one_event(sqlite_url):
    """A store with one grant event to deliver."""
    service = open_service(sqlite_url)
    GrantScript(service, index=1).pre_register()
    yield service
    service.close()


def deliver_once(service, url: str, *, subscribed_with: AllowedNetworks, delivered_with: AllowedNetworks,
                 resolver: Any = socket.getaddrinfo) -> tuple[dict[str, int], dict[str, Any]]:
    """Subscribe `url` under one allow-list, deliver one round under another; the round's counts and the delivery."""
    store = SubscriptionStore(url_of(service), allowed=subscribed_with, resolver=resolver)
    dispatcher = WebhookDispatcher(service, store, WebhookSettings(max_attempts=3, timeout_seconds=5,
                                                                   allowed=delivered_with),
                                   clock=Clock(), resolver=resolver)
    try:
        subscription, _ = store.add(url, "*", (), created_by="beheer", from_position=0)
        counts = dispatcher.tick()
        return counts, store.deliveries(subscription.subscription_id)[0]
    finally:
        dispatcher.close()
        store.close()


@pytest.mark.parametrize("form, template, named", FORMS, ids=IDS)
def test_a_delivery_to_a_forbidden_address_is_refused_when_it_connects_though_the_address_was_allowed_before(
        one_event, form, template, named):
    with Receiver() as receiver:  # listens where the loopback forms point: a delivery that slipped through arrives
        counts, delivery = deliver_once(one_event, _url(template, receiver.port), subscribed_with=EVERYTHING,
                                        delivered_with=NOTHING_ALLOWED)
    assert counts["delivered"] == 0 and counts["failed"] == 1
    assert delivery["state"] == "pending" and RULE in delivery["last_error"] and named in delivery["last_error"]
    assert receiver.hosts == []


def test_a_name_that_resolves_elsewhere_after_the_subscription_is_refused_when_the_delivery_connects(one_event):
    answers = {"hooks.sto.test": ["93.184.216.34"]}  # public when the subscription is made
    with Receiver() as receiver:
        store = SubscriptionStore(url_of(one_event), resolver=names(answers))
        subscription, receiver.secret = store.add(f"http://hooks.sto.test:{receiver.port}/hook", "*", (),
                                                  created_by="beheer", from_position=0)
        answers["hooks.sto.test"] = ["127.0.0.1"]  # DNS rebinding: now the name points inside
        dispatcher = WebhookDispatcher(one_event, store, WebhookSettings(timeout_seconds=5), clock=Clock(),
                                       resolver=names(answers))
        try:
            assert dispatcher.tick()["failed"] == 1
            delivery = store.deliveries(subscription.subscription_id)[0]
        finally:
            dispatcher.close()
            store.close()
    assert "'hooks.sto.test' resolves to 127.0.0.1" in delivery["last_error"] and RULE in delivery["last_error"]
    assert receiver.hosts == []


def test_a_delivery_connects_to_the_address_it_checked_and_names_the_urls_host(one_event):
    """The resolver answers 127.0.0.1 (the receiver) to the subscription's and the delivery's check and 127.0.0.2
    (where nobody listens, and not allowed) after that: a connection that asked again would fail. The Host header
    is the URL's name, not the address."""
    asked: list[str] = []

    def rebinding(host: str, port: int, *args: Any, **kwargs: Any) -> list[tuple[Any, ...]]:
        asked.append(host)
        ip = "127.0.0.1" if len(asked) <= 2 else "127.0.0.2"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port))]

    with Receiver() as receiver:
        store = SubscriptionStore(url_of(one_event), allowed=RECEIVERS, resolver=rebinding)
        subscription, receiver.secret = store.add(f"http://hooks.sto.test:{receiver.port}/hook", "*", (),
                                                  created_by="beheer", from_position=0)
        dispatcher = WebhookDispatcher(one_event, store, WebhookSettings(timeout_seconds=5, allowed=RECEIVERS),
                                       clock=Clock(), resolver=rebinding)
        try:
            assert dispatcher.tick()["delivered"] == 1
        finally:
            dispatcher.close()
            store.close()
    assert asked == ["hooks.sto.test", "hooks.sto.test"]  # once when subscribed, once when delivered
    assert receiver.hosts == [f"hooks.sto.test:{receiver.port}"] and len(receiver.accepted) == 1


class Redirecting:
    """A receiver that answers every POST with a redirect to `location`."""

    def __init__(self, location: str):
        self.requests = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                self.rfile.read(int(self.headers.get("content-length", 0)))
                outer.requests += 1
                self.send_response(307)
                self.send_header("location", location)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Redirecting":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def test_a_redirect_is_a_failed_delivery_and_is_not_followed(one_event):
    with Receiver() as target, Redirecting(target.url) as redirecting:
        counts, delivery = deliver_once(one_event, redirecting.url, subscribed_with=RECEIVERS, delivered_with=RECEIVERS)
    assert counts["failed"] == 1 and redirecting.requests == 1
    assert delivery["last_error"] == "HTTP 307 Temporary Redirect (redirects are not followed)"
    assert target.hosts == []  # the address it pointed to was never asked


# --- over TLS --------------------------------------------------------------------------------------------------


def _openssl(*args: str, cwd: Path) -> None:
    done = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


@pytest.fixture
def certificates(tmp_path) -> Path:
    """A CA of the test's own, and a server certificate it signed for hooks.sto.test only."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed: no certificates for the TLS receiver")
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    _openssl("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=STO test CA",
             "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign", cwd=tmp_path)
    _openssl("req", *ec, "-keyout", "hooks.key", "-out", "hooks.csr", "-subj", "/CN=hooks.sto.test", cwd=tmp_path)
    (tmp_path / "hooks.ext").write_text("subjectAltName=DNS:hooks.sto.test\nbasicConstraints=CA:FALSE\n"
                                        "keyUsage=digitalSignature\nextendedKeyUsage=serverAuth\n")
    _openssl("x509", "-req", "-in", "hooks.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
             "-out", "hooks.pem", "-days", "2", "-extfile", "hooks.ext", cwd=tmp_path)
    return tmp_path


@pytest.mark.parametrize("host, delivered", [("hooks.sto.test", True), ("other.sto.test", False)])
def test_over_tls_a_delivery_to_the_checked_address_names_the_urls_host_and_checks_the_certificate_for_it(
        one_event, certificates, host, delivered):
    """Both names resolve to the receiver on 127.0.0.1, whose certificate names hooks.sto.test only: the delivery
    that connects to the checked address still sends the URL's host as TLS server name and checks the certificate
    against it, so the other name's delivery fails."""
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(certificates / "hooks.pem", certificates / "hooks.key")
    server_names: list[str | None] = []
    server_tls.sni_callback = lambda sock, name, context: server_names.append(name)
    trusted = ssl.create_default_context(cafile=str(certificates / "ca.pem"))
    resolver = names({"hooks.sto.test": ["127.0.0.1"], "other.sto.test": ["127.0.0.1"]})
    with Receiver() as receiver:
        receiver.server.socket = server_tls.wrap_socket(receiver.server.socket, server_side=True)
        store = SubscriptionStore(url_of(one_event), allowed=RECEIVERS, resolver=resolver)
        subscription, receiver.secret = store.add(f"https://{host}:{receiver.port}/hook", "*", (),
                                                  created_by="beheer", from_position=0)
        dispatcher = WebhookDispatcher(one_event, store, WebhookSettings(timeout_seconds=5, allowed=RECEIVERS),
                                       clock=Clock(), resolver=resolver, tls=trusted)
        try:
            counts = dispatcher.tick()
            delivery = store.deliveries(subscription.subscription_id)[0]
        finally:
            dispatcher.close()
            store.close()
    assert server_names[:1] == [host]
    if delivered:
        assert counts["delivered"] == 1 and receiver.hosts == [f"hooks.sto.test:{receiver.port}"]
    else:
        assert counts["failed"] == 1 and receiver.hosts == []
        assert "SSLCertVerificationError" in delivery["last_error"] and "other.sto.test" in delivery["last_error"]
