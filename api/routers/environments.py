"""``/v1/environments``: the key's environment, its organization's environments, its keys."""

from ninja import Schema, Status
from ninja.decorators import decorate_view
from pydantic import Field

from api.api import key_router
from api.authentication import key_may
from api.schemas.common import ADMISSION_ERRORS, Envelope, Error
from environments.policy import Write
from environments.selectors import api_key_usable_list, environment_list_of_organization
from environments.services import DEFAULT_ROTATION_GRACE, ROTATION_GRACE_PERIODS, api_key_rotate

router = key_router(tags=["Environments"])


class EnvironmentOut(Schema):
    id: str = Field(alias="_id")
    name: str
    identifier: str
    organizationId: str = Field(alias="_organizationId")
    parentId: str | None = Field(alias="_parentId")

    model_config = {"populate_by_name": True}


def environment_out(environment) -> dict:
    return {
        "_id": str(environment.pk),
        "name": environment.name,
        "identifier": environment.application_identifier,
        "_organizationId": str(environment.organization_id),
        "_parentId": str(environment.upstream_id) if environment.upstream_id else None,
    }


@router.get("/me", response={200: Envelope[EnvironmentOut], 401: Error, 429: Error}, by_alias=True)
def environment_current(request):
    return {"data": environment_out(request.environment)}


@router.get(
    "", response={200: Envelope[list[EnvironmentOut]], 401: Error, 429: Error}, by_alias=True
)
def environment_all(request):
    environments = environment_list_of_organization(organization=request.environment.organization)
    return {"data": [environment_out(environment) for environment in environments]}


class ApiKeyOut(Schema):
    key: str = Field(description="The key's visible prefix: Herald stores only digests.")
    userId: str | None = Field(alias="_userId")
    name: str
    expiresAt: str | None = None

    model_config = {"populate_by_name": True}


class IssuedApiKeyOut(Schema):
    key: str = Field(description="The new secret, in full: shown this once.")
    userId: str | None = Field(alias="_userId")
    name: str

    model_config = {"populate_by_name": True}


def api_key_out(api_key) -> dict:
    return {
        "key": f"{api_key.prefix}…",
        "_userId": str(api_key.created_by_id) if api_key.created_by_id else None,
        "name": api_key.name,
        "expiresAt": api_key.expires_at.isoformat() if api_key.expires_at else None,
    }


@router.get(
    "/api-keys",
    response={200: Envelope[list[ApiKeyOut]], **ADMISSION_ERRORS},
    by_alias=True,
)
def environment_api_keys(request):
    """The environment's keys that still work, masked. A key being rotated out shows when it
    expires."""
    return {"data": [api_key_out(api_key) for api_key in api_key_usable_list()]}


@router.post(
    "/api-keys/regenerate",
    response={201: Envelope[list[IssuedApiKeyOut]], 403: Error, **ADMISSION_ERRORS},
    by_alias=True,
)
@decorate_view(key_may(Write.SETTINGS))
def environment_api_key_regenerate(request):
    """Replace the key of this request with a new one, returned in full this once. The old key
    keeps working for the default grace period, so deployments can switch over."""
    issued = api_key_rotate(
        api_key=request.api_key,
        grace=ROTATION_GRACE_PERIODS[DEFAULT_ROTATION_GRACE],
        actor=request.api_key,
    )
    new_key = issued.api_key
    return Status(
        201,
        {
            "data": [
                {
                    "key": issued.secret,
                    "_userId": str(new_key.created_by_id) if new_key.created_by_id else None,
                    "name": new_key.name,
                }
            ]
        },
    )
