"""Responses that tell the operator why something was refused, for pages and htmx alike."""

from django.template.response import TemplateResponse


def refusal_response(request, *, message: str, status: int, title: str = "Not allowed"):
    """Render ``message`` as a full page, or, for htmx, into the page's one messages area.

    htmx is configured to swap 4xx responses; HX-Retarget sends them to ``#messages`` so the
    operator sees the reason instead of a silent failure.
    """
    context = {"refusal_message": message, "refusal_title": title}
    if getattr(request, "htmx", False):
        response = TemplateResponse(
            request, "components/refusal.html#refusal_message", context, status=status
        )
        response["HX-Retarget"] = "#messages"
        response["HX-Reswap"] = "innerHTML"
    else:
        response = TemplateResponse(request, "components/refusal.html", context, status=status)
    # Rendered here because middleware returns it too, and only views' responses are rendered
    # by the handler.
    return response.render()


def write_refusal_response(request, refused):
    """The response to a write the policy refused: the read-only page names the upstream."""
    if refused.read_only:
        return refusal_response(
            request, message=refused.message, status=403, title="Read-only environment"
        )
    return refusal_response(request, message=refused.message, status=403)
