"""Where a webhook may go: to public addresses only, so that nobody can make the engine send requests into the
agency's own network (server-side request forgery).

A callback URL's host is read the way a resolver reads it: an IPv6 literal, an IPv4 address in any spelling that
inet_aton takes (one number `2852039166`, octal `0251.0376.0251.0376`, hex `0xa9.0xfe.0xa9.0xfe`, short `127.1`),
or a name, of which every address getaddrinfo gives must be public. An address is public when it lies in no
special-purpose block of the IANA registries (RFC 6890): not loopback, private (RFC 1918), shared (CGNAT),
link-local (the cloud metadata services answer on 169.254.169.254), unique-local, multicast, unspecified, reserved,
broadcast or documentation; an IPv6 address that carries an IPv4 address (IPv4-mapped `::ffff:127.0.0.1`,
IPv4-compatible, NAT64, 6to4) is judged by the IPv4 address it carries.

`STO_WEBHOOK_ALLOWED_NETWORKS` names what is allowed anyway (comma-separated networks, addresses and host names:
`10.20.0.0/16, hooks.intern.example`): a receiver inside the agency, or the tests' receivers on 127.0.0.1. By
default nothing is.

The same check runs twice: when a subscription is made (a refusal stores nothing), and when a delivery connects
(`resolve`): the name may resolve elsewhere by then, so a delivery connects to exactly the address that was
checked, never to a second answer of the resolver.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from dataclasses import dataclass
from typing import Any, Callable, Iterable
from urllib.parse import urlsplit

from domain.errors import InvalidInput

IP = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Resolver = Callable[..., list[tuple[Any, ...]]]  # socket.getaddrinfo's signature

ALLOWED_SETTING = "STO_WEBHOOK_ALLOWED_NETWORKS"
RULE = "webhook-public-address"
SOURCE = ("IANA IPv4 and IPv6 Special-Purpose Address Registries (RFC 6890); OWASP Server-Side Request Forgery "
          "Prevention Cheat Sheet")
HINT = (f"give the receiver's public https URL; for a receiver inside the agency, name its network or host in "
        f"{ALLOWED_SETTING} (e.g. 10.20.0.0/16,hooks.intern.example) where the engine runs; nothing was stored")

# the special-purpose blocks, with what they are and where that is written; the most specific block names an address
_BLOCKS: tuple[tuple[Network, str, str], ...] = tuple((ipaddress.ip_network(net), what, source) for net, what, source in (
    ("0.0.0.0/8", "'this network': the unspecified address", "RFC 1122 3.2.1.3"),
    ("10.0.0.0/8", "private addresses", "RFC 1918"),
    ("100.64.0.0/10", "shared address space (carrier-grade NAT)", "RFC 6598"),
    ("127.0.0.0/8", "loopback: this machine", "RFC 1122 3.2.1.3"),
    ("169.254.0.0/16", "link-local addresses, where cloud metadata services answer", "RFC 3927"),
    ("172.16.0.0/12", "private addresses", "RFC 1918"),
    ("192.0.0.0/24", "IETF protocol assignments", "RFC 6890"),
    ("192.0.2.0/24", "documentation addresses", "RFC 5737"),
    ("192.88.99.0/24", "6to4 relay anycast", "RFC 7526"),
    ("192.168.0.0/16", "private addresses", "RFC 1918"),
    ("198.18.0.0/15", "benchmarking addresses", "RFC 2544"),
    ("198.51.100.0/24", "documentation addresses", "RFC 5737"),
    ("203.0.113.0/24", "documentation addresses", "RFC 5737"),
    ("224.0.0.0/4", "multicast", "RFC 5771"),
    ("240.0.0.0/4", "reserved addresses", "RFC 1112 4"),
    ("255.255.255.255/32", "limited broadcast", "RFC 919 7"),
    ("::/128", "the unspecified address", "RFC 4291 2.5.2"),
    ("::1/128", "loopback: this machine", "RFC 4291 2.5.3"),
    ("64:ff9b:1::/48", "local-use IPv4/IPv6 translation", "RFC 8215"),
    ("100::/64", "discard-only addresses", "RFC 6666"),
    ("2001::/23", "IETF protocol assignments (Teredo among them)", "RFC 2928"),
    ("2001:db8::/32", "documentation addresses", "RFC 3849"),
    ("fc00::/7", "unique-local addresses", "RFC 4193"),
    ("fe80::/10", "link-local addresses", "RFC 4291 2.5.6"),
    ("fec0::/10", "site-local addresses", "RFC 3879"),
    ("ff00::/8", "multicast", "RFC 4291 2.7"),
))
# IPv6 blocks whose addresses carry an IPv4 address in their last 32 bits (6to4 carries it in bits 16-47)
_CARRIERS: tuple[tuple[Network, str], ...] = tuple((ipaddress.ip_network(net), what) for net, what in (
    ("::ffff:0:0/96", "IPv4-mapped (RFC 4291 2.5.5.2)"),
    ("::/96", "IPv4-compatible (RFC 4291 2.5.5.1)"),
    ("::ffff:0:0:0/96", "IPv4-translated (RFC 2765)"),
    ("64:ff9b::/96", "NAT64 (RFC 6052)"),
    ("2002::/16", "6to4 (RFC 3056)"),
))
_PART = re.compile(r"^(0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*)$")
_NUMBERISH = re.compile(r"^(0[xX][0-9a-zA-Z]*|[0-9][0-9a-zA-Z]*)$")
_HOST_NAME = re.compile(r"^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$")


class ForbiddenAddress(InvalidInput):
    """A callback URL whose host is, or resolves to, an address webhooks may not go to: invalid input (HTTP 400,
    exit 2), naming the rule and its source."""

    def __init__(self, message: str, *, hint: str = HINT):
        super().__init__(message, field="callback_url", hint=hint)
        self.rule, self.source = RULE, SOURCE

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "rule": self.rule, "source": self.source}


# --- reading a host ------------------------------------------------------------------------------------------


def ipv4_of_numbers(host: str) -> ipaddress.IPv4Address | None:
    """The IPv4 address a host written as inet_aton writes one stands for (1 to 4 parts, each decimal, octal with a
    leading 0 or hex with 0x; the last part fills the bytes left), or None for a name. A host that is all numbers
    but no address (`1.2.3.4.5`, `4294967296`, `09`) raises ForbiddenAddress: no resolver reads it one way only."""
    parts = host.split(".")
    if not all(_NUMBERISH.match(part) for part in parts):
        return None
    if len(parts) > 4 or not all(_PART.match(part) for part in parts):
        raise ForbiddenAddress(f"the callback URL's host {host!r} is written as numbers but is no IPv4 address")
    values = [int(part, 16) if part[:2].lower() == "0x" else int(part, 8) if part.startswith("0") else int(part)
              for part in (p if p.lower() != "0x" else "0" for p in parts)]
    *leading, last = values
    if any(value > 255 for value in leading) or last >= 256 ** (5 - len(values)):
        raise ForbiddenAddress(f"the callback URL's host {host!r} is written as numbers but is no IPv4 address "
                               "(a part is too large)")
    number = last
    for index, value in enumerate(leading):
        number |= value << (8 * (3 - index))
    return ipaddress.IPv4Address(number)


def literal(host: str) -> IP | None:
    """The address a URL's host (as urlsplit gives it: lower case, IPv6 without brackets) is written as, or None when
    it is a name."""
    text = host.split("%", 1)[0]  # an IPv6 zone (fe80::1%eth0) names an interface, not another address
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    if ":" in text:
        raise ForbiddenAddress(f"the callback URL's host {host!r} is no valid IPv6 address")
    return ipv4_of_numbers(text)


def ascii_host(host: str) -> str:
    """The host as a resolver sees it: IDNA (with its NFKC folding: full-width digits are digits), no final dot."""
    try:
        name = host.encode("idna").decode("ascii").lower() if not host.isascii() else host.lower()
    except UnicodeError:
        raise ForbiddenAddress(f"the callback URL's host {host!r} is no valid host name") from None
    return name[:-1] if name.endswith(".") and not name.endswith("..") else name


# --- judging an address --------------------------------------------------------------------------------------


def carried_ipv4(ip: IP) -> tuple[ipaddress.IPv4Address, str] | None:
    """The IPv4 address an IPv6 address carries, and how it carries it; None when it carries none."""
    if ip.version != 6:
        return None
    for network, what in _CARRIERS:
        if ip in network:
            if network.prefixlen == 16:
                return ip.sixtofour, what  # type: ignore[union-attr, return-value]
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF), what
    return None


def why_not_public(ip: IP) -> str | None:
    """Why an address is no public one (the block, what it is, its source), or None when it is public."""
    blocks = [(network, what, source) for network, what, source in _BLOCKS if ip in network]
    if blocks:
        network, what, source = max(blocks, key=lambda block: block[0].prefixlen)
        return f"{ip} is in {network}, {what} ({source})"
    carried = carried_ipv4(ip)
    if carried is not None:
        inner, how = carried
        why = why_not_public(inner)
        return f"{ip} is {how} and carries {inner}; {why}" if why else None
    if not ip.is_global:
        return f"{ip} is not globally reachable (IANA special-purpose registry, RFC 6890)"
    return None


@dataclass(frozen=True)
class AllowedNetworks:
    """What webhooks may reach although it is not public: networks (an address is a network of one) and host names."""

    networks: tuple[Network, ...] = ()
    hosts: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, text: str | Iterable[str], setting: str = ALLOWED_SETTING) -> "AllowedNetworks":
        entries = [e.strip() for e in (text.split(",") if isinstance(text, str) else text) if e.strip()]
        networks, hosts = [], set()
        for entry in entries:
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
                continue
            except ValueError:
                pass
            name = entry.lower().rstrip(".")
            if not _HOST_NAME.match(name) or _NUMBERISH.match(name.rsplit(".", 1)[-1]):
                raise ValueError(f"{setting}: {entry!r} is no network (10.20.0.0/16, fd12::/64), address or host name; "
                                 "write them comma-separated")
            hosts.add(name)
        return cls(tuple(networks), frozenset(hosts))

    @classmethod
    def from_env(cls) -> "AllowedNetworks":
        """STO_WEBHOOK_ALLOWED_NETWORKS; nothing when unset."""
        return cls.parse(os.environ.get(ALLOWED_SETTING, ""))

    def allows(self, ip: IP) -> bool:
        carried = carried_ipv4(ip)
        return any(address in network for address in (ip, *(carried[:1] if carried else ()))
                   for network in self.networks if address.version == network.version)


NOTHING_ALLOWED = AllowedNetworks()


@dataclass(frozen=True)
class Target:
    """Where a delivery connects: the URL's parts and the checked addresses (try them in this order)."""

    scheme: str
    host: str  # as the Host header and TLS's server name give it
    port: int
    path: str  # with its query
    addresses: tuple[str, ...]


