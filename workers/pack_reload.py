"""Pack hot reload: a running service serves an edited pack folder without a restart.

Every ``TRUFFLES_PACK_RELOAD_SECONDS`` (:class:`PackWatcher`) and on ``POST /admin/packs/reload``
(:func:`reload_now`), each pack folder under ``settings.packs_dir`` is fingerprinted. A folder whose
content changed is read once, checked as ``truffles pack check`` does (load + lint) and compiled
from exactly the bytes that were hashed, and swapped into the
:class:`~workers.tenants.TenantRegistry` atomically. A pack that does not compile is reported with
every problem as ``file:line:col`` and the tenant keeps serving its previous pack: a broken edit never
takes a tenant down (the same broken content is reported once, not at every poll).

Polling is cheap: a folder whose files' (name, size, mtime, inode) did not change since a hash taken
when its newest file was already :data:`SETTLED_SECONDS` old is not read at all (git's "racily clean"
rule, so a same-size rewrite within one timestamp tick is still caught). Only edits of served tenants
are applied: a new folder (a new tenant), a renamed tenant id or a deleted folder is reported and
needs a restart. Telegram desk settings are read at start-up only.

With Redis, ``POST /admin/packs/reload`` also bumps a counter that every other process's watcher
reads at its next tick, so worker processes reload too. A process without a watcher (the API-only
``truffles serve`` on the Redis broker) has no baseline: its first ``reload_now`` compiles every
folder and compares versions (about a second a pack on a busy 2-core machine, mostly YAML parsing).
"""

from __future__ import annotations

import logging
import os
import threading
import time
import weakref
from pathlib import Path
from typing import Literal

import msgspec
import redis

from config.compile.compiled import CompiledPack
from config.errors import PackInvalid
from workers.errors import UnknownTenant
from workers.heap import refreeze_heap
from workers.pack_folder import Seen, compile_checked, declared_id, folder_signature, read_folder
from workers.runtime import Runtime
from workers.tenants import TenantRegistry

__all__ = [
    "RELOAD_SIGNAL_KEY",
    "SETTLED_SECONDS",
    "PackReloader",
    "PackWatcher",
    "ReloadResult",
    "reload_now",
    "reloader_for",
]

log = logging.getLogger("truffles.pack_reload")

SETTLED_SECONDS = 2.0
"""A file modified less than this long ago may still change within the same mtime tick: re-hash it."""
RELOAD_SIGNAL_KEY = "truffles:packs:reload"

Status = Literal["unchanged", "reloaded", "failed", "not_served"]


class ReloadResult(msgspec.Struct, frozen=True, kw_only=True):
    """What one check of one pack folder did."""

    tenant: str
    folder: str
    status: Status
    old_version: str = ""
    new_version: str = ""
    errors: list[str] = msgspec.field(default_factory=list)
    seconds: float = 0.0
    """Read + compile + swap (0 when the folder was not read)."""


