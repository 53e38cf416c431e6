"""``/v1/feeds``: the in-app inbox's feeds, through the dashboard's services."""

from django.core.exceptions import ValidationError
from django.utils.text import slugify
from ninja import Schema, Status
from ninja.decorators import decorate_view
from pydantic import Field

from api.api import key_router
from api.authentication import key_may
from api.errors import found_or_404
from api.schemas.common import (
    ADMISSION_ERRORS,
    SLUG_OR_EMPTY,
    Envelope,
    Error,
    InputSchema,
    text_of,
)
from environments.policy import Write
from workflows import services
from workflows.models import Feed
from workflows.selectors import feed_get_by_public_id, feed_list

router = key_router(tags=["Feeds"])


class FeedIn(InputSchema):
    name: text_of(Feed, "name", required=True)
    identifier: text_of(Feed, "identifier", pattern=SLUG_OR_EMPTY) | None = Field(
        None, description="Unique in the environment; derived from the name when left out."
    )


class FeedOut(Schema):
    id: str = Field(alias="_id")
    name: str
    identifier: str
    environmentId: str = Field(alias="_environmentId")
    organizationId: str = Field(alias="_organizationId")
    createdAt: str
    updatedAt: str

    model_config = {"populate_by_name": True}


def feed_out(feed: Feed, environment) -> dict:
    return {
        "_id": str(feed.public_id),
        "name": feed.name,
        "identifier": feed.identifier,
        "_environmentId": str(environment.pk),
        "_organizationId": str(environment.organization_id),
        "createdAt": feed.created_at.isoformat(),
        "updatedAt": feed.updated_at.isoformat(),
    }


def _feeds(environment) -> list[dict]:
    return [feed_out(feed, environment) for feed in feed_list()]


@router.get("", response={200: Envelope[list[FeedOut]], **ADMISSION_ERRORS}, by_alias=True)
def feed_index(request):
    return {"data": _feeds(request.environment)}


@router.post(
    "",
    response={201: Envelope[FeedOut], 400: Error, 403: Error, 409: Error, **ADMISSION_ERRORS},
    by_alias=True,
)
@decorate_view(key_may(Write.CONTENT))
def feed_create(request, payload: FeedIn):
    identifier = payload.identifier or slugify(payload.name)
    if not identifier:
        raise ValidationError(
            {"name": "Give the feed a name with letters or digits, or give it an identifier."}
        )
    feed = services.feed_create(
        environment=request.environment,
        name=payload.name,
        identifier=identifier,
        actor=request.api_key,
    )
    return Status(201, {"data": feed_out(feed, request.environment)})


@router.delete(
    "/{feed_id}",
    response={200: Envelope[list[FeedOut]], 403: Error, 404: Error, 409: Error, **ADMISSION_ERRORS},
    by_alias=True,
)
@decorate_view(key_may(Write.CONTENT))
def feed_delete(request, feed_id: str):
    """Refused (409) while in-app steps post into the feed. Answers with the feeds left."""
    feed = found_or_404(
        feed_get_by_public_id, feed_id, what="feed", environment=request.environment
    )
    services.feed_delete(feed=feed, actor=request.api_key)
    return {"data": _feeds(request.environment)}
