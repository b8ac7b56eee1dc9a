"""The blocking ChatFlow client keeps the async client's contract, over a real socket."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from channels.chatflow.blocking import BlockingChatFlowClient
from channels.chatflow.emulator import ChatFlowEmulator
from channels.errors import ProviderRateLimited, ProviderRejected, ProviderUnavailable
from channels.faults import parse_fault_spec

JID = "77011234567@s.whatsapp.net"


def _client(base_url: str, token: str = "cf-token", timeout: float = 5.0) -> BlockingChatFlowClient:
    return BlockingChatFlowClient(token, base_url=base_url + "/api/v1", timeout=timeout, media_timeout=5.0)


@pytest.fixture
def client(chatflow_server: str) -> Iterator[BlockingChatFlowClient]:
    client = _client(chatflow_server)
    yield client
    client.close()


def test_send_text_is_delivered_with_the_real_query_parameters(
    client: BlockingChatFlowClient, chatflow_emulator: ChatFlowEmulator
) -> None:
    result = client.send_text("inst-1", JID, "Здравствуйте! Маникюр — 5 000 ₸ & «гель»?", "outbox-1")
    assert (result.endpoint, result.msg_id, result.status) == ("send-text", "outbox-1", 200)
    assert result.provider_message_id == "cf-000001"
    [delivery] = chatflow_emulator.deliveries
    assert (delivery.instance_id, delivery.jid, delivery.text, delivery.msg_id) == (
        "inst-1",
        JID,
        "Здравствуйте! Маникюр — 5 000 ₸ & «гель»?",
        "outbox-1",
    )


def test_one_connection_carries_many_sends(
    client: BlockingChatFlowClient, chatflow_emulator: ChatFlowEmulator
) -> None:
    for n in range(20):
        client.send_text("inst-1", JID, f"Ответ {n}", f"k{n}")
    assert [d.msg_id for d in chatflow_emulator.deliveries] == [f"k{n}" for n in range(20)]


def test_media_captions_as_the_provider_requires(
    client: BlockingChatFlowClient, chatflow_emulator: ChatFlowEmulator
) -> None:
    client.send_media("send-image", "inst-1", JID, "https://files.example/a.jpg", "k-img", "")
    client.send_media("send-doc", "inst-1", JID, "https://files.example/a.pdf", "k-doc", "Прайс")
    client.send_media("send-audio", "inst-1", JID, "https://files.example/a.ogg", "k-aud", None)
    image, doc, audio = chatflow_emulator.deliveries
    assert (image.endpoint, image.media_url, image.caption) == (
        "send-image",
        "https://files.example/a.jpg",
        " ",
    )
    assert (doc.endpoint, doc.caption) == ("send-doc", "Прайс")
    assert (audio.endpoint, audio.caption) == ("send-audio", None)
    with pytest.raises(ValueError, match="public http"):
        client.send_media("send-image", "inst-1", JID, "file:///etc/passwd", "k-bad", "")


def test_429_becomes_rate_limited_with_retry_after(
    client: BlockingChatFlowClient, chatflow_emulator: ChatFlowEmulator
) -> None:
    chatflow_emulator.faults.add(parse_fault_spec(b'{"mode": "429", "retry_after": 1.5}'))
    with pytest.raises(ProviderRateLimited) as info:
        client.send_text("inst-1", JID, "hi", "k1")
    assert (info.value.status, info.value.retry_after, info.value.transient) == (429, 1.5, True)
    assert JID not in str(info.value)
    client.send_text("inst-1", JID, "hi", "k1")  # the same connection goes on
    assert chatflow_emulator.delivery_count("k1") == 1


def test_5xx_is_transient_and_other_4xx_permanent_without_the_token(
    chatflow_server: str, chatflow_emulator: ChatFlowEmulator
) -> None:
    chatflow_emulator.faults.add(parse_fault_spec(b'{"mode": "503", "count": 1}'))
    client = _client(chatflow_server)
    with pytest.raises(ProviderUnavailable) as unavailable:
        client.send_text("inst-1", JID, "hi", "k1")
    assert (unavailable.value.status, unavailable.value.transient) == (503, True)
    wrong = _client(chatflow_server, token="wrong-token")
    with pytest.raises(ProviderRejected) as rejected:
        wrong.send_text("inst-1", JID, "hi", "k2")
    assert (rejected.value.status, rejected.value.transient) == (401, False)
    assert "wrong-token" not in str(rejected.value)
    client.close()
    wrong.close()


def test_timeout_becomes_unavailable_and_the_next_call_reconnects(
    chatflow_server: str, chatflow_emulator: ChatFlowEmulator
) -> None:
    chatflow_emulator.faults.add(parse_fault_spec(b'{"mode": "timeout", "seconds": 2}'))
    client = _client(chatflow_server, timeout=0.2)
    with pytest.raises(ProviderUnavailable, match=r"no answer within 0\.2 s"):
        client.send_text("inst-1", JID, "hi", "k-timeout")
    assert client.send_text("inst-1", JID, "hi", "k-timeout").status == 200
    assert chatflow_emulator.delivery_count("k-timeout") == 1
    client.close()


def test_nothing_listening_is_unavailable_and_hides_the_token() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = _client(f"http://127.0.0.1:{port}", token="secret-tok")
    with pytest.raises(ProviderUnavailable, match="cannot reach ChatFlow") as info:
        client.send_text("inst-1", JID, "hi", "k")
    assert "secret-tok" not in str(info.value)


class _ClosesAfterEachAnswer:
    """A server that answers one request per connection, then closes it WITHOUT saying so.

    The client keeps the connection for the next call and finds it dead: the case of a provider
    closing idle keep-alive connections.
    """

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        self.requests: list[bytes] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = conn.recv(65536)
                self.requests.append(data)
                body = b'{"success": true, "message_id": "x"}'
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                time.sleep(0.05)


def test_a_keep_alive_connection_the_server_dropped_is_replaced_once() -> None:
    server = _ClosesAfterEachAnswer()
    client = _client(f"http://127.0.0.1:{server.port}")
    try:
        for n in range(3):
            assert client.send_text("inst-1", JID, "hi", f"k{n}").provider_message_id == "x"
            time.sleep(0.1)  # the server has closed the connection by now
    finally:
        client.close()
        server.sock.close()
    assert [b"msg_id=k" + str(n).encode() in r for n, r in enumerate(server.requests)] == [True] * 3
    assert len(server.requests) == 3  # each message sent exactly once
