"""Quiet hours: whether the tenant is open at a local time."""

from __future__ import annotations

from datetime import datetime

from config.schema.tenant import WEEKDAYS, TenantSettings

__all__ = ["is_open"]


def _minutes(clock: str) -> int:
    h, m = clock.split(":")
    return int(h) * 60 + int(m)


def is_open(tenant: TenantSettings, local: datetime) -> bool:
    day = tenant.hours[WEEKDAYS[local.weekday()]]
    if day.closed or day.open is None or day.close is None:
        return False
    now = local.hour * 60 + local.minute
    return _minutes(day.open) <= now < _minutes(day.close)
