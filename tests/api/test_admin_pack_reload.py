"""``POST /admin/packs/reload``: edited packs served now, broken ones reported while the old one serves."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.fixtures import Backend
from tests.e2e.harness import ADMIN_TOKEN, REPO, Service, running_service, service_settings
from workers.tenants import compile_pack_dir

pytestmark = pytest.mark.anyio

ADMIN = {"X-Admin-Token": ADMIN_TOKEN}
WHERE = "Где вы находитесь?"
OLD_ADDRESS = "ул. Абая 150"
NEW_ADDRESS = "ул. Сатпаева 7"


@pytest.fixture
def packs_dir(tmp_path: Path) -> Path:
    root = tmp_path / "packs"
    shutil.copytree(REPO / "packs" / "demo_salon", root / "demo_salon")
    return root


@pytest.fixture
async def served(embedded_backend: Backend, packs_dir: Path) -> AsyncIterator[Service]:
    settings = service_settings(packs_dir=str(packs_dir))
    pack = compile_pack_dir(packs_dir / "demo_salon")
    async with running_service(embedded_backend.db, settings=settings, packs=[pack]) as svc:
        yield svc


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


async def reply_to(svc: Service, text: str, phone: str) -> str:
    before = len(svc.emulator.deliveries)
    await svc.say(text, phone=phone)
    deliveries = await svc.wait_deliveries(before + 1)
    return deliveries[-1].text or ""


async def test_reload_needs_the_admin_token(served: Service) -> None:
    assert (await served.client.post("/admin/packs/reload")).status_code == 401
    response = await served.client.post("/admin/packs/reload", headers={"X-Admin-Token": "nope"})
    assert response.status_code == 401


async def test_an_edited_pack_answers_the_next_message(served: Service, packs_dir: Path) -> None:
    old = served.rt.tenants.get("demo_salon").pack.version
    assert OLD_ADDRESS in await reply_to(served, WHERE, "77010000001")
    body = (await served.client.post("/admin/packs/reload", headers=ADMIN)).json()
    assert body["tenants"]["demo_salon"]["status"] == "unchanged" and body["reloaded"] == 0

    edit(packs_dir / "demo_salon" / "facts.yaml", OLD_ADDRESS, NEW_ADDRESS)
    response = await served.client.post("/admin/packs/reload", headers=ADMIN)

    assert response.status_code == 200
    entry = response.json()["tenants"]["demo_salon"]
    assert entry["status"] == "reloaded" and entry["old_version"] == old
    assert entry["new_version"] == served.rt.tenants.get("demo_salon").pack.version != old
    reply = await reply_to(served, WHERE, "77010000002")
    assert NEW_ADDRESS in reply and OLD_ADDRESS not in reply
    version = (await served.client.get("/admin/version", headers=ADMIN)).json()["packs"]["demo_salon"]
    assert version == entry["new_version"]


async def test_a_broken_pack_is_reported_and_the_old_one_keeps_answering(
    served: Service, packs_dir: Path
) -> None:
    old = served.rt.tenants.get("demo_salon").pack.version
    edit(packs_dir / "demo_salon" / "facts.yaml", OLD_ADDRESS, NEW_ADDRESS)
    edit(packs_dir / "demo_salon" / "intents.yaml", "Адрес: {address.full}", "Адрес: {address.nowhere}")

    body = (await served.client.post("/admin/packs/reload", headers=ADMIN)).json()

    entry = body["tenants"]["demo_salon"]
    assert body["failed"] == 1 and entry["status"] == "failed"
    assert entry["old_version"] == entry["new_version"] == old
    lines = (packs_dir / "demo_salon" / "intents.yaml").read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "{address.nowhere}" in text)
    errors = entry["errors"]
    assert any(f"intents.yaml:{line}:" in e and "address.nowhere" in e for e in errors), errors
    reply = await reply_to(served, WHERE, "77010000003")
    assert OLD_ADDRESS in reply
