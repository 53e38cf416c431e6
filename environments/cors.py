"""CORS for the client-side routes (``/v1/widgets/``): only origins an environment lists.

django-cors-headers answers preflights and adds the headers; this module decides, per request,
whether the ``Origin`` may read the answer (its ``check_request_enabled`` signal):

- The request names its environment through its token (``Authorization: Bearer``) or, to start
  a session, its Application Identifier; admission records it on the request. Then the origin
  must be listed by that environment.
- A preflight (``OPTIONS``) carries no credentials and no body, so nothing in it names an
  environment: it passes for an origin that any environment lists. The request that follows
  is checked against its own environment, and the admission refuses it (403) before anything
  runs when its environment does not list the origin, so a preflight that passed lets nothing
  through by itself. Listing an origin in one's own environment gains nothing elsewhere.
- No cookies are involved (``CORS_ALLOW_CREDENTIALS`` is off): the token is the credential,
  and whoever holds it could use it without a browser anyway. CORS here keeps other sites'
  pages from using an environment's feed from their visitors' browsers.
"""

from corsheaders.signals import check_request_enabled
from django.core.exceptions import DisallowedHost
from django.dispatch import receiver

from environments.services import client_origin_allowed

CLIENT_ROUTES_PREFIX = "/v1/widgets/"


def is_same_origin(request, origin: str) -> bool:
    try:
        return origin == f"{request.scheme}://{request.get_host()}"
    except DisallowedHost:
        return False


def request_origin_allowed(request) -> bool:
    """Whether the request's ``Origin`` is listed for the environment the request concerns
    (``request.client_environment_id``, set by admission), or, before any environment is
    known, by any environment. Computed once per request."""
    environment_id = getattr(request, "client_environment_id", None)
    cached = getattr(request, "_client_origin_verdict", None)
    if cached is not None and cached[0] == environment_id:
        return cached[1]
    origin = request.headers.get("Origin", "")
    allowed = client_origin_allowed(origin=origin, environment_id=environment_id)
    request._client_origin_verdict = (environment_id, allowed)
    return allowed


def origin_refused(request, environment) -> bool:
    """A browser request from a page of an origin that ``environment`` does not list."""
    request.client_environment_id = environment.pk
    origin = request.headers.get("Origin")
    if not origin or is_same_origin(request, origin):
        return False
    return not request_origin_allowed(request)


@receiver(check_request_enabled)
def allow_listed_origins(sender, request, **kwargs) -> bool:
    # The signal is also asked about every other path (whether CORS applies at all): those
    # cost nothing and get no CORS headers.
    if not request.path_info.startswith(CLIENT_ROUTES_PREFIX):
        return False
    if not request.headers.get("Origin"):
        return False
    return request_origin_allowed(request)
