from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.template.loader import render_to_string
from django.urls import Resolver404, resolve
from django_htmx.http import HttpResponseClientRedirect

from accounts.models import Membership
from environments.models import Environment
from environments.policy import SAFE_METHODS, Write, WriteRefused, declared_write, read_only_message
from environments.refusals import write_refusal_response
from environments.scoping import environment_scope


class EnvironmentScopeMiddleware:
    """Resolve ``/<organization>/<environment>/`` and run the request inside that scope.

    Non-members and unknown slugs get 404, so organizations cannot be probed. The scope covers
    the view and the rendering of its TemplateResponse, and is left in ``finally``. Unsafe
    methods in a read-only environment are refused here too, for any view that forgot.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return self.get_response(request)
        organization_slug = match.kwargs.get("organization_slug")
        if organization_slug is None:
            return self.get_response(request)
        if not request.user.is_authenticated:
            login_redirect = redirect_to_login(request.get_full_path())
            if getattr(request, "htmx", False):
                # A fragment request must not swap the login page into part of a page.
                return HttpResponseClientRedirect(login_redirect["Location"])
            return login_redirect

        membership = (
            Membership.objects.select_related("organization")
            .filter(organization__slug=organization_slug, user=request.user)
            .first()
        )
        if membership is None:
            raise Http404("No such organization.")
        request.membership = membership
        request.organization = membership.organization

        environment_slug = match.kwargs.get("environment_slug")
        if environment_slug is None:
            return self.get_response(request)
        environment = (
            Environment.objects.select_related("upstream", "downstream")
            .filter(organization=membership.organization, slug=environment_slug)
            .first()
        )
        if environment is None:
            raise Http404("No such environment.")
        environment.organization = membership.organization
        request.environment = environment

        if (
            request.method not in SAFE_METHODS
            and environment.is_read_only
            and declared_write(match.func) is Write.CONTENT
        ):
            refused = WriteRefused(read_only_message(environment), read_only=True)
            return write_refusal_response(request, refused)

        with environment_scope(environment):
            return self.get_response(request)


class HtmxMessagesMiddleware:
    """Deliver Django messages to htmx responses as an out-of-band swap of ``#messages``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not getattr(request, "htmx", False) or response.streaming:
            return response
        if 300 <= response.status_code < 400 or "HX-Redirect" in response:
            return response
        if response.get("HX-Retarget") == "#messages":
            return response
        pending = list(messages.get_messages(request))
        if not pending:
            return response
        if hasattr(response, "render") and not response.is_rendered:
            response.render()
        response.content += render_to_string(
            "components/messages.html#messages_oob", {"messages": pending}, request=request
        ).encode()
        return response
