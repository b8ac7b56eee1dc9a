"""Private Redis and PostgreSQL servers the drills may stop and restart (never the shared ones).

Each server runs from a temporary directory on a free loopback port. PostgreSQL refuses to run as
root, so as root the cluster belongs to the ``postgres`` OS user (``runuser -u postgres --``).
A missing binary skips the drill locally and fails it under ``CI=true`` (CI must run every drill).
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis

__all__ = ["PrivatePostgres", "PrivateRedis", "free_port", "private_postgres", "private_redis"]

START_TIMEOUT_SECONDS = 30.0
PG_USER = "postgres"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _missing(what: str) -> None:
    message = f"{what} (install it: apt-get install redis-server postgresql)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message}; CI=true: the drills must run")
    pytest.skip(message)


def _wait(check: object, what: str, timeout: float = START_TIMEOUT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if callable(check) and check():
                return
        except Exception:  # not up yet
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not come up within {timeout:g}s")
        time.sleep(0.05)


class PrivateRedis:
    """``redis-server --save '' --appendonly no`` on a private port: a restart loses every key."""

    def __init__(self, binary: str, directory: Path) -> None:
        self.binary = binary
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = open(self.directory / "redis.log", "ab")  # noqa: SIM115  (owned by the process)
        self._process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory)],
            stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        log.close()
        client = redis.Redis(port=self.port, socket_timeout=1, socket_connect_timeout=1)
        try:
            _wait(client.ping, f"private redis on port {self.port}")
        finally:
            client.close()

    def stop(self) -> None:
        """Kill the server (SIGKILL: like a crashed or restarted host, nothing is flushed)."""
        process = self._process
        if process is not None and process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        self._process = None

    def restart(self, down_seconds: float = 0.0) -> None:
        self.stop()
        time.sleep(down_seconds)
        self.start()


class PrivatePostgres:
    """A throw-away cluster (``initdb`` + ``pg_ctl``) with trust auth on a private port."""

    def __init__(self, bindir: Path, directory: Path) -> None:
        self.bindir = bindir
        self.directory = directory
        self.data = directory / "data"
        self.port = free_port()
        self._as_user = os.geteuid() == 0
        self.dsn = f"postgresql://{PG_USER}@127.0.0.1:{self.port}/postgres"

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{PG_USER}@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str, timeout: float = 60.0) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self._as_user:
            command = ["runuser", "-u", PG_USER, "--", *command]
        done = subprocess.run(command, capture_output=True, timeout=timeout, check=False)
        if done.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command)} failed ({done.returncode}): {done.stderr.decode()[-800:]}"
            )

    def init(self) -> None:
        if self._as_user:
            shutil.chown(self.directory, PG_USER, PG_USER)
        self._run("initdb", "-D", str(self.data), "-U", PG_USER, "--auth=trust", "-E", "UTF8",
                  "--no-sync", "--locale=C")  # fmt: skip

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.directory / "pg.log"), "-o", options,
                  "-w", "-t", "30", "start")  # fmt: skip
        _wait(self.accepts, "private postgres")

    def accepts(self) -> bool:
        """True when a connection succeeds."""
        try:
            psycopg.connect(self.dsn, connect_timeout=1).close()
        except psycopg.OperationalError:
            return False
        return True

    def stop(self, mode: str = "immediate") -> None:
        """``immediate`` aborts every backend at once (a crash: connections die mid-transaction)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "30", "stop")

    def restart(self, down_seconds: float = 0.0) -> None:
        self.stop()
        time.sleep(down_seconds)
        self.start()

    def create_database(self, name: str) -> None:
        with psycopg.connect(self.dsn, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')


@contextlib.contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    binary = shutil.which("redis-server")
    if binary is None:
        _missing("redis-server is not installed")
        raise AssertionError("unreachable")
    with tempfile.TemporaryDirectory(prefix="truffles-drill-redis-") as tmp:
        server = PrivateRedis(binary, Path(tmp))
        server.start()
        try:
            yield server
        finally:
            server.stop()


def _pg_bindir() -> Path | None:
    preferred = Path("/usr/lib/postgresql/15/bin")
    if (preferred / "initdb").is_file():
        return preferred
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


@contextlib.contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    bindir = _pg_bindir()
    if bindir is None:
        _missing("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
        raise AssertionError("unreachable")
    with tempfile.TemporaryDirectory(prefix="truffles-drill-pg-") as tmp:
        server = PrivatePostgres(bindir, Path(tmp))
        server.init()
        server.start()
        try:
            yield server
        finally:
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                server.stop()
