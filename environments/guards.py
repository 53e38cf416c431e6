"""Server-side guards for writes: read-only environments and roles.

Read-only is decided here and in ``EnvironmentScopeMiddleware``; templates only reflect it.
"""

from functools import wraps

from django.core.exceptions import PermissionDenied

from environments.permissions import require_role
from environments.refusals import read_only_refusal

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def writable_environment_required(view):
    """Refuse unsafe methods with 403 when the request's environment is read-only."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        if request.method not in SAFE_METHODS and request.environment.is_read_only:
            return read_only_refusal(request)
        return view(request, *args, **kwargs)

    guarded.writes_promotable_content = True
    return guarded


def environment_local(view):
    """Mark a view whose writes never promote (API keys, integrations, members).

    Such writes are allowed in a read-only environment; the view still checks the role.
    """
    view.writes_promotable_content = False
    return view


def role_required_for_writes(*roles: str):
    """Let anyone in the organization read; refuse unsafe methods to roles not listed."""

    def decorator(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if request.method not in SAFE_METHODS:
                require_role(user=request.user, organization=request.organization, roles=roles)
            return view(request, *args, **kwargs)

        return guarded

    return decorator


def role_required(*roles: str):
    """Refuse every method to roles not listed (pages that only some roles may even see)."""

    def decorator(view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if request.membership.role not in roles:
                raise PermissionDenied("Your role in this organization cannot open this page.")
            return view(request, *args, **kwargs)

        return guarded

    return decorator


def edit_page(view):
    """Refuse even the GET of a page that exists only to edit (forms, confirmations), so a
    read-only environment or a viewer never sees an edit form."""

    @wraps(view)
    def guarded(request, *args, **kwargs):
        if request.environment.is_read_only:
            return read_only_refusal(request)
        if not request.membership.can_edit:
            raise PermissionDenied("Your role can read this content but not change it.")
        return view(request, *args, **kwargs)

    return guarded
