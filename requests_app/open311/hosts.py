"""Where webhooks may go: public addresses only, checked at save time and at every delivery.

A callback URL names a host; the host resolves to one or more addresses. The
URL is allowed only when EVERY address is globally routable (not loopback,
private, shared, link-local, site-local, multicast, reserved or unspecified,
IPv4 or IPv6, including IPv4 addresses wrapped in IPv6 such as
`::ffff:127.0.0.1` or 6to4), or lies inside one of the networks listed in
`settings.OPEN311_WEBHOOK_ALLOWED_NETWORKS` (an intranet range the operator
lets through on purpose).

Delivery connects to the addresses vetted here, never to a second lookup
(DNS can change between the check and the connection), and sends the
original host name as the Host header and, for https, as the TLS server name.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.translation import gettext_lazy as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

MESSAGE_NOT_PUBLIC = _("回调地址必须是公网地址")
MESSAGE_SCHEME = _("回调地址必须以 http:// 或 https:// 开头，并包含主机名")
MESSAGE_UNRESOLVED = _("回调地址的主机名无法解析")
MESSAGE_USERINFO = _("回调地址不能包含用户名或密码")


class WebhookAddressRefused(Exception):
    """The URL is malformed, does not resolve, or resolves to an address that is not allowed."""

    def __init__(self, message, *, code: str):
        super().__init__(str(message))
        self.message = message
        self.code = code


@dataclass(frozen=True)
class Target:
    """A vetted callback: where to connect (addresses) and what to say (host, port, path)."""

    scheme: str
    host: str  # the name as written (IDNA-encoded), for the Host header and SNI
    port: int
    path: str  # path and query, as sent in the request line
    addresses: tuple[str, ...]


@lru_cache(maxsize=16)
def _parse_networks(entries: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError as exc:
            raise ImproperlyConfigured(
                f"OPEN311_WEBHOOK_ALLOWED_NETWORKS: {entry!r} is not a network in CIDR notation"
            ) from exc
    return tuple(networks)


def allowed_networks() -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return _parse_networks(tuple(e for e in getattr(settings, "OPEN311_WEBHOOK_ALLOWED_NETWORKS", ()) if e.strip()))


def _is_public(ip: IPAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is not None:
            return _is_public(embedded)
        if ip.is_site_local:
            return False
    return ip.is_global and not (
        ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified
    )


def address_allowed(address: str | IPAddress) -> bool:
    """True when a webhook may be sent to `address` (a public one, or inside an allowed network)."""
    try:
        ip = ipaddress.ip_address(address) if isinstance(address, str) else address
    except ValueError:
        return False
    forms = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            forms = [ipaddress.IPv6Address(str(ip).split("%", 1)[0])]
        if ip.ipv4_mapped is not None:
            forms.append(ip.ipv4_mapped)
    networks = allowed_networks()
    if any(form in network for form in forms for network in networks if form.version == network.version):
        return True
    return _is_public(forms[0])


def _resolve(host: str, port: int) -> tuple[str, ...]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise WebhookAddressRefused(MESSAGE_UNRESOLVED, code="unresolved") from exc
    addresses: list[str] = []
    for family, _type, _proto, _name, sockaddr in infos:
        if family in (socket.AF_INET, socket.AF_INET6) and sockaddr[0] not in addresses:
            addresses.append(str(sockaddr[0]))
    if not addresses:
        raise WebhookAddressRefused(MESSAGE_UNRESOLVED, code="unresolved")
    return tuple(addresses)


def vet(url: str) -> Target:
    """Parse and resolve `url`; return the target when every address is allowed, else raise WebhookAddressRefused."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise WebhookAddressRefused(MESSAGE_SCHEME, code="scheme") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookAddressRefused(MESSAGE_SCHEME, code="scheme")
    if parts.username is not None or parts.password is not None:
        raise WebhookAddressRefused(MESSAGE_USERINFO, code="userinfo")
    try:
        host = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise WebhookAddressRefused(MESSAGE_UNRESOLVED, code="unresolved") from exc
    port = port or (443 if parts.scheme == "https" else 80)
    addresses = _resolve(host, port)
    if not all(address_allowed(address) for address in addresses):
        raise WebhookAddressRefused(MESSAGE_NOT_PUBLIC, code="not_public")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme=parts.scheme, host=host, port=port, path=path, addresses=addresses)


def validate_webhook_url(url: str) -> None:
    """Raise ValidationError (Chinese message) unless `url` is empty or may receive webhooks now."""
    if not url:
        return
    try:
        vet(url)
    except WebhookAddressRefused as exc:
        raise ValidationError(exc.message, code=exc.code) from exc


class _VettedConnectMixin:
    """Connect to the vetted addresses in turn (like socket.create_connection), never to a fresh lookup."""

    # Provided by the http.client connection class this is mixed into.
    port: int
    timeout: float | None
    source_address: tuple[str, int] | None

    def __init__(self, host: str, port: int, *, addresses, **kwargs):
        super().__init__(host, port, **kwargs)  # type: ignore[call-arg]  # an HTTP(S)Connection's
        self._vetted_addresses = tuple(addresses)

    def _connect_vetted(self) -> socket.socket:
        error: OSError | None = None
        for address in self._vetted_addresses:
            try:
                sock = socket.create_connection((address, self.port), self.timeout, self.source_address)
            except OSError as exc:
                error = exc
                continue
            with contextlib.suppress(OSError):  # some systems lack TCP_NODELAY
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock
        raise error or OSError("no address to connect to")


class VettedHTTPConnection(_VettedConnectMixin, http.client.HTTPConnection):
    def connect(self) -> None:
        self.sock = self._connect_vetted()


class VettedHTTPSConnection(_VettedConnectMixin, http.client.HTTPSConnection):
    """TLS to a vetted address; the certificate is checked against the URL's host name (SNI too)."""

    def __init__(self, host: str, port: int, *, addresses, context=None, **kwargs):
        self._tls_context = context or ssl.create_default_context()
        super().__init__(host, port, addresses=addresses, context=self._tls_context, **kwargs)

    def connect(self) -> None:
        sock = self._connect_vetted()
        try:
            self.sock = self._tls_context.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise


def connection_for(target: Target, *, timeout: float) -> http.client.HTTPConnection:
    cls = VettedHTTPSConnection if target.scheme == "https" else VettedHTTPConnection
    return cls(target.host, target.port, addresses=target.addresses, timeout=timeout)
