from __future__ import annotations

from collections.abc import AsyncIterator

import anyio
import httpx
import pytest

from channels.chatflow.client import ChatFlowClient, parse_retry_after
from channels.chatflow.emulator import ChatFlowEmulator
from channels.errors import ProviderRateLimited, ProviderRejected, ProviderUnavailable
from channels.faults import parse_fault_spec
from channels.serving import serve_in_thread

pytestmark = pytest.mark.anyio

JID = "77011234567@s.whatsapp.net"
BASE = "http://chatflow.test/api/v1"


@pytest.fixture(params=["in-process", "live-server"])
async def client(
    request: pytest.FixtureRequest, chatflow_emulator: ChatFlowEmulator
) -> AsyncIterator[ChatFlowClient]:
    """The same client contract runs in-process (ASGITransport) and over a real socket (uvicorn)."""
    if request.param == "in-process":
        transport = httpx.ASGITransport(app=chatflow_emulator)
        async with ChatFlowClient("cf-token", base_url=BASE, transport=transport) as client:
            yield client
        return
    with serve_in_thread(chatflow_emulator) as base_url:
        async with ChatFlowClient("cf-token", base_url=base_url + "/api/v1") as client:
            yield client


async def test_send_text_is_delivered_with_the_real_query_parameters(
    client: ChatFlowClient, chatflow_emulator: ChatFlowEmulator
) -> None:
    result = await client.send_text("inst-1", JID, "Здравствуйте!", "outbox-1")
    assert (result.endpoint, result.msg_id, result.status) == ("send-text", "outbox-1", 200)
    assert result.provider_message_id == "cf-000001"
    [delivery] = chatflow_emulator.deliveries
    assert (delivery.instance_id, delivery.jid, delivery.text, delivery.msg_id) == (
        "inst-1",
        JID,
        "Здравствуйте!",
        "outbox-1",
    )


async def test_media_without_caption_sends_a_space(
    client: ChatFlowClient, chatflow_emulator: ChatFlowEmulator
) -> None:
    await client.send_image("inst-1", JID, "https://files.example/a.jpg", "k-img")
    await client.send_doc("inst-1", JID, "https://files.example/a.pdf", "k-doc", caption="Прайс")
    await client.send_audio("inst-1", JID, "https://files.example/a.ogg", "k-aud")
    await client.send_video("inst-1", JID, "https://files.example/a.mp4", "k-vid")
    image, doc, audio, video = chatflow_emulator.deliveries
    assert (image.endpoint, image.media_url, image.caption) == (
        "send-image",
        "https://files.example/a.jpg",
        " ",
    )
    assert (doc.endpoint, doc.caption) == ("send-doc", "Прайс")
    assert (audio.endpoint, audio.caption) == ("send-audio", None)
    assert (video.endpoint, video.caption) == ("send-video", " ")


async def test_429_becomes_rate_limited_with_retry_after(
    client: ChatFlowClient, chatflow_emulator: ChatFlowEmulator
) -> None:
    chatflow_emulator.faults.add(parse_fault_spec(b'{"mode": "429", "retry_after": 1.5}'))
    with pytest.raises(ProviderRateLimited) as info:
        await client.send_text("inst-1", JID, "hi", "k1")
    error = info.value
    assert (error.status, error.retry_after, error.transient) == (429, 1.5, True)
    assert "retry after 1.5 s" in str(error)
    assert "7701*****67@…" in str(error)
    assert JID not in str(error)
    assert chatflow_emulator.deliveries == []
    await client.send_text("inst-1", JID, "hi", "k1")  # the fault was for one call only
    assert chatflow_emulator.delivery_count("k1") == 1


async def test_500_becomes_unavailable_and_keeps_the_body(
    client: ChatFlowClient, chatflow_emulator: ChatFlowEmulator
) -> None:
    chatflow_emulator.faults.add(parse_fault_spec(b'{"mode": "503", "count": 2}'))
    for _ in range(2):
        with pytest.raises(ProviderUnavailable) as info:
            await client.send_text("inst-1", JID, "hi", "k1")
        assert info.value.status == 503
        assert "emulated fault 503" in info.value.body
        assert info.value.transient
    await client.send_text("inst-1", JID, "hi", "k1")
    assert [call.status for call in chatflow_emulator.calls] == [503, 503, 200]


