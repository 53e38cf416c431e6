"""Shapes every route shares: Novu's envelope, its pages and its errors."""

from typing import TypeVar

from ninja import Schema
from ninja.schema import DjangoGetter
from pydantic import BaseModel, Field, model_validator

T = TypeVar("T")


class Input(Schema):
    """Base of request bodies: JSON objects only. (Ninja's ``Schema`` also reads attributes of
    any object, so a list sent where an object belongs would pass as an empty object.)"""

    @model_validator(mode="before")
    @classmethod
    def _objects_only(cls, values):
        received = values._obj if isinstance(values, DjangoGetter) else values
        if not isinstance(received, dict | BaseModel):
            raise ValueError("Send a JSON object.")
        return values


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
