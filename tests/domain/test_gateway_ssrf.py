"""Webhook targets: private and loopback addresses are refused, at registration and at every delivery,
and a delivery connects to the very address that was checked (DNS rebinding cannot slip in between)."""
from __future__ import annotations

import pytest

from jiesu_gateway.ssrf import UnsafeWebhookTarget, check_webhook_url, pin_webhook_url


def resolving_to(*addresses: str):  # type: ignore[no-untyped-def]
    return lambda host, port: list(addresses)


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "192.168.0.10", "172.16.5.5", "169.254.169.254",
                                     "::1", "fd00::1", "::ffff:10.0.0.1", "0.0.0.0", "100.64.0.1"])
def test_private_loopback_and_metadata_addresses_are_refused(address: str) -> None:
    with pytest.raises(UnsafeWebhookTarget, match="non-public"):
        check_webhook_url("https://dept.example/hook", allow_private=False, resolve=resolving_to(address))
    with pytest.raises(UnsafeWebhookTarget):
        pin_webhook_url("https://dept.example/hook", allow_private=False, resolve=resolving_to(address))


def test_one_private_address_among_public_ones_is_enough_to_refuse() -> None:
    with pytest.raises(UnsafeWebhookTarget):
        check_webhook_url("https://dept.example/", allow_private=False,
                          resolve=resolving_to("93.184.216.34", "10.0.0.7"))


@pytest.mark.parametrize("url", ["ftp://dept.example/x", "file:///etc/passwd", "https://user:pw@dept.example/",
                                 "http:///nohost", "gopher://dept.example"])
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
