"""The tenants this process serves: compiled packs, resolved channel secrets, per-tenant stores."""

from __future__ import annotations

import dataclasses
import logging
import os
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from config.compile.compiled import CompiledPack
from config.compile.compiler import compile_pack
from config.errors import PackInvalid, Problem
from config.files import read_pack_dir
from config.lint import check_files
from config.lint_locate import Locator
from config.lint_refs import check_placeholders, check_references
from config.loader import load_pack
from storage import ConstraintViolation, SessionFactory, TenantDirectory, TenantStore
from storage.repos.base import Clock
from workers.errors import UnknownTenant

__all__ = ["TenantRegistry", "TenantRuntime", "compile_pack_dir", "discover_packs"]

log = logging.getLogger("truffles.tenants")


@dataclass(frozen=True, slots=True, kw_only=True)
class TenantRuntime:
    """One tenant as the service sees it. Secrets are resolved from the environment at load time."""

    id: str
    pack: CompiledPack
    store: TenantStore
    webhook_secret: str | None
    insecure_demo: bool
    chatflow_token: str | None
    chatflow_instance_id: str
    coalesce_seconds: float

    @property
    def display_name(self) -> str:
        return self.pack.source.tenant.name


def discover_packs(packs_dir: str | os.PathLike[str]) -> list[Path]:
    """Every sub-folder of ``packs_dir`` holding a ``tenant.yaml``, sorted."""
    root = Path(packs_dir)
    if not root.is_dir():
        raise FileNotFoundError(
            f"packs folder {os.fspath(packs_dir)!r} does not exist; set TRUFFLES_PACKS_DIR to the folder "
            "holding one sub-folder per tenant"
        )
    return sorted(p for p in root.iterdir() if (p / "tenant.yaml").is_file())


def compile_pack_dir(path: str | os.PathLike[str]) -> CompiledPack:
    """Read, validate and compile one pack folder (raises ``config.errors.PackInvalid`` on errors).

    The whole linter is not run on the way (it costs about a second a pack), only its reference
    checks (placeholders name facts, ids referenced exist: milliseconds); when compiling fails on
    something only the linter checks (a regex that does not compile, …), it runs then, so the error
    names file and line as ``truffles pack check`` would instead of being a bare ``re.error``.
    """
    files = read_pack_dir(path)
    source = load_pack(files)
    # The cheap reference checks always run: a template naming a fact that does not exist compiles
    # (it would reach a customer as `{address.nowhere}`), so it must stop the start like `pack check`.
    locator = Locator(files)
    unresolved = [
        p
        for p in check_placeholders(source, locator) + check_references(source, locator)
        if p.severity == "error"
    ]
    if unresolved:
        raise PackInvalid(unresolved)
    try:
        return compile_pack(source)
    except Exception as exc:
        errors = [p for p in check_files(files)[1] if p.severity == "error"]
        raise PackInvalid(
            errors
            or [Problem(file=".", code="compile", message=f"compiling failed: {type(exc).__name__}: {exc}")]
        ) from exc


