"""Webhook targets: private and loopback addresses are refused, at registration and at every delivery,
and a delivery connects to the very address that was checked (DNS rebinding cannot slip in between)."""
from __future__ import annotations

import pytest

from jiesu_gateway.ssrf import UnsafeWebhookTarget, check_webhook_url, pin_webhook_url, system_resolver

# Hosts that are IP literals in some spelling: the system resolver turns each into an address, which
# must then be refused. Short, decimal, hex and octal IPv4 forms are what inet_aton accepts.
NON_PUBLIC_LITERALS = [
    # loopback, "this network", and the same in other spellings
    "127.0.0.1", "2130706433", "0x7f000001", "0177.0.0.1", "127.1", "127.0.1", "017700000001", "0x7f.0.0.1",
    "0", "0.0.0.0", "localhost",
    # private networks, cloud metadata, CGNAT
    "10.0.0.1", "012.0.0.1", "167772161", "169.254.169.254", "2852039166", "0xa9fea9fe", "0251.0376.0251.0376",
    "192.168.1.1", "3232235777", "172.16.0.1", "172.31.255.255", "100.64.0.1", "100.127.255.254",
    # multicast, broadcast, reserved, documentation, benchmarking, IETF protocol assignments, 6to4 relay
    "224.0.0.1", "239.255.255.250", "255.255.255.255", "240.0.0.1", "192.0.2.1", "198.51.100.7", "203.0.113.9",
    "198.18.0.1", "192.0.0.8", "192.88.99.1",
    # IPv6 loopback and unspecified; IPv4-compatible, -mapped and -translated forms of internal addresses
    "[::1]", "[::]", "[0:0:0:0:0:0:0:1]", "[::7f00:1]", "[::127.0.0.1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]",
    "[::ffff:169.254.169.254]", "[::ffff:0:7f00:1]",
    # 6to4 (even of a public IPv4), NAT64 of internal IPv4, local-use NAT64, Teredo
    "[2002:7f00:1::]", "[2002:a9fe:a9fe::]", "[2002:5db8:d822::1]", "[64:ff9b::127.0.0.1]",
    "[64:ff9b::a9fe:a9fe]", "[64:ff9b::10.0.0.1]", "[64:ff9b::192.168.1.1]", "[64:ff9b:1::5db8:d822]",
    "[2001:0:4136:e378:8000:63bf:3fff:fdd2]",
    # link-local (with and without a zone id), unique-local, site-local, multicast, documentation, reserved
    "[fe80::1]", "[fe80::1%lo]", "[fe80::1%25eth0]", "[fc00::1]", "[fd12:3456::1]", "[fec0::1]", "[ff02::1]",
    "[ff0e::1]", "[2001:db8::1]", "[3fff::1]", "[100::1]", "[5f00::1]",
]
PUBLIC_LITERALS = ["93.184.216.34", "1.1.1.1", "[2606:2800:220:1::1]", "[2001:4860:4860::8888]",
                   "[64:ff9b::93.184.216.34]", "[::ffff:93.184.216.34]"]  # DNS64 and mapped forms of public IPv4


def resolving_to(*addresses: str):  # type: ignore[no-untyped-def]
    return lambda host, port: list(addresses)


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "192.168.0.10", "172.16.5.5", "169.254.169.254",
                                     "::1", "fd00::1", "::ffff:10.0.0.1", "0.0.0.0", "100.64.0.1"])
def test_private_loopback_and_metadata_addresses_are_refused(address: str) -> None:
    with pytest.raises(UnsafeWebhookTarget, match="non-public"):
        check_webhook_url("https://dept.example/hook", allow_private=False, resolve=resolving_to(address))
    with pytest.raises(UnsafeWebhookTarget):
        pin_webhook_url("https://dept.example/hook", allow_private=False, resolve=resolving_to(address))


@pytest.mark.parametrize("host", NON_PUBLIC_LITERALS)
def test_every_spelling_of_a_non_public_address_is_refused_at_registration_and_delivery(host: str) -> None:
    url = f"https://{host}:8443/hook"
    with pytest.raises(UnsafeWebhookTarget):
        check_webhook_url(url, allow_private=False, resolve=system_resolver)
    with pytest.raises(UnsafeWebhookTarget):
        pin_webhook_url(url, allow_private=False, resolve=system_resolver)


