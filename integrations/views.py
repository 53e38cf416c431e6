from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from environments.policy import Write, writes
from environments.refusals import refusal_response
from environments.secrets import EncryptionKeysMissing, SecretUnreadable
from integrations.forms import IntegrationForm, SendTestForm
from integrations.models import Integration
from integrations.providers import provider_get, provider_groups
from integrations.selectors import integration_get, integration_list
from integrations.services import (
    integration_create,
    integration_delete,
    integration_set_primary,
    integration_test_send,
    integration_update,
)

# Integrations are environment-local settings: every view declares Write.SETTINGS, which the
# read-only guard lets through in Production, and which the policy gives to admins only.


def _integration_or_404(public_id) -> Integration:
    try:
        return integration_get(public_id=public_id)
    except Integration.DoesNotExist as missing:
        raise Http404("No such integration in this environment.") from missing


def _apply_errors(form, refused: ValidationError) -> None:
    if hasattr(refused, "error_dict"):
        for field_name, errors in refused.message_dict.items():
            form.add_error(field_name if field_name in form.fields else None, errors)
    else:
        form.add_error(None, refused.messages)


def _index(request):
    return redirect("integrations:index", **request.environment.url_kwargs)


def _list_response(request):
    """The list, whole or (for htmx) just its fragment; messages ride along out of band."""
    template = "integrations/index.html"
    if request.htmx:
        template += "#integration_list"
    return TemplateResponse(request, template, {"integrations": integration_list()})


@writes(Write.SETTINGS)
@require_safe
def integration_index(request, organization_slug, environment_slug):
    return _list_response(request)


@writes(Write.SETTINGS, page=True)
@require_safe
def integration_store(request, organization_slug, environment_slug):
    return TemplateResponse(request, "integrations/store.html", {"groups": provider_groups()})


@writes(Write.SETTINGS, page=True)
@require_http_methods(["GET", "POST"])
def integration_new(request, organization_slug, environment_slug, provider_id):
    provider = provider_get(provider_id)
    if provider is None or provider.built_in:
        raise Http404("No such provider to add.")
    form = IntegrationForm(request.POST or None, provider=provider)
    if request.method == "POST" and form.is_valid():
        try:
            integration = integration_create(
                environment=request.environment,
                actor=request.user,
                provider_id=provider.id,
                name=form.cleaned_data["name"],
                identifier=form.cleaned_data["identifier"],
                active=form.cleaned_data["active"],
                credentials=form.credentials(),
            )
        except ValidationError as refused:
            _apply_errors(form, refused)
        else:
            messages.success(
                request,
                f"Added “{integration.name}”, Provider Identifier {integration.identifier}.",
            )
            return _index(request)
    context = {"form": form, "provider": provider, "integration": None}
    return TemplateResponse(request, "integrations/form.html", context)


@writes(Write.SETTINGS, page=True)
@require_http_methods(["GET", "POST"])
def integration_edit(request, organization_slug, environment_slug, public_id):
    integration = _integration_or_404(public_id)
    provider = integration.provider
    if provider is None:
        raise Http404("This integration's provider is no longer supported.")
    try:
        stored, unreadable = integration.credentials, ""
    except (SecretUnreadable, EncryptionKeysMissing) as problem:
        stored, unreadable = {}, str(problem)
    form = IntegrationForm(
        request.POST or None, provider=provider, integration=integration, stored=stored
    )
    if request.method == "POST" and form.is_valid():
        try:
            integration = integration_update(
                integration=integration,
                actor=request.user,
                name=form.cleaned_data["name"],
                identifier=form.cleaned_data.get("identifier"),
                active=form.cleaned_data["active"],
                credentials=form.credentials() if provider.fields else None,
            )
        except ValidationError as refused:
            _apply_errors(form, refused)
        else:
            messages.success(request, f"Saved “{integration.name}”.")
            return _index(request)
    context = {
        "form": form,
        "provider": provider,
        "integration": integration,
        "unreadable": unreadable,
    }
    return TemplateResponse(request, "integrations/form.html", context)


def _refused(request, refused: ValidationError, *, title: str):
    status = getattr(refused, "status", 400)
    return refusal_response(request, message=" ".join(refused.messages), status=status, title=title)


@writes(Write.SETTINGS)
@require_POST
def integration_primary(request, organization_slug, environment_slug, public_id):
    integration = _integration_or_404(public_id)
    try:
        integration = integration_set_primary(integration=integration, actor=request.user)
    except ValidationError as refused:
        return _refused(request, refused, title="Cannot make it primary")
    messages.success(
        request,
        f"“{integration.name}” is now the primary {integration.get_channel_display().lower()} "
        "integration.",
    )
    return _list_response(request) if request.htmx else _index(request)


@writes(Write.SETTINGS)
@require_POST
def integration_activation(request, organization_slug, environment_slug, public_id):
    integration = _integration_or_404(public_id)
    active = request.POST.get("active") == "true"
    try:
        integration = integration_update(integration=integration, actor=request.user, active=active)
    except ValidationError as refused:
        return _refused(request, refused, title="Cannot activate it")
    state = "active" if integration.active else "inactive"
    messages.success(request, f"“{integration.name}” is {state}.")
    return _list_response(request) if request.htmx else _index(request)


@writes(Write.SETTINGS, page=True)
@require_http_methods(["GET", "POST"])
def integration_remove(request, organization_slug, environment_slug, public_id):
    integration = _integration_or_404(public_id)
    if request.method == "POST":
        try:
            integration_delete(integration=integration, actor=request.user)
        except ValidationError as refused:
            return _refused(request, refused, title="Cannot delete it")
        messages.success(request, f"Deleted “{integration.name}” and its credentials.")
        return _index(request)
    return TemplateResponse(request, "integrations/delete.html", {"integration": integration})


@writes(Write.SETTINGS, page=True)
@require_http_methods(["GET", "POST"])
def integration_test(request, organization_slug, environment_slug, public_id):
    integration = _integration_or_404(public_id)
    provider = integration.provider
    if provider is None or provider.test_destination is None:
        raise Http404("This integration has nothing to send a test through.")
    form = SendTestForm(request.POST or None, prompt=provider.test_destination)
    answer = None
    if request.method == "POST" and form.is_valid():
        try:
            answer = integration_test_send(
                integration=integration,
                actor=request.user,
                destination=form.cleaned_data["destination"],
            )
        except ValidationError as refused:
            _apply_errors(form, refused)
    context = {"integration": integration, "provider": provider, "form": form, "answer": answer}
    template = "integrations/test.html"
    if request.htmx:
        template += "#send_test"
    response = TemplateResponse(request, template, context)
    response["Cache-Control"] = "no-store"
    return response
