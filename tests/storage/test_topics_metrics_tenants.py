"""Telegram topics, daily metrics, and the tenant directory."""

from __future__ import annotations

from datetime import date

import pytest

from storage import Database, InvalidValue, NotFound, TenantDirectory, TenantStore
from tests.storage.helpers import JID, run_parallel

DAY = date(2026, 3, 1)


def test_topic_binding_works_both_ways_and_first_binding_wins(store: TenantStore) -> None:
    customer_id = store.conversations.get_or_create(JID).customer_id
    assert store.topics.bind(customer_id, -100123, 7) == 7
    assert store.topics.bind(customer_id, -100123, 8) == 7
    assert store.topics.thread_for(customer_id, -100123) == 7
    assert store.topics.customer_for(-100123, 7) == customer_id
    assert store.topics.customer_for(-100123, 8) is None


def test_metrics_bumps_add_up_even_concurrently(store: TenantStore) -> None:
    store.metrics.bump(DAY, {"inbound": 1, "escalations": 1})
    run_parallel(10, lambda _: store.metrics.bump(DAY, {"inbound": 1}))
    record = store.metrics.get(DAY)
    assert record is not None and record.counters == {"inbound": 11, "escalations": 1}
    assert [r.day for r in store.metrics.between(DAY, DAY)] == [DAY]
    with pytest.raises(InvalidValue, match="inbound"):
        store.metrics.bump(DAY, {"inbound": 1.5})  # type: ignore[dict-item]


def test_other_tenants_decoy_is_invisible(store: TenantStore, decoy: TenantStore) -> None:
    customer_id = decoy.conversations.get_or_create(JID).customer_id
    decoy.topics.bind(customer_id, -100123, 7)
    decoy.metrics.bump(DAY, {"inbound": 5})
    assert store.topics.customer_for(-100123, 7) is None
    assert store.topics.thread_for(customer_id, -100123) is None
    with pytest.raises(NotFound):
        store.topics.bind(customer_id, -100123, 9)
    assert store.metrics.get(DAY) is None
    assert store.metrics.between(DAY, DAY) == []


def test_tenant_upsert_get_list_and_route_by_chat(directory: TenantDirectory) -> None:
    directory.upsert("demo_salon", "Мира", telegram_chat_id=-1001, settings={"tz": "Asia/Almaty"})
    updated = directory.upsert(
        "demo_salon", "Салон Мира", telegram_chat_id=-1001, secret_refs={"webhook": "DEMO_SALON_SECRET"}
    )
    assert updated.display_name == "Салон Мира" and updated.settings == {}
    assert directory.get("demo_salon").secret_refs == {"webhook": "DEMO_SALON_SECRET"}
    assert directory.find_by_telegram_chat(-1001) == updated
    assert directory.list_ids() == ["demo_salon"]
    with pytest.raises(NotFound):
        directory.get("nobody")


def test_secret_values_are_refused_without_being_echoed(directory: TenantDirectory) -> None:
    with pytest.raises(InvalidValue) as info:
        directory.upsert("acme", "Acme", secret_refs={"webhook": "s3cr3t-value"})
    assert "s3cr3t-value" not in str(info.value)
    assert "environment variable name" in str(info.value)


def test_bad_tenant_slug_is_refused_with_the_rule(db: Database) -> None:
    with pytest.raises(InvalidValue, match="lowercase"):
        TenantStore(db.session_factory, "Acme Inc")


def test_deleting_a_tenant_cascades_to_its_rows_only(
    directory: TenantDirectory, store: TenantStore, decoy: TenantStore
) -> None:
    store.conversations.get_or_create(JID)
    decoy.conversations.get_or_create(JID)
    assert directory.delete("acme")
    assert store.conversations.find_by_jid(JID) is None
    assert decoy.conversations.find_by_jid(JID) is not None
