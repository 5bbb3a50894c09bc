"""Webhook callbacks go to public addresses only: vetted at save time and at every delivery.

DNS is simulated by monkeypatching socket.getaddrinfo; literal IP addresses
still go through the real resolver (no network: they need no lookup).
"""

import socket
import ssl

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from requests_app.models import ApiClient, State
from requests_app.open311 import services
from requests_app.tests.open311_helpers import api_request_for, make_client
from requests_app.tests.test_open311_webhooks import Receiver, transition

pytestmark = pytest.mark.django_db

PUBLIC_IP = "93.184.215.14"
INTERNAL_URLS = [
    "http://127.0.0.1:6379/",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.5/hook",
    "http://192.168.1.1/hook",
    "http://172.16.0.1/hook",
    "http://100.64.0.1/hook",
    "http://0.0.0.0:8000/",
    "http://224.0.0.1/",
    "http://[::1]:8000/",
    "http://[::ffff:127.0.0.1]:6379/",
    "http://[fe80::1]/",
    "http://[fd00::1]/",
    "http://localhost:6379/",
]


class FakeDNS:
    """socket.getaddrinfo answering `names` from a table; literal addresses resolve for real."""

    def __init__(self, monkeypatch, **names):
        self.names = {name.replace("_", "."): addrs for name, addrs in names.items()}
        self.lookups = []
        real = socket.getaddrinfo

        def fake(host, port, family=0, type=0, proto=0, flags=0):
            if isinstance(host, bytes):
                host = host.decode()
            if host in self.names:
                self.lookups.append(host)
                answers = self.names[host]
                if isinstance(answers, Exception):
                    raise answers
                out = []
                for ip in answers:
                    if ":" in ip:
                        out.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (ip, port or 0, 0, 0)))
                    else:
                        out.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port or 0)))
                return out
            return real(host, port, family, type, proto, flags)

        monkeypatch.setattr(socket, "getaddrinfo", fake)


