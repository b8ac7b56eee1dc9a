from __future__ import annotations

import socket
import subprocess
import sys
import time

import httpx
import pytest

from channels.serving import serve_in_thread
from channels.telegram.emulator import create_telegram_emulator_app


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize(
    ("module", "probe"),
    [
        ("channels.chatflow.emulator", "/_emulator/outbox"),
        ("channels.telegram.emulator", "/_emulator/updates"),
    ],
)
def test_emulators_run_as_modules(module: str, probe: str) -> None:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", module, "--port", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}{probe}", timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stderr.read() if process.stderr else b""
                assert time.monotonic() < deadline, f"{module} did not start on port {port}"
                time.sleep(0.1)
        assert (response.status_code, response.json()) == (200, [])
        assert "emulator" in httpx.get(f"http://127.0.0.1:{port}/", timeout=1).text
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr:
            process.stderr.close()


def test_serve_in_thread_stops_on_exit() -> None:
    with serve_in_thread(create_telegram_emulator_app()) as base_url:
        assert httpx.get(base_url + "/_emulator/faults").json() == []
    with pytest.raises(httpx.TransportError):
        httpx.get(base_url + "/_emulator/faults", timeout=1)