def test_the_table_of_non_public_forms_is_long_enough() -> None:
    assert len(set(NON_PUBLIC_LITERALS)) == len(NON_PUBLIC_LITERALS) >= 50


@pytest.mark.parametrize("host", PUBLIC_LITERALS)
def test_global_unicast_literals_are_accepted(host: str) -> None:
    check_webhook_url(f"https://{host}/hook", allow_private=False, resolve=system_resolver)
    assert pin_webhook_url(f"https://{host}/hook", allow_private=False, resolve=system_resolver).url.startswith(
        "https://")


@pytest.mark.parametrize("address", ["::7f00:1", "::127.0.0.1", "2002:7f00:1::", "64:ff9b::7f00:1",
                                     "64:ff9b::a9fe:a9fe", "64:ff9b::a00:1", "64:ff9b::c0a8:101", "224.0.0.1",
                                     "ff05::2", "fe80::1%2", "2606:2800:220:1::1%2", "not an address"])
def test_a_name_resolving_to_a_non_public_form_is_refused(address: str) -> None:
    with pytest.raises(UnsafeWebhookTarget, match="non-public"):
        check_webhook_url("https://dept.example/hook", allow_private=False, resolve=resolving_to(address))
    with pytest.raises(UnsafeWebhookTarget, match="non-public"):
        pin_webhook_url("https://dept.example/hook", allow_private=False, resolve=resolving_to(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1::1", "64:ff9b::5db8:d822",
                                     "::ffff:93.184.216.34"])
def test_a_name_resolving_to_global_unicast_is_accepted(address: str) -> None:
    check_webhook_url("https://dept.example/hook", allow_private=False, resolve=resolving_to(address))


def test_one_private_address_among_public_ones_is_enough_to_refuse() -> None:
    with pytest.raises(UnsafeWebhookTarget):
        check_webhook_url("https://dept.example/", allow_private=False,
                          resolve=resolving_to("93.184.216.34", "10.0.0.7"))


@pytest.mark.parametrize("url", ["ftp://dept.example/x", "file:///etc/passwd", "https://user:pw@dept.example/",
                                 "http:///nohost", "gopher://dept.example", "http://[::1/", "http://dept.example:99999/"])
def test_only_plain_http_urls_with_a_host_are_accepted(url: str) -> None:
    with pytest.raises(UnsafeWebhookTarget):
        check_webhook_url(url, allow_private=True)


def test_a_name_that_rebinds_to_a_private_address_after_registration_is_refused_at_delivery() -> None:
    answers = iter([["93.184.216.34"], ["127.0.0.1"]])
    resolve = lambda host, port: next(answers)  # noqa: E731
    check_webhook_url("https://dept.example/hook", allow_private=False, resolve=resolve)  # registration passes
    with pytest.raises(UnsafeWebhookTarget, match="127.0.0.1"):
        pin_webhook_url("https://dept.example/hook", allow_private=False, resolve=resolve)


def test_delivery_connects_to_the_checked_address_keeping_host_and_tls_name() -> None:
    target = pin_webhook_url("https://dept.example:8443/hooks/x?y=1", allow_private=False,
                             resolve=resolving_to("93.184.216.34"))
    assert target.url == "https://93.184.216.34:8443/hooks/x?y=1"
    assert target.host_header == "dept.example:8443" and target.sni_hostname == "dept.example"
    v6 = pin_webhook_url("http://dept.example/h", allow_private=False, resolve=resolving_to("2606:2800:220:1::1"))
    assert v6.url == "http://[2606:2800:220:1::1]/h" and v6.sni_hostname is None


def test_unresolvable_names_are_refused() -> None:
    def fails(host: str, port: int) -> list[str]:
        raise OSError("no such host")

    with pytest.raises(UnsafeWebhookTarget, match="cannot resolve"):
        check_webhook_url("https://nowhere.invalid/", allow_private=False, resolve=fails)