class SilentListener:
    """A socket on 127.0.0.1 that listens but never accepts: any connection attempt shows in its backlog."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.setblocking(False)
        self.port = self.sock.getsockname()[1]

    def connections(self):
        count = 0
        while True:
            try:
                conn, _ = self.sock.accept()
            except BlockingIOError:
                return count
            conn.close()
            count += 1


@pytest.fixture
def silent_listener():
    listener = SilentListener()
    yield listener
    listener.sock.close()


# --- save time --------------------------------------------------------------


@pytest.mark.parametrize("url", INTERNAL_URLS)
def test_api_client_create_refuses_internal_callback_urls(url):
    with pytest.raises(ValidationError) as excinfo:
        make_client(webhook_url=url)
    assert "回调地址必须是公网地址" in str(excinfo.value)
    assert not ApiClient.objects.exists()


def test_api_client_create_refuses_a_name_that_resolves_to_an_internal_address(monkeypatch):
    FakeDNS(monkeypatch, hooks_example_com=[PUBLIC_IP, "10.1.2.3"])  # ANY bad address refuses
    with pytest.raises(ValidationError):
        make_client(webhook_url="https://hooks.example.com/yibang")
    assert not ApiClient.objects.exists()


def test_api_client_create_accepts_a_public_callback(monkeypatch):
    FakeDNS(monkeypatch, hooks_example_com=[PUBLIC_IP, "2606:4700::1111"])
    client, _ = make_client(webhook_url="https://hooks.example.com/yibang")
    assert client.webhook_url == "https://hooks.example.com/yibang"
    assert make_client(name="无回调系统")[0].webhook_url == ""


@pytest.fixture
def admin_client_logged_in(client):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-123456-x")
    client.force_login(user)
    return client


@pytest.mark.parametrize("url", ["http://127.0.0.1:6379/", "http://169.254.169.254/", "http://[::ffff:127.0.0.1]/"])
def test_admin_refuses_internal_callback_urls_on_add_and_change(admin_client_logged_in, monkeypatch, url):
    response = admin_client_logged_in.post(
        "/admin/requests_app/apiclient/add/", {"name": "内网探测", "webhook_url": url}
    )
    assert response.status_code == 200
    assert "回调地址必须是公网地址" in response.content.decode()
    assert not ApiClient.objects.exists()

    FakeDNS(monkeypatch, hooks_example_com=[PUBLIC_IP])
    client, _ = make_client(name="正观新闻APP", webhook_url="https://hooks.example.com/a")
    response = admin_client_logged_in.post(
        f"/admin/requests_app/apiclient/{client.pk}/change/", {"name": "正观新闻APP", "webhook_url": url}
    )
    assert response.status_code == 200
    assert "回调地址必须是公网地址" in response.content.decode()
    client.refresh_from_db()
    assert client.webhook_url == "https://hooks.example.com/a"


# --- delivery time ----------------------------------------------------------


def test_delivery_to_a_name_that_now_resolves_to_loopback_is_refused_without_connecting(
    monkeypatch, silent_listener, settings
):
    settings.OPEN311_WEBHOOK_MAX_ATTEMPTS = 6
    port = silent_listener.port
    dns = FakeDNS(monkeypatch, hooks_example_com=[PUBLIC_IP])
    req, _ = api_request_for(f"http://hooks.example.com:{port}/hook")
    _, [delivery] = transition(req, State.LISTED)
    dns.names["hooks.example.com"] = ["127.0.0.1"]  # DNS rebinding after the save
    result = services.webhook_delivery_attempt(delivery_id=delivery.pk)
    assert silent_listener.connections() == 0
    assert result.state == "failed" and result.next_attempt_at is None
    assert result.last_status is None and result.last_error == "回调地址不被允许"
    assert result.attempt_log[-1]["error"] == "回调地址不被允许"
    # Not retried: the sweep does not pick it up again.
    assert services.webhooks_requeue_due() == []


def test_delivery_refused_when_any_address_is_internal(monkeypatch, silent_listener):
    port = silent_listener.port
    dns = FakeDNS(monkeypatch, hooks_example_com=[PUBLIC_IP])
    req, _ = api_request_for(f"http://hooks.example.com:{port}/hook")
    _, [delivery] = transition(req, State.LISTED)
    dns.names["hooks.example.com"] = [PUBLIC_IP, "127.0.0.1"]
    result = services.webhook_delivery_attempt(delivery_id=delivery.pk)
    assert result.state == "failed" and result.last_error == "回调地址不被允许"
    assert silent_listener.connections() == 0


def test_delivery_refused_for_ipv4_mapped_ipv6(monkeypatch, silent_listener):
    port = silent_listener.port
    dns = FakeDNS(monkeypatch, hooks_example_com=[PUBLIC_IP])
    req, _ = api_request_for(f"http://hooks.example.com:{port}/hook")
    _, [delivery] = transition(req, State.LISTED)
    dns.names["hooks.example.com"] = ["::ffff:127.0.0.1"]
    result = services.webhook_delivery_attempt(delivery_id=delivery.pk)
    assert result.state == "failed" and result.last_error == "回调地址不被允许"
    assert silent_listener.connections() == 0


def test_a_url_stored_before_the_rule_is_refused_at_delivery(silent_listener):
    port = silent_listener.port
    req, client = api_request_for("")
    ApiClient.objects.filter(pk=client.pk).update(webhook_url=f"http://127.0.0.1:{port}/")  # saved before the fix
    _, [delivery] = transition(req, State.LISTED)
    result = services.webhook_delivery_attempt(delivery_id=delivery.pk)
    assert result.state == "failed" and result.last_error == "回调地址不被允许"
    assert str(port) not in result.last_error
    assert silent_listener.connections() == 0


def test_allowed_network_lets_an_intranet_receiver_through_on_the_vetted_address(monkeypatch, settings):
    settings.OPEN311_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    receiver = Receiver()
    try:
        port = receiver.server.server_address[1]
        dns = FakeDNS(monkeypatch, grid_intranet_example=["127.0.0.1"])
        req, _ = api_request_for(f"http://grid.intranet.example:{port}/hook?src=yibang")
        _, [delivery] = transition(req, State.LISTED)
        dns.lookups.clear()
        result = services.webhook_delivery_attempt(delivery_id=delivery.pk)
        assert result.state == "delivered" and result.last_status == 200
        # One lookup, then the connection went to the vetted address with the original Host header.
        assert dns.lookups == ["grid.intranet.example"]
        [call] = receiver.received
        assert call["headers"]["Host"] == f"grid.intranet.example:{port}"
    finally:
        receiver.close()


def test_allowed_network_does_not_open_other_ranges(settings, silent_listener):
    settings.OPEN311_WEBHOOK_ALLOWED_NETWORKS = ["10.20.0.0/16"]
    with pytest.raises(ValidationError):
        make_client(webhook_url="http://127.0.0.1:6379/")
    make_client(name="内网系统", webhook_url="http://10.20.3.4/hook")


def test_redirects_are_not_followed(monkeypatch, settings):
    settings.OPEN311_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    receiver = Receiver()
    try:
        receiver.answers = [302]
        req, _ = api_request_for(receiver.url)
        _, [delivery] = transition(req, State.LISTED)
        result = services.webhook_delivery_attempt(delivery_id=delivery.pk)
        assert result.state == "pending" and result.last_status == 302
        assert len(receiver.received) == 1
    finally:
        receiver.close()


# --- the rule itself ---------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "allowed"),
    [
        ("8.8.8.8", True),
        ("2606:4700::1111", True),
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
        ("255.255.255.255", False),
        ("198.18.0.1", False),
        ("::1", False),
        ("::", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("::7f00:1", False),
        ("2002:7f00:1::", False),  # 6to4 wrapping 127.0.0.1
        ("fe80::1", False),
        ("fec0::1", False),
        ("fd12:3456::1", False),
        ("ff02::1", False),
        ("2001:db8::1", False),
    ],
)
def test_address_rule(address, allowed, settings):
    from requests_app.open311 import hosts

    settings.OPEN311_WEBHOOK_ALLOWED_NETWORKS = []
    assert hosts.address_allowed(address) is allowed


def test_address_rule_with_allowed_networks(settings):
    from requests_app.open311 import hosts

    settings.OPEN311_WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8", "fd00::/8"]
    assert hosts.address_allowed("127.0.0.1")
    assert hosts.address_allowed("::ffff:127.0.0.1")  # the same host, in its mapped form
    assert hosts.address_allowed("fd12::1")
    assert not hosts.address_allowed("10.0.0.1")


def test_https_connection_uses_the_hostname_for_sni_and_the_vetted_address(monkeypatch):
    from requests_app.open311 import hosts

    connected = []

    class FakeContext(ssl.SSLContext):
        def wrap_socket(self, sock, server_hostname=None):
            connected.append(("tls", server_hostname))
            return sock

    def fake_create_connection(address, timeout=None, source_address=None):
        connected.append(("tcp", address))
        return socket.socket()

    monkeypatch.setattr(socket, "create_connection", fake_create_connection)
    conn = hosts.VettedHTTPSConnection(
        "hooks.example.com", 8443, addresses=["93.184.215.14"], context=FakeContext(ssl.PROTOCOL_TLS_CLIENT)
    )
    conn.connect()
    conn.sock.close()
    assert connected == [("tcp", ("93.184.215.14", 8443)), ("tls", "hooks.example.com")]
