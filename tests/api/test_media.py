"""Signed media URLs and ``GET /media/{token}``: valid, expired, tampered, another tenant's file."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.media import LocalMediaStore, MediaNotFound, MediaTooLarge
from storage.media_tokens import BadMediaToken, MediaSigner
from tests.e2e.fixtures import Backend
from tests.e2e.harness import Service, running_service, service_settings

pytestmark = pytest.mark.anyio

SECRET = "a-test-media-secret-of-enough-length"
NOW = 1_800_000_000.0


def _retamper(token: str, old: str, new: str) -> str:
    head, _, tail = token.partition(".")
    payload = base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)).decode().replace(old, new)
    return base64.urlsafe_b64encode(payload.encode()).rstrip(b"=").decode() + "." + tail


def test_a_valid_token_names_its_tenant_and_file() -> None:
    signer = MediaSigner(SECRET, ttl_seconds=60)
    ticket = signer.verify(signer.sign("salon_a", "f1", now=NOW), now=NOW + 59)
    assert (ticket.tenant_id, ticket.file_id, ticket.expires) == ("salon_a", "f1", int(NOW + 60))


def test_an_expired_token_is_refused() -> None:
    signer = MediaSigner(SECRET, ttl_seconds=60)
    with pytest.raises(BadMediaToken, match="expired"):
        signer.verify(signer.sign("salon_a", "f1", now=NOW), now=NOW + 61)


@pytest.mark.parametrize(
    ("old", "new"), [("salon_a", "salon_b"), (":f1:", ":f2:"), (str(int(NOW + 60)), str(int(NOW + 9e6)))]
)
def test_a_tampered_token_is_refused(old: str, new: str) -> None:
    signer = MediaSigner(SECRET, ttl_seconds=60)
    token = _retamper(signer.sign("salon_a", "f1", now=NOW), old, new)
    with pytest.raises(BadMediaToken, match="signature"):
        signer.verify(token, now=NOW)


@pytest.mark.parametrize("token", ["", "abc", "a.b", "....", "x" * 2000 + ".y"])
def test_garbage_is_refused(token: str) -> None:
    with pytest.raises(BadMediaToken):
        MediaSigner(SECRET).verify(token)


def test_another_secret_or_tenant_key_does_not_verify() -> None:
    token = MediaSigner(SECRET).sign("salon_a", "f1")
    with pytest.raises(BadMediaToken):
        MediaSigner(SECRET + "-other").verify(token)


def test_a_short_secret_and_unsafe_names_are_refused() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        MediaSigner("short")
    with pytest.raises(ValueError, match="safe name"):
        MediaSigner(SECRET).sign("salon_a", "../etc/passwd")


def test_the_store_keeps_tenants_apart_and_caps_size(tmp_path: Path) -> None:
    store = LocalMediaStore(tmp_path, max_bytes=10)
    put = store.put("salon_a", b"12345", "image/png", file_id="f1", file_name="a.png")
    assert (put.size, put.content_type) == (5, "image/png")
    assert store.read("salon_a", "f1")[1] == b"12345"
    with pytest.raises(MediaNotFound):
        store.read("salon_b", "f1")
    with pytest.raises(MediaNotFound):
        store.read("salon_a", "..")
    with pytest.raises(MediaTooLarge):
        store.put("salon_a", b"x" * 11, "image/png")


@pytest.fixture
async def svc(embedded_backend: Backend, tmp_path: Path) -> AsyncIterator[Service]:
    settings = service_settings(media_dir=str(tmp_path / "media"))
    async with running_service(embedded_backend.db, settings=settings, workers=False) as found:
        yield found


async def test_the_route_serves_a_file_with_its_content_type(svc: Service) -> None:
    media = svc.rt.media
    assert media is not None
    media.store.put("demo_salon", b"\x89PNG-bytes", "image/png", file_id="pic1")
    url = media.url("demo_salon", "pic1")
    assert url.startswith(svc.rt.settings.public_base_url + "/media/")
    response = await svc.client.get(url.removeprefix(svc.rt.settings.public_base_url))
    assert response.status_code == 200
    assert response.content == b"\x89PNG-bytes"
    assert response.headers["content-type"] == "image/png"


async def test_the_route_refuses_bad_expired_and_foreign_tokens(svc: Service) -> None:
    media = svc.rt.media
    assert media is not None
    media.store.put("demo_salon", b"a", "image/png", file_id="pic1")
    media.store.put("other_salon", b"b", "image/png", file_id="pic2")
    expired = media.signer.sign("demo_salon", "pic1", ttl=-1)
    assert (await svc.client.get(f"/media/{expired}")).status_code == 403
    tampered = _retamper(media.signer.sign("demo_salon", "pic1"), "demo_salon", "other_salon")
    assert (await svc.client.get(f"/media/{tampered}")).status_code == 403
    assert (await svc.client.get("/media/not-a-token")).status_code == 403
    foreign = media.signer.sign("demo_salon", "pic2")  # A's token naming B's file: not in A's folder
    assert (await svc.client.get(f"/media/{foreign}")).status_code == 404
    missing = media.signer.sign("demo_salon", "nothing")
    assert (await svc.client.get(f"/media/{missing}")).status_code == 404
    assert (await svc.client.get("/media/")).status_code == 404
    assert (await svc.client.get("/media")).status_code == 404
