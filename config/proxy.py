"""Where a request comes from, for the throttles (sign-up, logins) that count per client."""

import ipaddress

from django.conf import settings

# Counted when no address is known (a server on a Unix socket with no proxy header).
UNKNOWN_ADDRESS = "0.0.0.0"


def _valid(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def client_address(request) -> str:
    """The client's IP address: ``REMOTE_ADDR``, or behind a proxy (``BEHIND_PROXY``) the last
    address in ``X-Forwarded-For``, the one that proxy appended.

    Earlier entries come from the client and can say anything, so they are never trusted.
    """
    if settings.BEHIND_PROXY:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").rsplit(",", 1)[-1]
        if address := _valid(forwarded):
            return address
    return _valid(request.META.get("REMOTE_ADDR") or "") or UNKNOWN_ADDRESS