async def test_other_4xx_is_rejected_permanently_and_hides_the_token(
    chatflow_emulator: ChatFlowEmulator,
) -> None:
    transport = httpx.ASGITransport(app=chatflow_emulator)
    async with ChatFlowClient("wrong-token", base_url=BASE, transport=transport) as client:
        with pytest.raises(ProviderRejected) as info:
            await client.send_text("inst-1", JID, "hi", "k1")
    assert (info.value.status, info.value.transient) == (401, False)
    assert "invalid or missing token" in info.value.body
    assert "wrong-token" not in str(info.value)


async def test_bad_jid_is_rejected_with_the_providers_reason(client: ChatFlowClient) -> None:
    with pytest.raises(ProviderRejected, match="jid must be"):
        await client.send_text("inst-1", "not-a-jid", "hi", "k1")


async def test_success_false_on_200_is_rejected() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"success": False, "error": "instance offline"})

    async with ChatFlowClient("t", base_url=BASE, transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(ProviderRejected, match="instance offline"):
            await client.send_image("inst-1", JID, "https://x/a.jpg", "k")


async def test_connection_error_becomes_unavailable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with ChatFlowClient("secret-tok", base_url=BASE, transport=httpx.MockTransport(handler)) as client:
        with pytest.raises(ProviderUnavailable, match="cannot reach ChatFlow") as info:
            await client.send_text("inst-1", JID, "hi", "k")
    assert info.value.status is None
    assert "secret-tok" not in str(info.value)


async def test_timeout_against_a_real_server_becomes_unavailable(
    chatflow_server: str, chatflow_emulator: ChatFlowEmulator
) -> None:
    chatflow_emulator.faults.add(parse_fault_spec(b'{"mode": "timeout", "seconds": 2}'))
    async with ChatFlowClient("cf-token", base_url=chatflow_server + "/api/v1", timeout=0.2) as client:
        with pytest.raises(ProviderUnavailable, match=r"no answer within 0\.2 s") as info:
            await client.send_text("inst-1", JID, "hi", "k-timeout")
        assert info.value.transient
        result = await client.send_text("inst-1", JID, "hi", "k-timeout")
    assert result.status == 200
    assert chatflow_emulator.delivery_count("k-timeout") == 1


async def test_slow_provider_times_out_but_delivers_so_a_retry_duplicates(
    chatflow_server: str, chatflow_emulator: ChatFlowEmulator
) -> None:
    chatflow_emulator.faults.add(parse_fault_spec(b'{"mode": "slow", "seconds": 0.5}'))
    async with ChatFlowClient("cf-token", base_url=chatflow_server + "/api/v1", timeout=0.1) as client:
        with pytest.raises(ProviderUnavailable):
            await client.send_text("inst-1", JID, "hi", "k-ghost")
        await client.send_text("inst-1", JID, "hi", "k-ghost")
    async with httpx.AsyncClient(base_url=chatflow_server) as http:
        for _ in range(50):
            counts = (await http.get("/_emulator/msg-ids")).json()
            if counts.get("k-ghost") == 2:
                break
            await anyio.sleep(0.05)
    assert counts == {"k-ghost": 2}


def test_empty_token_and_empty_text_fail_early() -> None:
    with pytest.raises(ValueError, match="token is empty"):
        ChatFlowClient("")


async def test_empty_text_is_refused(client: ChatFlowClient) -> None:
    with pytest.raises(ValueError, match="empty WhatsApp text"):
        await client.send_text("inst-1", JID, "", "k")


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        (None, None),
        ("", None),
        ("3", 3.0),
        ("0.5", 0.5),
        ("-2", 0.0),
        ("soon", None),
        ("inf", None),
        ("nan", None),
    ],
)
def test_parse_retry_after(header: str | None, seconds: float | None) -> None:
    assert parse_retry_after(header) == seconds


def test_parse_retry_after_http_date() -> None:
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == 10.0