class PackReloader:
    """Checks pack folders and swaps changed packs into ``registry``; thread-safe.

    Args:
        registry: the tenants this process serves.
        packs_dir: the folder holding one sub-folder per tenant.
        trust_current: take the folders as they are now to be what is served (a process that compiled
            them moments ago); otherwise the first check compiles every folder and compares versions.
    """

    def __init__(
        self, registry: TenantRegistry, packs_dir: str | os.PathLike[str], *, trust_current: bool
    ) -> None:
        self._registry = registry
        self._root = Path(packs_dir)
        self._lock = threading.Lock()
        self._seen: dict[Path, Seen] = {}
        if trust_current:
            for folder in self._folders():
                try:
                    self._seen[folder] = self._baseline(folder)
                except OSError as exc:
                    log.warning("pack folder %s unreadable at start: %s", folder, exc)

    def check(self, *, rehash: bool = False, force: bool = False) -> list[ReloadResult]:
        """One pass over every folder.

        Args:
            rehash: hash every folder's content even where the file stats did not change.
            force: also recompile folders whose content did not change (and swap if the version differs).
        """
        with self._lock:
            results = [self._check(folder, rehash or force, force) for folder in self._folders()]
            for folder in sorted(set(self._seen) - set(self._folders())):
                seen = self._seen.pop(folder)
                results.append(
                    ReloadResult(
                        tenant=seen.tenant,
                        folder=str(folder),
                        status="failed",
                        errors=[f"{folder}: pack folder is gone; the tenant keeps its pack until a restart"],
                    )
                )
        if any(r.status == "reloaded" for r in results):
            refreeze_heap()  # the replaced packs' objects become collectable
        for r in results:
            if r.seconds == 0.0:  # nothing was compiled: already reported
                continue
            if r.status == "reloaded":
                log.info("tenant %s: pack %s -> %s in %.0f ms", r.tenant, r.old_version, r.new_version,
                         r.seconds * 1000)  # fmt: skip
            elif r.status == "failed":
                log.error("tenant %s: edited pack not served, the previous one keeps serving:\n%s",
                          r.tenant, "\n".join(r.errors))  # fmt: skip
        return results

    def _folders(self) -> list[Path]:
        if not self._root.is_dir():
            return []
        return sorted(p for p in self._root.iterdir() if (p / "tenant.yaml").is_file())

    def _baseline(self, folder: Path) -> Seen:
        signature, newest = folder_signature(folder)
        files, fingerprint = read_folder(folder)
        return Seen(
            signature, fingerprint, time.time() - newest > SETTLED_SECONDS, declared_id(files, folder)
        )

    def _check(self, folder: Path, rehash: bool, force: bool) -> ReloadResult:
        seen = self._seen.get(folder)
        try:
            signature, newest = folder_signature(folder)
            if not rehash and seen is not None and seen.settled and seen.signature == signature:
                return self._known(seen, folder)
            settled = time.time() - newest > SETTLED_SECONDS
            started = time.perf_counter()
            files, fingerprint = read_folder(folder)
        except OSError as exc:  # a file vanished between listing and reading: try again next time
            return ReloadResult(tenant=seen.tenant if seen else folder.name, folder=str(folder),
                                status="failed", errors=[f"{folder}: {exc}"])  # fmt: skip
        tenant = declared_id(files, folder)
        if not force and seen is not None and seen.fingerprint == fingerprint:
            seen.signature, seen.settled = signature, settled
            return self._known(seen, folder)
        new_seen = self._seen[folder] = Seen(signature, fingerprint, settled, seen.tenant if seen else tenant)
        try:
            pack = compile_checked(files)
        except PackInvalid as exc:
            new_seen.errors = [f"{folder.name}/{p.render()}" for p in exc.problems if p.severity == "error"]
            return self._failed(new_seen.tenant, folder, new_seen.errors, started)
        except Exception as exc:  # a compiler bug must not stop the watcher nor the other tenants
            new_seen.errors = [f"{folder}: {type(exc).__name__}: {exc}"]
            return self._failed(new_seen.tenant, folder, new_seen.errors, started)
        if seen is not None and pack.tenant_id != seen.tenant:
            new_seen.errors = [
                f"{folder}/tenant.yaml: id changed from {seen.tenant!r} to {pack.tenant_id!r}; "
                "a renamed tenant is served after a restart"
            ]
            return self._failed(seen.tenant, folder, new_seen.errors, started)
        new_seen.tenant = pack.tenant_id
        return self._swap(pack, folder, started)

    def _swap(self, pack: CompiledPack, folder: Path, started: float) -> ReloadResult:
        current = self._registry.find(pack.tenant_id)
        if current is None:
            return ReloadResult(tenant=pack.tenant_id, folder=str(folder), status="not_served",
                                new_version=pack.version,
                                errors=[f"{folder}: tenant {pack.tenant_id!r} is not served by this process; "
                                        "a new tenant is served after a restart"])  # fmt: skip
        if current.pack.version == pack.version:
            return self._unchanged(pack.tenant_id, folder)
        try:
            old = self._registry.swap(pack)
        except UnknownTenant as exc:
            return self._failed(pack.tenant_id, folder, [str(exc)], started)
        return ReloadResult(tenant=pack.tenant_id, folder=str(folder), status="reloaded",
                            old_version=old.pack.version, new_version=pack.version,
                            seconds=time.perf_counter() - started)  # fmt: skip

    def _known(self, seen: Seen, folder: Path) -> ReloadResult:
        """Content already checked: unchanged, or the same problems as when it was compiled."""
        if seen.errors:
            return self._failed(seen.tenant, folder, seen.errors, None)
        return self._unchanged(seen.tenant, folder)

    def _unchanged(self, tenant: str, folder: Path) -> ReloadResult:
        current = self._registry.find(tenant)
        version = current.pack.version if current is not None else ""
        status: Status = "unchanged" if current is not None else "not_served"
        return ReloadResult(tenant=tenant, folder=str(folder), status=status,
                            old_version=version, new_version=version)  # fmt: skip

    def _failed(self, tenant: str, folder: Path, errors: list[str], started: float | None) -> ReloadResult:
        current = self._registry.find(tenant)
        version = current.pack.version if current is not None else ""
        took = time.perf_counter() - started if started is not None else 0.0
        return ReloadResult(tenant=tenant, folder=str(folder), status="failed", old_version=version,
                            new_version=version, errors=list(errors), seconds=took)  # fmt: skip


_RELOADERS: weakref.WeakKeyDictionary[TenantRegistry, PackReloader] = weakref.WeakKeyDictionary()
_RELOADERS_LOCK = threading.Lock()


def reloader_for(rt: Runtime, *, trust_current: bool = False) -> PackReloader:
    """The one reloader of ``rt``'s tenants (shared by the watcher and the admin route)."""
    with _RELOADERS_LOCK:
        found = _RELOADERS.get(rt.tenants)
        if found is None:
            found = PackReloader(rt.tenants, rt.settings.packs_dir, trust_current=trust_current)
            _RELOADERS[rt.tenants] = found
        return found


def reload_now(rt: Runtime, *, force: bool = False) -> list[ReloadResult]:
    """Check every pack folder now (the admin route); with Redis, tell the other processes to check too."""
    results = reloader_for(rt).check(rehash=True, force=force)
    if rt.redis is not None:
        try:
            rt.redis.incr(RELOAD_SIGNAL_KEY)
        except redis.RedisError as exc:
            log.warning("could not ask the other processes to reload their packs: %s", exc)
    return results


class PackWatcher:
    """Checks the pack folders every ``interval`` seconds on a daemon thread (and when signalled)."""

    def __init__(self, rt: Runtime, interval: float) -> None:
        self._rt = rt
        self._interval = interval
        self._reloader = reloader_for(rt, trust_current=True)
        self._signal: bytes | None = None
        self._signal = self._read_signal()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="truffles-pack-watcher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _read_signal(self) -> bytes | None:
        if self._rt.redis is None:
            return None
        try:
            value = self._rt.redis.get(RELOAD_SIGNAL_KEY)
        except redis.RedisError:
            return self._signal
        return value if isinstance(value, bytes) or value is None else str(value).encode()

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                signal = self._read_signal()
                signalled = signal != self._signal
                self._signal = signal
                self._reloader.check(rehash=signalled)
            except Exception:  # never let the watcher thread die
                log.exception("pack reload check failed")
