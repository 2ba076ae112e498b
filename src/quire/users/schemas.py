"""The user objects of tag Users."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from quire.core.pages import ListPage
from quire.core.schemas import ApiModel, RequestModel


class SequenceUserRead(ApiModel):
    id: str
    email: str
    sequence_account_ids: list[str]
    state: str


class SequenceUserPage(ListPage[SequenceUserRead]):
    pass


class SequenceUserUpdate(RequestModel):
    sequence_account_ids: Annotated[list[Annotated[str, Field(max_length=36)]], Field(min_length=1, max_length=100)]


class SequenceUserUpdateRead(ApiModel):
    id: str
    sequence_account_ids: list[str]
