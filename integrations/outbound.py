"""Outbound HTTP to providers: always with a timeout, never to Herald's own network by surprise.

Webhook and gateway URLs come from operators and from subscribers' credentials (through the
API). Unless ``INTEGRATION_ALLOW_PRIVATE_NETWORKS`` is set, a URL whose host resolves to a
private, loopback, link-local or otherwise reserved address is refused before any request,
so a webhook cannot be aimed at a metadata service or an internal admin page.
"""

import ipaddress
import socket
from urllib.parse import urlsplit

import requests
from django.conf import settings

from integrations.answers import (
    ProviderAnswer,
    failed,
    http_status_is_retryable,
    retry_after_seconds,
    sent,
    trimmed_body,
)


class DestinationRefused(Exception):
    """The URL may not be called; the message says why, for the operator."""


def provider_timeout() -> float:
    return float(settings.INTEGRATION_TIMEOUT_SECONDS)


def destination_check(url: str) -> None:
    """Raise ``DestinationRefused`` unless ``url`` is an http(s) URL Herald may call."""
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DestinationRefused("Enter a full http:// or https:// address.")
    if settings.INTEGRATION_ALLOW_PRIVATE_NETWORKS:
        return
    try:
        addresses = {
            info[4][0]
            for info in socket.getaddrinfo(
                parts.hostname, parts.port or 443, type=socket.SOCK_STREAM
            )
        }
    except (OSError, UnicodeError) as unresolved:
        raise DestinationRefused(f"The host {parts.hostname} does not resolve.") from unresolved
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if not ip.is_global:
            raise DestinationRefused(
                f"{parts.hostname} is on a private or local network ({ip}); Herald does not "
                "send there. (INTEGRATION_ALLOW_PRIVATE_NETWORKS allows it.)"
            )


def http_send(method: str, url: str, *, success_id=None, **request) -> ProviderAnswer:
    """Call a provider and classify the answer. ``success_id(response)`` picks the provider's
    message id from a successful answer. Never raises for the provider's sake."""
    try:
        destination_check(url)
    except DestinationRefused as refused:
        return failed(detail=str(refused), retryable=False)
    try:
        response = requests.request(
            method, url, timeout=provider_timeout(), allow_redirects=False, **request
        )
    except requests.Timeout:
        return failed(detail=f"No answer within {provider_timeout():g} s.", retryable=True)
    except requests.ConnectionError as unreachable:
        return failed(detail=f"Could not connect: {_reason(unreachable)}", retryable=True)
    except requests.RequestException as broken:
        return failed(detail=f"The request failed: {_reason(broken)}", retryable=False)
    raw = {"status": response.status_code, "body": trimmed_body(response.text)}
    if 200 <= response.status_code < 300:
        message_id = ""
        if success_id is not None:
            try:
                message_id = str(success_id(response) or "")
            except (ValueError, KeyError, TypeError):
                message_id = ""
        return sent(
            detail=f"Accepted ({response.status_code}).",
            raw=raw,
            message_id=message_id,
            http_status=response.status_code,
        )
    return failed(
        detail=f"The provider answered {response.status_code} {response.reason or ''}".strip()
        + ".",
        retryable=http_status_is_retryable(response.status_code),
        raw=raw,
        http_status=response.status_code,
        retry_after=retry_after_seconds(response.headers.get("Retry-After")),
    )


def _reason(error: Exception) -> str:
    # requests' messages name the whole URL, which for a webhook is a secret; the caller
    # redacts the URL from the answer as well.
    return type(error).__name__
