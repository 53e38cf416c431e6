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


READ_ONLY_MESSAGE_START = "is read-only. Make changes in"


def read_only_refusal(request):
    environment = request.environment
    message = (
        f"{environment.name} {READ_ONLY_MESSAGE_START} {environment.upstream.name}, "
        "then promote them on the Changes page."
    )
    return refusal_response(request, message=message, status=403, title="Read-only environment")