class TenantRegistry:
    """Tenants by id, each with a :class:`~storage.TenantStore` scoped to it.

    Args:
        session_factory: the database sessions every tenant store uses.
        environ: where secrets are read from (``os.environ`` by default).
        clock: the clock of every store (tests pass a fake one).
        coalesce_override: replaces every pack's ``conversation.coalesce_seconds`` when set.
    """

    def __init__(
        self,
        session_factory: SessionFactory,
        *,
        environ: Mapping[str, str] | None = None,
        clock: Clock | None = None,
        coalesce_override: float | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._environ = os.environ if environ is None else environ
        self._clock = clock
        self._coalesce_override = coalesce_override
        self._tenants: dict[str, TenantRuntime] = {}
        self._lock = threading.Lock()

    def add(
        self,
        pack: CompiledPack,
        *,
        webhook_secret: str | None = None,
        chatflow_token: str | None = None,
        insecure_demo: bool | None = None,
    ) -> TenantRuntime:
        """Serve ``pack``: upsert its tenant row and build its runtime.

        ``webhook_secret``/``chatflow_token`` override the env vars the pack names (local demo only).
        """
        settings = pack.source.tenant
        chatflow = settings.channels.chatflow
        secret = webhook_secret or self._secret(chatflow.webhook_secret_env)
        token = chatflow_token or self._secret(chatflow.token_env)
        insecure = chatflow.insecure_demo if insecure_demo is None else insecure_demo
        self._record(pack, insecure)
        store = (
            TenantStore(self._session_factory, settings.id, clock=self._clock)
            if self._clock is not None
            else TenantStore(self._session_factory, settings.id)
        )
        coalesce = settings.conversation.coalesce_seconds
        runtime = TenantRuntime(
            id=settings.id,
            pack=pack,
            store=store,
            webhook_secret=secret,
            insecure_demo=insecure,
            chatflow_token=token,
            chatflow_instance_id=chatflow.instance_id,
            coalesce_seconds=self._coalesce_override if self._coalesce_override is not None else coalesce,
        )
        if secret is None and not insecure:
            log.warning(
                "tenant %s has no webhook secret (env %s is empty) and is not insecure_demo: its webhooks "
                "will be refused until the secret is set",
                settings.id,
                chatflow.webhook_secret_env or "<webhook_secret_env not set in tenant.yaml>",
            )
        with self._lock:
            self._tenants[settings.id] = runtime
        return runtime

    def swap(self, pack: CompiledPack) -> TenantRuntime:
        """Serve ``pack`` in place of its tenant's current pack, atomically; returns the replaced runtime.

        A caller that took the runtime before the swap keeps deciding with the old pack (the runtime is
        frozen), one that takes it after gets the new one: no decision ever sees a mix of both. Secrets
        and the coalescing window are re-resolved only when the pack's ChatFlow channel settings changed.

        Raises:
            UnknownTenant: the pack's tenant is not served here (adding a tenant needs a restart).
        """
        settings = pack.source.tenant
        with self._lock:
            old = self._tenants.get(settings.id)
            if old is None:
                raise UnknownTenant(settings.id, sorted(self._tenants))
            chatflow = settings.channels.chatflow
            changes: dict[str, object] = {"pack": pack}
            if chatflow != old.pack.source.tenant.channels.chatflow:
                changes.update(
                    webhook_secret=self._secret(chatflow.webhook_secret_env),
                    chatflow_token=self._secret(chatflow.token_env),
                    insecure_demo=chatflow.insecure_demo,
                    chatflow_instance_id=chatflow.instance_id,
                )
            if self._coalesce_override is None:
                changes["coalesce_seconds"] = settings.conversation.coalesce_seconds
            new = dataclasses.replace(old, **changes)  # type: ignore[arg-type]
            self._tenants[settings.id] = new
        try:
            self._record(pack, new.insecure_demo)
        except Exception as exc:  # the directory row is informative; the new pack already serves
            log.warning("tenant %s: pack %s serves, but its directory row was not updated: %s",
                        settings.id, pack.version, exc)  # fmt: skip
        return old

    def get(self, tenant_id: str) -> TenantRuntime:
        found = self._tenants.get(tenant_id)
        if found is None:
            raise UnknownTenant(tenant_id, sorted(self._tenants))
        return found

    def find(self, tenant_id: str) -> TenantRuntime | None:
        return self._tenants.get(tenant_id)

    def ids(self) -> list[str]:
        return sorted(self._tenants)

    def all(self) -> Iterable[TenantRuntime]:
        return [self._tenants[k] for k in sorted(self._tenants)]

    def _record(self, pack: CompiledPack, insecure: bool) -> None:
        """Upsert the tenant's directory row (name, timezone, pack version, secret env names)."""
        settings = pack.source.tenant
        chatflow = settings.channels.chatflow
        refs = {
            k: v
            for k, v in {
                "webhook_secret": chatflow.webhook_secret_env,
                "chatflow_token": chatflow.token_env,
            }.items()
            if v
        }
        for attempt in range(2):  # two processes starting together may race on the first insert
            try:
                TenantDirectory(self._session_factory).upsert(
                    settings.id,
                    settings.name,
                    settings={"timezone": settings.timezone, "pack_version": pack.version},
                    secret_refs=refs,
                    chatflow_instance_id=chatflow.instance_id or None,
                    telegram_chat_id=settings.channels.telegram.manager_chat_id or None,
                    insecure_demo=insecure,
                )
                return
            except ConstraintViolation:
                if attempt:
                    raise

    def _secret(self, env_name: str) -> str | None:
        return (self._environ.get(env_name) or None) if env_name else None
