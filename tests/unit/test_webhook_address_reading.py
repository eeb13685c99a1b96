"""How a webhook's host is read (adapters/notify/addresses.py): every spelling a resolver takes for an IPv4 address
is read as that address; IPv6 addresses carrying an IPv4 address are judged by it; public addresses pass; the
allow-list setting is read strictly. (Refusals through the API, the CLI and deliveries:
tests/integration/test_webhook_addresses.py.)"""

from __future__ import annotations

import ipaddress

import pytest

from adapters.notify.addresses import AllowedNetworks, ForbiddenAddress, carried_ipv4, literal, resolve, why_not_public


@pytest.mark.parametrize("host, address", [
    ("2852039166", "169.254.169.254"),
    ("0251.0376.0251.0376", "169.254.169.254"),
    ("0xa9.0xfe.0xa9.0xfe", "169.254.169.254"),
    ("0xA9FEA9FE", "169.254.169.254"),
    ("169.254.43518", "169.254.169.254"),  # a.b.c: c fills two bytes
    ("169.16689662", "169.254.169.254"),  # a.b: b fills three bytes
    ("127.1", "127.0.0.1"),
    ("0177.1", "127.0.0.1"),
    ("0", "0.0.0.0"),
    ("10.0.0.1", "10.0.0.1"),
    ("::ffff:127.0.0.1", "::ffff:7f00:1"),
    ("fe80::1%eth0", "fe80::1"),
])
def test_every_spelling_of_an_address_is_read_as_that_address(host, address):
    assert literal(host) == ipaddress.ip_address(address)


@pytest.mark.parametrize("host", ["1.2.3.4.5", "4294967296", "256.1.1.1", "1.16777216", "09.1.1.1", "0x1g"])
def test_numbers_that_are_no_address_are_refused_rather_than_read_as_a_name(host):
    with pytest.raises(ForbiddenAddress, match="no IPv4 address"):
        literal(host)


@pytest.mark.parametrize("host", ["hooks.example.nl", "1password.com", "regio-7.sto.example"])
def test_names_are_names(host):
    assert literal(host) is None


@pytest.mark.parametrize("address, carried", [
    ("::ffff:10.0.0.1", "10.0.0.1"), ("::10.0.0.1", "10.0.0.1"), ("64:ff9b::a9fe:a9fe", "169.254.169.254"),
    ("2002:a9fe:a9fe::1", "169.254.169.254"), ("::ffff:0:7f00:1", "127.0.0.1"),
])
def test_an_ipv6_address_carrying_an_ipv4_address_is_judged_by_it(address, carried):
    ip = ipaddress.ip_address(address)
    assert carried_ipv4(ip)[0] == ipaddress.ip_address(carried)
    assert carried in why_not_public(ip)


@pytest.mark.parametrize("url", ["https://93.184.216.34/hook", "https://[2606:2800:220:1::1]/hook",
                                 "http://[::ffff:93.184.216.34]:8443/hook", "https://1.1.1.1"])
def test_public_addresses_pass(url):
    assert resolve(url).addresses


def test_the_allow_list_takes_networks_addresses_and_names_and_refuses_anything_else():
    allowed = AllowedNetworks.parse(" 10.20.0.0/16, 192.168.1.7 ,fd12::/64, [fd34::1], Hooks.Intern.Example. ,")
    assert [str(n) for n in allowed.networks] == ["10.20.0.0/16", "192.168.1.7/32", "fd12::/64", "fd34::1/128"]
    assert allowed.hosts == {"hooks.intern.example"}
    assert allowed.allows(ipaddress.ip_address("::ffff:10.20.1.1")) and not allowed.allows(ipaddress.ip_address("10.21.0.1"))
    assert resolve("http://10.20.9.9:8080/x", allowed).addresses == ("10.20.9.9",)
    assert AllowedNetworks.parse("") == AllowedNetworks()
    for wrong in ("127.1", "10.0.0.0/33", "hooks intern", "*"):
        with pytest.raises(ValueError, match="STO_WEBHOOK_ALLOWED_NETWORKS"):
            AllowedNetworks.parse(wrong)
