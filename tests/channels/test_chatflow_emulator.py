from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from channels.chatflow.emulator import ChatFlowEmulator
from channels.chatflow.inbound import parse_inbound
from channels.chatflow.player import SECRET_HEADER, CustomerPlayer, build_inbound_payload
from channels.errors import ChannelPayloadError

pytestmark = pytest.mark.anyio

JID = "77011234567@s.whatsapp.net"


@pytest.fixture
async def http(chatflow_emulator: ChatFlowEmulator) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=chatflow_emulator)
    async with httpx.AsyncClient(base_url="http://chatflow.test", transport=transport) as client:
        yield client


def text_params(msg_id: str, **extra: str) -> dict[str, str]:
    return {"token": "cf-token", "instance_id": "inst-1", "jid": JID, "msg": "hi", "msg_id": msg_id, **extra}


async def test_outbox_lists_deliveries_and_counts_duplicates_per_msg_id(http: httpx.AsyncClient) -> None:
    for msg_id in ("a", "b", "a", "a"):
        response = await http.get("/api/v1/send-text", params=text_params(msg_id))
        assert response.json()["success"] is True
    outbox = (await http.get("/_emulator/outbox")).json()
    assert [(d["msg_id"], d["copy_number"]) for d in outbox] == [("a", 1), ("b", 1), ("a", 2), ("a", 3)]
    assert (await http.get("/_emulator/msg-ids")).json() == {"a": 3, "b": 1}


async def test_duplicates_helper(chatflow_emulator: ChatFlowEmulator, http: httpx.AsyncClient) -> None:
    await http.get("/api/v1/send-text", params=text_params("once"))
    await http.get("/api/v1/send-text", params=text_params("twice"))
    await http.get("/api/v1/send-text", params=text_params("twice"))
    assert chatflow_emulator.duplicates() == {"twice": 2}
    assert chatflow_emulator.delivery_count("once") == 1


@pytest.mark.parametrize(
    ("path", "params", "status", "reason"),
    [
        ("/api/v1/send-text", {"instance_id": "i", "jid": JID, "msg": "x"}, 401, "token"),
        ("/api/v1/send-text", {"token": "cf-token", "jid": JID, "msg": "x"}, 400, "instance_id is required"),
        (
            "/api/v1/send-text",
            {"token": "cf-token", "instance_id": "i", "jid": "7701", "msg": "x"},
            400,
            "jid",
        ),
        ("/api/v1/send-text", {"token": "cf-token", "instance_id": "i", "jid": JID}, 400, "msg is required"),
        (
            "/api/v1/send-image",
            {"token": "cf-token", "instance_id": "i", "jid": JID, "imageurl": "https://x/a.jpg"},
            400,
            "caption is required",
        ),
        (
            "/api/v1/send-doc",
            {
                "token": "cf-token",
                "instance_id": "i",
                "jid": JID,
                "docurl": "file:///etc/passwd",
                "caption": " ",
            },
            400,
            "docurl must be a public http(s) URL",
        ),
    ],
)
async def test_provider_validation(
    http: httpx.AsyncClient, path: str, params: dict[str, str], status: int, reason: str
) -> None:
    response = await http.get(path, params=params)
    assert response.status_code == status
    assert reason in response.json()["error"]
    assert (await http.get("/_emulator/outbox")).json() == []


async def test_faults_for_the_next_calls_then_recovery(http: httpx.AsyncClient) -> None:
    await http.post("/_emulator/faults", json={"mode": "500", "count": 3})
    await http.post("/_emulator/faults", json={"mode": "429", "retry_after": 1, "count": 2})
    responses = [await http.get("/api/v1/send-text", params=text_params("k")) for _ in range(6)]
    assert [r.status_code for r in responses] == [500, 500, 500, 429, 429, 200]
    assert responses[3].headers["retry-after"] == "1"
    calls = (await http.get("/_emulator/calls")).json()
    assert [c["outcome"] for c in calls] == ["fault 500"] * 3 + ["fault 429"] * 2 + ["delivered"]
    assert (await http.get("/_emulator/msg-ids")).json() == {"k": 1}


async def test_fault_for_one_endpoint_only(http: httpx.AsyncClient) -> None:
    await http.post("/_emulator/faults", json={"mode": "503", "endpoint": "send-image"})
    text = await http.get("/api/v1/send-text", params=text_params("t"))
    image = await http.get(
        "/api/v1/send-image",
        params={
            "token": "cf-token",
            "instance_id": "i",
            "jid": JID,
            "imageurl": "https://x/a.jpg",
            "caption": " ",
        },
    )
    assert (text.status_code, image.status_code) == (200, 503)
    assert (await http.get("/_emulator/faults")).json() == []


