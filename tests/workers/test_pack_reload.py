"""Pack hot reload: an edited pack folder is served without a restart; a broken edit never is."""

from __future__ import annotations

import shutil
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from config.compile.compiled import CompiledPack
from engine import ConversationState, decide
from storage import Database
from tests.e2e.fixtures import Backend
from tests.e2e.harness import REPO, service_settings
from workers.pack_reload import PackReloader, PackWatcher, reloader_for
from workers.runtime import Runtime
from workers.service import WorkerPool, build_runtime
from workers.tenants import TenantRegistry, compile_pack_dir

OLD_ADDRESS = "ул. Абая 150"
NEW_ADDRESS = "ул. Сатпаева 7"
WHERE = "Где вы находитесь?"
NOW = datetime(2026, 3, 4, 7, 0, tzinfo=UTC)  # 12:00 in Almaty


@pytest.fixture
def packs_dir(tmp_path: Path) -> Path:
    root = tmp_path / "packs"
    shutil.copytree(REPO / "packs" / "demo_salon", root / "demo_salon")
    return root


@pytest.fixture
def registry(embedded_backend: Backend, packs_dir: Path) -> TenantRegistry:
    db = embedded_backend.db
    found = TenantRegistry(db.session_factory)
    found.add(compile_pack_dir(packs_dir / "demo_salon"), webhook_secret="s", chatflow_token="t")
    return found


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def where_reply(pack: CompiledPack) -> str:
    return decide(pack, ConversationState(), WHERE, NOW).reply


def test_an_edited_fact_is_served_by_the_next_decision(registry: TenantRegistry, packs_dir: Path) -> None:
    reloader = PackReloader(registry, packs_dir, trust_current=True)
    before = registry.get("demo_salon").pack
    assert OLD_ADDRESS in where_reply(before)
    assert [r.status for r in reloader.check()] == ["unchanged"]

    edit(packs_dir / "demo_salon" / "facts.yaml", OLD_ADDRESS, NEW_ADDRESS)
    [result] = reloader.check()

    after = registry.get("demo_salon").pack
    assert result.status == "reloaded"
    assert (result.old_version, result.new_version) == (before.version, after.version)
    assert before.version != after.version
    assert NEW_ADDRESS in where_reply(after) and OLD_ADDRESS not in where_reply(after)
    assert [r.status for r in reloader.check()] == ["unchanged"]


def test_a_same_size_rewrite_right_after_a_check_is_still_seen(
    registry: TenantRegistry, packs_dir: Path
) -> None:
    reloader = PackReloader(registry, packs_dir, trust_current=True)
    facts = packs_dir / "demo_salon" / "facts.yaml"
    edit(facts, "Абая 150", "Абая 151")  # same length: only the content (or mtime) tells
    assert reloader.check()[0].status == "reloaded"
    edit(facts, "Абая 151", "Абая 152")
    [result] = reloader.check()
    assert result.status == "reloaded"
    assert "Абая 152" in where_reply(registry.get("demo_salon").pack)


def test_a_broken_edit_keeps_the_old_pack_and_names_file_and_line(
    registry: TenantRegistry, packs_dir: Path
) -> None:
    reloader = PackReloader(registry, packs_dir, trust_current=True)
    served = registry.get("demo_salon").pack.version
    intents = packs_dir / "demo_salon" / "intents.yaml"
    lines = intents.read_text(encoding="utf-8").splitlines()
    line_no = next(i for i, line in enumerate(lines, 1) if line.strip().startswith("- id:"))
    lines[line_no - 1] = lines[line_no - 1].replace("- id:", "- idd:")
    intents.write_text("\n".join(lines) + "\n", encoding="utf-8")

    [result] = reloader.check()

    assert result.status == "failed"
    assert registry.get("demo_salon").pack.version == served
    assert any(f"intents.yaml:{line_no}:" in e for e in result.errors), result.errors
    assert OLD_ADDRESS in where_reply(registry.get("demo_salon").pack)  # still answering
    again = reloader.check()[0]  # the same broken content: reported again, not recompiled
    assert again.status == "failed" and again.errors == result.errors and again.seconds == 0.0

    lines[line_no - 1] = lines[line_no - 1].replace("- idd:", "- id:")
    intents.write_text("\n".join(lines) + "\n", encoding="utf-8")
    edit(packs_dir / "demo_salon" / "facts.yaml", OLD_ADDRESS, NEW_ADDRESS)
    assert reloader.check()[0].status == "reloaded"
    assert NEW_ADDRESS in where_reply(registry.get("demo_salon").pack)


