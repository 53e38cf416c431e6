"""``/v1/environments``: the key's environment, its organization's environments, its keys."""

from ninja import Schema
from pydantic import Field

from api.api import key_router
from api.schemas.common import Envelope, Error
from environments.selectors import environment_list_of_organization

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