async def test_seeded_error_rate_is_reproducible(http: httpx.AsyncClient) -> None:
    async def run() -> list[int]:
        await http.post("/_emulator/faults", json={"error_rate": 0.3, "seed": 1})
        return [
            (await http.get("/api/v1/send-text", params=text_params(str(i)))).status_code for i in range(30)
        ]

    first = await run()
    assert first == await run()
    assert 0 < first.count(500) < 30
    await http.post("/_emulator/faults", json={"error_rate": 0})
    assert (await http.get("/api/v1/send-text", params=text_params("x"))).status_code == 200


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ({"mode": "teapot"}, "'teapot' is not one of"),
        ({"mode": "500", "count": 0}, "$.count"),
        ({"mode": "500", "colour": "red"}, "colour"),
        ({"error_rate": 2}, "$.error_rate"),
    ],
)
async def test_bad_fault_specs_are_refused(
    http: httpx.AsyncClient, spec: dict[str, object], fragment: str
) -> None:
    response = await http.post("/_emulator/faults", json=spec)
    assert response.status_code == 400
    assert fragment in response.json()["error"]


async def test_reset_forgets_everything(http: httpx.AsyncClient) -> None:
    await http.get("/api/v1/send-text", params=text_params("a"))
    await http.post("/_emulator/faults", json={"mode": "500", "count": 5})
    await http.post("/_emulator/reset")
    assert (await http.get("/_emulator/outbox")).json() == []
    assert (await http.get("/_emulator/faults")).json() == []
    assert (await http.get("/api/v1/send-text", params=text_params("a"))).json()["message_id"] == "cf-000001"


async def test_wrong_method_and_unknown_route(http: httpx.AsyncClient) -> None:
    assert (await http.post("/api/v1/send-text", params=text_params("a"))).status_code == 405
    assert (await http.get("/api/v1/send-sticker")).status_code == 404


# --- the customer player -------------------------------------------------------------------------


class FakeWebhook:
    """Records what the customer player POSTs; answers like the real edge would."""

    def __init__(self) -> None:
        self.received: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.received.append(request)
        if (
            request.headers.get(SECRET_HEADER) != "wh-secret"
            and request.url.params.get("webhook_secret") != "wh-secret"
        ):
            return httpx.Response(401)
        try:
            parse_inbound(request.content, "demo_salon")
        except ChannelPayloadError as exc:
            return httpx.Response(400, text=str(exc))
        return httpx.Response(200, json={"ok": True})


async def test_customer_player_posts_parseable_messages_with_the_secret() -> None:
    webhook = FakeWebhook()
    async with CustomerPlayer(
        "http://api.test/webhooks/chatflow/demo_salon",
        "wh-secret",
        tenant="demo_salon",
        phone="77011234567",
        push_name="Айгерим",
        transport=httpx.MockTransport(webhook),
    ) as customer:
        said = await customer.say("Сколько стоит маникюр?")
        photo = await customer.send_image("https://cdn.example/nails.jpg", caption="Такой дизайн?")
        voice = await customer.send_voice("https://cdn.example/v.ogg", seconds=4)
        doc = await customer.send_document("https://cdn.example/a.pdf", "a.pdf")
        video = await customer.send_video("https://cdn.example/v.mp4")
        again = await customer.redeliver(said)
    assert [s.status for s in (said, photo, voice, doc, video, again)] == [200] * 6
    assert again.message_id == said.message_id
    messages = [parse_inbound(r.content, "demo_salon") for r in webhook.received]
    assert [m.message_type for m in messages] == ["text", "image", "audio", "document", "video", "text"]
    assert messages[0].text == "Сколько стоит маникюр?"
    assert messages[0].sender_jid == JID
    assert messages[0].sender_name == "Айгерим"
    assert messages[1].text == "Такой дизайн?"
    assert messages[2].media is not None
    assert messages[2].media.is_voice
    assert messages[0].provider_message_id == messages[5].provider_message_id
    assert len({m.provider_message_id for m in messages}) == 5


async def test_customer_player_secret_in_query_and_wrong_secret() -> None:
    webhook = FakeWebhook()
    url = "http://api.test/webhooks/chatflow/demo_salon"
    async with CustomerPlayer(
        url,
        "wh-secret",
        tenant="demo_salon",
        phone="77011234567",
        secret_in_query=True,
        transport=httpx.MockTransport(webhook),
    ) as customer:
        assert (await customer.say("hi")).status == 200
    async with CustomerPlayer(
        url, "nope", tenant="demo_salon", phone="77011234567", transport=httpx.MockTransport(webhook)
    ) as intruder:
        assert (await intruder.say("hi")).status == 401


def test_build_inbound_payload_is_the_usual_envelope() -> None:
    payload = build_inbound_payload(
        "demo_salon",
        "hi",
        phone="+77011234567",
        push_name="A",
        message_id="3EB0X",
        timestamp=1,
        instance_id="i",
    )
    assert payload == {
        "client_slug": "demo_salon",
        "body": {
            "messageType": "text",
            "message": "hi",
            "metadata": {
                "sender": "A",
                "messageId": "3EB0X",
                "remoteJid": JID,
                "timestamp": 1,
                "instanceId": "i",
            },
            "mediaData": None,
        },
    }