def resolve(url: str, allowed: AllowedNetworks = NOTHING_ALLOWED, resolver: Resolver = socket.getaddrinfo) -> Target:
    """The addresses of a callback URL, each checked: raises ForbiddenAddress when the host is, or any address it
    resolves to is, not public and not allowed (or when it resolves to nothing)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise ForbiddenAddress(f"the callback URL cannot be read: {error}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ForbiddenAddress("the callback URL must be an absolute http(s) URL")
    host = ascii_host(parts.hostname)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    written = literal(host)
    if written is not None:
        addresses: list[IP] = [written]
    else:
        try:
            found = resolver(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as error:
            raise ForbiddenAddress(f"the callback URL's host {host!r} does not resolve ({error}); webhooks go only to "
                                   "names that resolve to public addresses",
                                   hint="check the host name (and that this machine can resolve it), then try again; "
                                   "nothing was stored") from None
        addresses = list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in found))
        if not addresses:
            raise ForbiddenAddress(f"the callback URL's host {host!r} resolves to no address")
    if host not in allowed.hosts:
        for ip in addresses:
            why = None if allowed.allows(ip) else why_not_public(ip)
            if why is not None:
                if written is None:
                    named = f"{host!r} resolves to {', '.join(map(str, addresses))}; "
                else:
                    named = f"{host!r} is written for {written}; " if written.version == 4 and str(written) != host else ""
                raise ForbiddenAddress(f"webhooks go only to public addresses (rule {RULE}): the callback URL's host "
                                       f"{named}{why}")
    return Target(parts.scheme, host.split("%", 1)[0], port, path, tuple(map(str, addresses)))


def check(url: str, allowed: AllowedNetworks = NOTHING_ALLOWED, resolver: Resolver = socket.getaddrinfo) -> None:
    """Raises ForbiddenAddress unless webhooks may go to `url` (the check when a subscription is made)."""
    resolve(url, allowed, resolver)
