"""The tenant directory: the only repository that is not scoped to one tenant."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from storage.coltypes import utcnow
from storage.db import SessionFactory
from storage.errors import InvalidValue, NotFound
from storage.models import Tenant
from storage.records import TenantRecord
from storage.repos.base import Clock, transaction, validate_tenant_id
from storage.repos.convert import tenant_record

__all__ = ["ENV_VAR_NAME", "TenantDirectory"]

ENV_VAR_NAME = re.compile(r"^[A-Z][A-Z0-9_]{0,127}$")
_DIRECTORY = "(directory)"


def _check_secret_refs(secret_refs: Mapping[str, str]) -> dict[str, str]:
    for name, env_name in secret_refs.items():
        if not isinstance(env_name, str) or not ENV_VAR_NAME.fullmatch(env_name):
            # Never echo the value: if it is not an env var name it may be the secret itself.
            length = len(env_name) if isinstance(env_name, str) else 0
            raise InvalidValue(
                f"secret_refs[{name!r}]",
                f"a value of {length} characters is not an environment variable name",
                "store the NAME of the env var holding the secret (e.g. DEMO_SALON_WEBHOOK_SECRET), "
                "never the secret itself",
            )
    return dict(secret_refs)


class TenantDirectory:
    """Create, update and look up tenants."""

    def __init__(self, session_factory: SessionFactory, *, clock: Clock = utcnow) -> None:
        self._session_factory = session_factory
        self._clock = clock

    def upsert(
        self,
        tenant_id: str,
        display_name: str,
        *,
        settings: Mapping[str, Any] | None = None,
        secret_refs: Mapping[str, str] | None = None,
        chatflow_instance_id: str | None = None,
        telegram_chat_id: int | None = None,
        insecure_demo: bool = False,
    ) -> TenantRecord:
        """Create the tenant or overwrite its fields (``created_at`` is kept)."""
        validate_tenant_id(tenant_id)
        refs = _check_secret_refs(secret_refs or {})
        with transaction(self._session_factory, "upsert tenant", tenant_id) as session:
            row = session.get(Tenant, tenant_id, with_for_update=True)
            if row is None:
                row = Tenant(id=tenant_id, created_at=self._clock())
                session.add(row)
            row.display_name = display_name
            row.settings = dict(settings or {})
            row.secret_refs = refs
            row.chatflow_instance_id = chatflow_instance_id
            row.telegram_chat_id = telegram_chat_id
            row.insecure_demo = insecure_demo
            session.flush()
            return tenant_record(row)

    def get(self, tenant_id: str) -> TenantRecord:
        found = self.find(tenant_id)
        if found is None:
            raise NotFound("tenant", tenant_id, tenant_id)
        return found

    def find(self, tenant_id: str) -> TenantRecord | None:
        with transaction(self._session_factory, "find tenant", tenant_id) as session:
            row = session.get(Tenant, tenant_id)
            return tenant_record(row) if row is not None else None

    def list_ids(self) -> list[str]:
        with transaction(self._session_factory, "list tenants", _DIRECTORY) as session:
            return list(session.scalars(select(Tenant.id).order_by(Tenant.id)).all())

    def find_by_telegram_chat(self, chat_id: int) -> TenantRecord | None:
        """The tenant whose manager group is ``chat_id`` (routing Telegram updates to a tenant)."""
        with transaction(self._session_factory, "find tenant by telegram chat", _DIRECTORY) as session:
            row = session.scalars(select(Tenant).where(Tenant.telegram_chat_id == chat_id)).first()
            return tenant_record(row) if row is not None else None

    def delete(self, tenant_id: str) -> bool:
        """Delete the tenant and, by cascade, every row it owns. True if it existed."""
        with transaction(self._session_factory, "delete tenant", tenant_id) as session:
            row = session.get(Tenant, tenant_id)
            if row is None:
                return False
            session.delete(row)
            return True
