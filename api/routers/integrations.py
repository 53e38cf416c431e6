"""``/v1/integrations``: the key's environment's integrations (Novu's integrations API).

Credentials are write-only: every answer masks the secret fields. Integrations are
environment-local settings, written with a key of the environment in every environment,
Production included (``Write.SETTINGS``); the services ask the policy again.
"""

import uuid
from typing import Literal

from django.http import Http404
from ninja import Schema, Status
from pydantic import Field

from api.api import key_router
from api.schemas.common import Envelope, Error, InputSchema
from environments.secrets import EncryptionKeysMissing, SecretUnreadable
from integrations.models import Integration
from integrations.selectors import integration_active_list, integration_get, integration_list
from integrations.services import (
    integration_create,
    integration_delete,
    integration_set_primary,
    integration_update,
)

router = key_router(tags=["Integrations"])

CredentialValue = str | bool | int | None
ChannelName = Literal["email", "chat", "sms", "in_app"]


class IntegrationOut(Schema):
    id: str = Field(alias="_id")
    environmentId: str = Field(alias="_environmentId")
    organizationId: str = Field(alias="_organizationId")
    providerId: str
    channel: str
    name: str
    identifier: str
    active: bool
    primary: bool
    credentials: dict[str, CredentialValue]
    createdAt: str
    updatedAt: str

    model_config = {"populate_by_name": True}


class IntegrationCreateIn(InputSchema):
    providerId: str = Field(max_length=40)
    channel: ChannelName | None = None
    name: str | None = Field(None, max_length=1_000)
    identifier: str | None = Field(None, max_length=1_000)
    active: bool = False
    primary: bool = False
    credentials: dict[str, CredentialValue] | None = Field(None, max_length=50)
    # Novu's clients ask the server to check the connection; Herald checks with "Send test".
    check: bool | None = None


class IntegrationUpdateIn(InputSchema):
    providerId: str | None = Field(None, max_length=40)
    channel: ChannelName | None = None
    name: str | None = Field(None, max_length=1_000)
    identifier: str | None = Field(None, max_length=1_000)
    active: bool | None = None
    credentials: dict[str, CredentialValue] | None = Field(None, max_length=50)
    check: bool | None = None


def integration_out(integration: Integration) -> dict:
    provider = integration.provider
    try:
        credentials = provider.masked(integration.credentials) if provider else {}
    except (SecretUnreadable, EncryptionKeysMissing):
        credentials = {}
    return {
        "_id": str(integration.public_id),
        "_environmentId": str(integration.environment_id),
        "_organizationId": str(integration.environment.organization_id),
        "providerId": integration.provider_id,
        "channel": integration.channel,
        "name": integration.name,
        "identifier": integration.identifier,
        "active": integration.active,
        "primary": integration.primary,
        "credentials": credentials,
        "createdAt": integration.created_at.isoformat(),
        "updatedAt": integration.updated_at.isoformat(),
    }


def _listed(rows) -> dict:
    return {"data": [integration_out(row) for row in rows.select_related("environment")]}


def _integration_or_404(integration_id: str) -> Integration:
    try:
        return integration_get(public_id=uuid.UUID(integration_id))
    except (ValueError, Integration.DoesNotExist) as missing:
        raise Http404(f"No integration {integration_id} in this environment.") from missing


READ = {401: Error, 429: Error}
WRITE = {400: Error, 401: Error, 404: Error, 409: Error, 413: Error, 429: Error, 503: Error}


@router.get("", response={200: Envelope[list[IntegrationOut]], **READ}, by_alias=True)
def integration_all(request):
    return _listed(integration_list())


@router.get("/active", response={200: Envelope[list[IntegrationOut]], **READ}, by_alias=True)
def integration_active(request):
    return _listed(integration_active_list())


@router.post("", response={201: Envelope[IntegrationOut], **WRITE}, by_alias=True)
def integration_add(request, payload: IntegrationCreateIn):
    integration = integration_create(
        environment=request.environment,
        actor=request.api_key,
        provider_id=payload.providerId,
        channel=payload.channel,
        name=payload.name or "",
        identifier=payload.identifier or "",
        credentials=payload.credentials,
        active=payload.active,
        primary=payload.primary,
    )
    return Status(201, {"data": integration_out(integration)})


@router.put("/{integration_id}", response={200: Envelope[IntegrationOut], **WRITE}, by_alias=True)
def integration_change(request, integration_id: str, payload: IntegrationUpdateIn):
    integration = integration_update(
        integration=_integration_or_404(integration_id),
        actor=request.api_key,
        name=payload.name,
        identifier=payload.identifier,
        credentials=payload.credentials,
        active=payload.active,
        provider_id=payload.providerId,
        channel=payload.channel,
    )
    return {"data": integration_out(integration)}


@router.delete(
    "/{integration_id}", response={200: Envelope[list[IntegrationOut]], **WRITE}, by_alias=True
)
def integration_remove(request, integration_id: str):
    """Answers with the integrations that remain, as Novu does."""
    integration_delete(integration=_integration_or_404(integration_id), actor=request.api_key)
    return _listed(integration_list())


@router.post(
    "/{integration_id}/set-primary",
    response={200: Envelope[IntegrationOut], **WRITE},
    by_alias=True,
)
def integration_primary(request, integration_id: str):
    integration = integration_set_primary(
        integration=_integration_or_404(integration_id), actor=request.api_key
    )
    return {"data": integration_out(integration)}
