"""``/v1/layouts``: email layouts, through the dashboard's services.

Herald's layouts are Liquid: the email's body goes where ``{{ content }}`` is (Novu's
``{{{body}}}`` is not Liquid and is refused with the reason). Novu's ``description`` and
``variables`` are accepted and not stored: a layout's variables are what its content reads.
"""

from django.core.exceptions import ValidationError
from django.utils.text import slugify
from liquid.exceptions import LiquidError
from ninja import Query, Schema, Status
from ninja.decorators import decorate_view
from pydantic import Field

from api.api import key_router
from api.authentication import key_may
from api.errors import fields_named, found_or_404, renamer
from api.pagination import page_of
from api.schemas.common import (
    ADMISSION_ERRORS,
    SLUG_OR_EMPTY,
    CountedPage,
    Envelope,
    Error,
    InputSchema,
    PageQuery,
    Text,
    bounded_text,
    text_of,
)
from branding import services
from branding.models import Layout
from branding.selectors import layout_get_by_public_id, layout_list
from environments.policy import Write
from workflows.liquid import template_variables

router = key_router(tags=["Layouts"])

FIELD_NAMES = renamer({"html": "content", "is_default": "isDefault"})
LayoutName = text_of(Layout, "name", required=True)
Description = bounded_text(1000)
LayoutIdentifier = text_of(Layout, "identifier", pattern=SLUG_OR_EMPTY)


class LayoutIn(InputSchema):
    name: LayoutName
    identifier: LayoutIdentifier | None = None
    description: Description | None = None
    content: Text = Field(description="Liquid HTML with the {{ content }} placeholder.")
    isDefault: bool | None = None
    variables: list[dict] | None = Field(None, max_length=100)


class LayoutPatch(InputSchema):
    name: LayoutName | None = None
    identifier: LayoutIdentifier | None = None
    description: Description | None = None
    content: Text | None = None
    isDefault: bool | None = None
    variables: list[dict] | None = Field(None, max_length=100)


class LayoutQuery(PageQuery):
    pageSize: int | None = Field(None, ge=1, le=100, description="Novu's name for `limit`.")


class LayoutVariable(Schema):
    name: str
    type: str
    required: bool


class LayoutOut(Schema):
    id: str = Field(alias="_id")
    name: str
    identifier: str
    description: str
    content: str
    contentType: str
    channel: str
    isDefault: bool
    variables: list[LayoutVariable]
    environmentId: str = Field(alias="_environmentId")
    organizationId: str = Field(alias="_organizationId")
    createdAt: str
    updatedAt: str

    model_config = {"populate_by_name": True}


def _variables(html: str) -> list[dict]:
    try:
        paths = template_variables(html)
    except LiquidError:
        paths = []
    return [
        {"name": path, "type": "String", "required": False} for path in paths if path != "content"
    ]


def layout_out(layout: Layout, environment) -> dict:
    return {
        "_id": str(layout.public_id),
        "name": layout.name,
        "identifier": layout.identifier,
        "description": "",
        "content": layout.html,
        "contentType": "customHtml",
        "channel": "email",
        "isDefault": layout.is_default,
        "variables": _variables(layout.html),
        "_environmentId": str(environment.pk),
        "_organizationId": str(environment.organization_id),
        "createdAt": layout.created_at.isoformat(),
        "updatedAt": layout.updated_at.isoformat(),
    }


def _layout(request, layout_id: str) -> Layout:
    return found_or_404(
        layout_get_by_public_id, layout_id, what="layout", environment=request.environment
    )


def _identifier(identifier: str | None, name: str) -> str:
    identifier = identifier or slugify(name)
    if not identifier:
        raise ValidationError(
            {"name": "Give the layout a name with letters or digits, or give it an identifier."}
        )
    return identifier


@router.get(
    "", response={200: CountedPage[LayoutOut], 400: Error, **ADMISSION_ERRORS}, by_alias=True
)
def layout_index(request, query: Query[LayoutQuery]):
    return page_of(
        layout_list(),
        page=query.page,
        limit=query.pageSize or query.limit,
        serialize=lambda layout: layout_out(layout, request.environment),
    )


@router.post(
    "",
    response={201: Envelope[LayoutOut], 400: Error, 403: Error, 409: Error, **ADMISSION_ERRORS},
    by_alias=True,
)
@decorate_view(key_may(Write.CONTENT))
def layout_create(request, payload: LayoutIn):
    """The first layout of an environment becomes its default."""
    with fields_named(FIELD_NAMES):
        layout = services.layout_create(
            environment=request.environment,
            name=payload.name,
            identifier=_identifier(payload.identifier, payload.name),
            html=payload.content,
            is_default=bool(payload.isDefault),
            actor=request.api_key,
        )
    return Status(201, {"data": layout_out(layout, request.environment)})


@router.get(
    "/{layout_id}",
    response={200: Envelope[LayoutOut], 404: Error, **ADMISSION_ERRORS},
    by_alias=True,
)
def layout_get(request, layout_id: str):
    return {"data": layout_out(_layout(request, layout_id), request.environment)}


@router.api_operation(
    ["PATCH", "PUT"],
    "/{layout_id}",
    response={
        200: Envelope[LayoutOut],
        400: Error,
        403: Error,
        404: Error,
        409: Error,
        **ADMISSION_ERRORS,
    },
    by_alias=True,
)
@decorate_view(key_may(Write.CONTENT))
def layout_update(request, layout_id: str, payload: LayoutPatch):
    """Fields left out keep their value. The default layout stays the default until another
    is made the default."""
    layout = _layout(request, layout_id)
    with fields_named(FIELD_NAMES):
        layout = services.layout_update(
            layout=layout,
            name=payload.name or layout.name,
            identifier=payload.identifier or layout.identifier,
            html=payload.content if payload.content is not None else layout.html,
            is_default=layout.is_default if payload.isDefault is None else payload.isDefault,
            actor=request.api_key,
        )
    return {"data": layout_out(layout, request.environment)}


@router.delete(
    "/{layout_id}",
    response={204: None, 403: Error, 404: Error, 409: Error, **ADMISSION_ERRORS},
)
@decorate_view(key_may(Write.CONTENT))
def layout_delete(request, layout_id: str):
    """Refused (409) while email steps use it, and for the default while others exist."""
    services.layout_delete(layout=_layout(request, layout_id), actor=request.api_key)
    return Status(204, None)


@router.post(
    "/{layout_id}/default",
    response={204: None, 403: Error, 404: Error, **ADMISSION_ERRORS},
)
@decorate_view(key_may(Write.CONTENT))
def layout_set_default(request, layout_id: str):
    services.layout_make_default(layout=_layout(request, layout_id), actor=request.api_key)
    return Status(204, None)
