"""Pack hot-reload time: from a file write to the new pack version serving, with N tenants loaded.

``--tenants`` pack folders are laid out in a temp dir (demo_salon plus copies with their own tenant id
and salon name) and served by a real runtime (``build_runtime`` on a throw-away SQLite file). Then:

- **poll, nothing changed**: one :meth:`PackReloader.check` over every folder (file stats only);
- **check after an edit**: write a new address into ``demo_salon/facts.yaml`` and call ``check()``
  at once: stat + hash + load + lint + compile + swap, the work of one reload;
- **write → serving**: the same edit with a :class:`PackWatcher` running at ``--interval`` seconds
  (the default of ``TRUFFLES_PACK_RELOAD_SECONDS``): time from the write until
  ``registry.get("demo_salon").pack`` is the new version (polled every millisecond).

    uv run python -m bench.bench_reload [--tenants 100] [--edits 5] [--interval 5]
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import msgspec

from bench.suite_machine import ROOT, summary, table
from config.compile.compiled import CompiledPack
from config.compile.compiler import compile_pack
from config.settings import ServiceSettings, load_settings
from workers.pack_reload import PackReloader, PackWatcher, reloader_for
from workers.runtime import Runtime
from workers.service import build_runtime
from workers.tenants import compile_pack_dir

TENANT = "demo_salon"


def _layout(root: Path, tenants: int) -> list[CompiledPack]:
    """``tenants`` folders under ``root`` and their compiled packs (copies: the demo source, new id)."""
    demo_dir = root / TENANT
    shutil.copytree(ROOT / "packs" / TENANT, demo_dir)
    demo = compile_pack_dir(demo_dir)
    packs = [demo]
    tenant_yaml = (demo_dir / "tenant.yaml").read_text(encoding="utf-8")
    for n in range(1, tenants):
        tenant_id = f"tenant_{n:03d}"
        folder = root / tenant_id
        shutil.copytree(demo_dir, folder)
        (folder / "tenant.yaml").write_text(tenant_yaml.replace(f"id: {TENANT}", f"id: {tenant_id}", 1))
        source = msgspec.structs.replace(
            demo.source, tenant=msgspec.structs.replace(demo.source.tenant, id=tenant_id)
        )
        packs.append(compile_pack(source))
    return packs


def _edit(facts: Path, n: int) -> None:
    text = facts.read_text(encoding="utf-8")
    start = text.index("ул. Абая ")
    end = text.index(",", start)
    facts.write_text(text[:start] + f"ул. Абая {200 + n}" + text[end:], encoding="utf-8")


def measure(tenants: int, edits: int, interval: float) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"poll": [], "check": [], "serving": []}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "packs"
        root.mkdir()
        packs = _layout(root, tenants)
        settings: ServiceSettings = load_settings(
            {}, database_url=f"sqlite:///{tmp}/reload.db", packs_dir=str(root), pack_reload_seconds=interval
        )
        rt: Runtime = build_runtime(settings, packs=packs, overrides={p.tenant_id: {"webhook_secret": "s"}
                                                                      for p in packs})  # fmt: skip
        try:
            reloader: PackReloader = reloader_for(rt, trust_current=True)
            time.sleep(2.1)  # let every copied file settle, so unchanged polls are stat-only
            for _ in range(5):
                t0 = time.perf_counter()
                reloader.check()
                out["poll"].append(time.perf_counter() - t0)
            facts = root / TENANT / "facts.yaml"
            for n in range(edits):
                _edit(facts, n)
                t0 = time.perf_counter()
                results = reloader.check()
                out["check"].append(time.perf_counter() - t0)
                assert any(r.status == "reloaded" for r in results), results
            watcher = PackWatcher(rt, interval)
            watcher.start()
            phases = random.Random(7)
            try:
                for n in range(edits):
                    time.sleep(phases.uniform(0, interval))  # edits land at any point of the poll cycle
                    before = rt.tenants.get(TENANT).pack.version
                    _edit(facts, 100 + n)
                    t0 = time.perf_counter()
                    while rt.tenants.get(TENANT).pack.version == before:
                        if time.perf_counter() - t0 > interval + 60:
                            raise RuntimeError(f"the edit was not served within {interval + 60:.0f} s")
                        time.sleep(0.001)
                    out["serving"].append(time.perf_counter() - t0)
            finally:
                watcher.stop()
        finally:
            rt.db.dispose()
    return out


def report(tenant_counts: list[int], edits: int, interval: float) -> str:
    rows = []
    found: dict[str, float] = {"reload_interval_s": interval}
    for tenants in tenant_counts:
        m = measure(tenants, edits, interval)
        found[f"reload_check_ms_{tenants}"] = round(statistics.median(m["check"]) * 1000)
        found[f"reload_serving_s_{tenants}"] = round(statistics.median(m["serving"]), 2)
        rows.append(
            (
                tenants,
                f"{statistics.median(m['poll']) * 1000:.1f}",
                f"{statistics.median(m['check']) * 1000:.0f} (max {max(m['check']) * 1000:.0f})",
                f"{statistics.median(m['serving']):.2f} (max {max(m['serving']):.2f})",
            )
        )
    head = (
        f"One edit of `demo_salon/facts.yaml` at a time, {edits} edits per row; watcher interval "
        f"{interval:g} s (`TRUFFLES_PACK_RELOAD_SECONDS`), each edit at a random point of the poll "
        "cycle: write → serving is on average half an interval of waiting plus the reload work, at most "
        "one interval plus the work."
    )
    header = (
        "tenants loaded",
        "poll, nothing changed (ms)",
        "check after an edit (ms)",
        "write → serving (s)",
    )
    return head + "\n\n" + table(header, rows) + "\n" + summary(**found)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", default="1,100", help="comma-separated tenant counts")
    parser.add_argument("--edits", type=int, default=5)
    parser.add_argument("--interval", type=float, default=ServiceSettings().pack_reload_seconds)
    args = parser.parse_args()
    print(report([int(t) for t in args.tenants.split(",")], args.edits, args.interval))


if __name__ == "__main__":
    main()
