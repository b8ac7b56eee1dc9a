"""Declarative base, naming convention and column helpers shared by every table."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import Enum, ForeignKey, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.coltypes import UTCDateTime, utcnow

__all__ = ["Base", "TenantScoped", "created_at_column", "enum_column", "new_id"]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

TENANT_ID_LENGTH = 64
"""Maximum length of a tenant slug."""


def new_id() -> uuid.UUID:
    """A fresh random row id (ids are generated client-side so a transaction knows them up front)."""
    return uuid.uuid4()


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


def enum_column(enum: type[StrEnum], name: str) -> Enum:
    """A VARCHAR + CHECK column type for ``enum`` (portable: no native PostgreSQL enum to migrate)."""
    return Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=16,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )


def created_at_column() -> Mapped[datetime]:
    return mapped_column(default=utcnow)


class TenantScoped:
    """Mixin: the ``tenant_id`` column every tenant-owned table starts with."""

    tenant_id: Mapped[str] = mapped_column(
        String(TENANT_ID_LENGTH),
        ForeignKey("tenants.id", ondelete="CASCADE"),
        primary_key=True,
        sort_order=-10,
    )
