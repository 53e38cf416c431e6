"""Shapes every route shares: Novu's envelope, its pages and its errors, and text fields."""

from typing import Annotated, TypeVar

from ninja import Schema
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

T = TypeVar("T")


class Envelope[T](Schema):
    data: T


class Page[T](Schema):
    """A page of a table too big to count. It has no ``totalCount`` at all: a ``null`` there
    breaks the novu SDK's ``stream()``, which compares it with a number."""

    page: int
    pageSize: int
    hasMore: bool
    data: list[T]


class CountedPage[T](Page[T]):
    totalCount: int


class Error(Schema):
    statusCode: int
    message: str | list[str]
    error: str


class PageQuery(Schema):
    page: int = Field(0, ge=0, le=100_000)
    limit: int = Field(10, ge=1, le=100)


class InputSchema(BaseModel):
    """A request body or a part of one: a JSON object, read by its keys, its values of the
    declared JSON types (``0`` is not ``false``). Ninja's ``Schema`` would read any object by
    its attributes, taking ``[null, null]`` for an empty body. Keys it does not name are
    ignored: Novu's clients send more than Herald reads."""

    model_config = ConfigDict(strict=True)


class Deleted(Schema):
    acknowledged: bool
    status: str


DELETED = {"acknowledged": True, "status": "deleted"}

# Every route is admitted by an API key: a body over the limit, a missing key and the rate limit
# are answered before the route runs.
ADMISSION_ERRORS = {401: Error, 413: Error, 429: Error}


class AliasedSchema(Schema):
    """Fields named ``_id``, ``_environmentId``… are declared with aliases (pydantic keeps
    leading underscores for private attributes); the routes answer ``by_alias``."""

    model_config = ConfigDict(populate_by_name=True)


def _storable(value: str) -> str:
    # PostgreSQL refuses NUL in text, and a lone surrogate cannot be encoded: either would be
    # a 500 at save time, so they are refused here with the field named.
    if "\x00" in value:
        raise ValueError("must not contain the NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


def _trimmed(value: str) -> str:
    return value.strip()


def _trimmed_required(value: str) -> str:
    value = value.strip()
    if not value:
        raise PydanticCustomError("string_too_short", "String should have at least 1 character")
    return value


# Django's slug: what an identifier may hold. Empty means "derive it from the name".
SLUG_OR_EMPTY = r"^[-a-zA-Z0-9_]*$"


def text_of(model, field_name: str, *, required: bool = False, pattern: str | None = None):
    """A string for ``model.field_name``: trimmed, within the field's ``max_length`` (read from
    the model, so the API follows it), storable; ``required`` refuses an empty one."""
    max_length = model._meta.get_field(field_name).max_length
    # The length is checked as sent, so the document's maxLength is what the server enforces;
    # the value is trimmed afterwards.
    trimmed = _trimmed_required if required else _trimmed
    constraints = StringConstraints(
        min_length=1 if required else 0, max_length=max_length, pattern=pattern
    )
    return Annotated[str, constraints, AfterValidator(_storable), AfterValidator(trimmed)]


def bounded_text(max_length: int | None = None):
    """A storable string of at most ``max_length`` characters, as given (not trimmed)."""
    return Annotated[str, StringConstraints(max_length=max_length), AfterValidator(_storable)]


Text = bounded_text()
