"""Throttles count per client: behind the proxy, the address the proxy saw; never one that the
client wrote into X-Forwarded-For itself."""

import pytest
from django.test import RequestFactory

from config.proxy import UNKNOWN_ADDRESS, client_address


def request_from(remote_addr="10.0.0.1", forwarded_for=None):
    headers = {} if forwarded_for is None else {"X-Forwarded-For": forwarded_for}
    return RequestFactory().get("/", REMOTE_ADDR=remote_addr, headers=headers)


def test_without_a_proxy_the_header_is_ignored(settings):
    settings.BEHIND_PROXY = False
    assert client_address(request_from("203.0.113.9", "198.51.100.7")) == "203.0.113.9"


@pytest.mark.parametrize(
    ("forwarded_for", "expected"),
    [
        ("198.51.100.7", "198.51.100.7"),
        # The client sent a made-up first entry; the proxy appended the real address.
        ("1.2.3.4, 198.51.100.7", "198.51.100.7"),
        ("1.2.3.4,2001:db8::1", "2001:db8::1"),
        # No usable entry: the proxy's own address, so such requests share one count.
        ("", "10.0.0.1"),
        ("not-an-address", "10.0.0.1"),
        ("1.2.3.4, 999.1.1.1", "10.0.0.1"),
    ],
)
def test_behind_the_proxy_the_last_forwarded_address_counts(settings, forwarded_for, expected):
    settings.BEHIND_PROXY = True
    assert client_address(request_from("10.0.0.1", forwarded_for)) == expected


def test_no_address_at_all_is_counted_as_unknown(settings):
    settings.BEHIND_PROXY = True
    assert client_address(request_from("", None)) == UNKNOWN_ADDRESS