def test_a_renamed_tenant_or_a_new_folder_is_not_served_until_a_restart(
    registry: TenantRegistry, packs_dir: Path
) -> None:
    reloader = PackReloader(registry, packs_dir, trust_current=True)
    shutil.copytree(REPO / "packs" / "auto_service", packs_dir / "auto_service")
    edit(packs_dir / "demo_salon" / "tenant.yaml", "id: demo_salon", "id: demo_salon_two")
    results = {r.folder.rsplit("/", 1)[1]: r for r in reloader.check()}
    assert results["auto_service"].status == "not_served"
    assert results["demo_salon"].status == "failed"
    assert "id changed from 'demo_salon' to 'demo_salon_two'" in results["demo_salon"].errors[0]
    assert registry.ids() == ["demo_salon"]


def test_without_a_baseline_the_first_check_compares_versions(
    registry: TenantRegistry, packs_dir: Path
) -> None:
    edit(packs_dir / "demo_salon" / "facts.yaml", OLD_ADDRESS, NEW_ADDRESS)  # edited before any check
    reloader = PackReloader(registry, packs_dir, trust_current=False)
    assert reloader.check()[0].status == "reloaded"
    assert NEW_ADDRESS in where_reply(registry.get("demo_salon").pack)


def test_decisions_during_swaps_see_the_old_or_the_new_pack_never_a_mix(
    registry: TenantRegistry, packs_dir: Path
) -> None:
    old = registry.get("demo_salon").pack
    edit(packs_dir / "demo_salon" / "facts.yaml", OLD_ADDRESS, NEW_ADDRESS)
    new = compile_pack_dir(packs_dir / "demo_salon")
    address = {old.version: OLD_ADDRESS, new.version: NEW_ADDRESS}
    seen: list[tuple[str, str, set[str]]] = []
    done = threading.Event()

    deadline = time.monotonic() + 30

    def customer() -> None:
        # At least 40 turns each, and on until both packs have served: on a loaded machine the swapper
        # thread may not get the GIL during the first 40, and "no mix" proves nothing without a swap.
        turns = 0
        while turns < 40 or (
            {v for v, _, _ in list(seen)} != {old.version, new.version} and time.monotonic() < deadline
        ):
            tenant = registry.get("demo_salon")  # what a worker does once per turn
            d = decide(tenant.pack, ConversationState(), WHERE, NOW)
            seen.append((d.pack_version, d.reply, {e.pack_version for e in d.trace if e.pack_version}))
            turns += 1

    def operator() -> None:
        packs = [new, old]
        n = 0
        while not done.is_set():
            registry.swap(packs[n % 2])
            n += 1
            time.sleep(0.0005)

    swapper = threading.Thread(target=operator)
    swapper.start()
    workers = [threading.Thread(target=customer) for _ in range(3)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=60)
    done.set()
    swapper.join(timeout=10)

    assert len(seen) >= 120
    assert {v for v, _, _ in seen} == {old.version, new.version}  # swaps did happen mid-run
    for version, reply, trace_versions in seen:
        assert address[version] in reply, (version, reply)
        assert trace_versions <= {version}


def _runtime(db: Database, packs_dir: Path, **settings: object) -> Runtime:
    return build_runtime(
        service_settings(packs_dir=str(packs_dir), **settings),
        packs=[compile_pack_dir(packs_dir / "demo_salon")],
        db=db,
        migrate=False,
        overrides={"demo_salon": {"webhook_secret": "s", "chatflow_token": "t"}},
    )


def test_the_watcher_serves_an_edit_on_its_own(embedded_backend: Backend, packs_dir: Path) -> None:
    rt = _runtime(embedded_backend.db, packs_dir)
    watcher = PackWatcher(rt, 0.05)
    watcher.start()
    try:
        before = rt.tenants.get("demo_salon").pack.version
        edit(packs_dir / "demo_salon" / "facts.yaml", OLD_ADDRESS, NEW_ADDRESS)
        deadline = time.monotonic() + 20
        while rt.tenants.get("demo_salon").pack.version == before:
            assert time.monotonic() < deadline, "the watcher did not serve the edited pack in 20 s"
            time.sleep(0.02)
    finally:
        watcher.stop()
    assert NEW_ADDRESS in where_reply(rt.tenants.get("demo_salon").pack)
    assert reloader_for(rt).check()[0].status == "unchanged"  # the watcher and the route share one


@pytest.mark.parametrize(("seconds", "sweep", "watching"), [(5.0, True, True), (0.0, True, False),
                                                             (5.0, False, False)])  # fmt: skip
def test_the_worker_pool_watches_packs_unless_turned_off(
    embedded_backend: Backend, packs_dir: Path, seconds: float, sweep: bool, watching: bool
) -> None:
    rt = _runtime(embedded_backend.db, packs_dir, pack_reload_seconds=seconds)
    pool = WorkerPool(rt, sweep=sweep)
    assert (pool._watcher is not None) is watching
