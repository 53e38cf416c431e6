"""Shapes every route shares: Novu's envelope, its pages and its errors."""

from typing import TypeVar

from ninja import Schema
from pydantic import Field

T = TypeVar("T")


class Envelope[T](Schema):
    data: T


class Page[T](Schema):
    page: int
    pageSize: int
    totalCount: int | None = None
    hasMore: bool
    data: list[T]


class Error(Schema):
    statusCode: int
    message: str | list[str]
    error: str


class PageQuery(Schema):
    page: int = Field(0, ge=0, le=100_000)
    limit: int = Field(10, ge=1, le=100)
