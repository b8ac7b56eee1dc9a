"""The headline table of the suite's report: one line per benchmark, from the sections' summaries."""

from __future__ import annotations

from bench.suite_machine import table


def _fmt(values: dict[str, object], key: str, unit: str = "") -> str:
    value = values.get(key)
    return "–" if value is None else f"{value}{unit}"


def headline(v: dict[str, object]) -> str:
    f = _fmt
    tenants = f(v, "memory_tenants")
    rows = [
        ("`decide()`, every battery message, all stages", f"p50 {f(v, 'decide_p50_ms')} ms, p99 "
         f"{f(v, 'decide_p99_ms')} ms, {f(v, 'decisions_per_s')} decisions/s on one core"),
        ("full battery run, fresh process", f"demo_salon {f(v, 'eval_demo_salon_s')} s, auto_service "
         f"{f(v, 'eval_auto_service_s')} s"),
        ("calibration sweep, fresh process", f"{f(v, 'calibrate_demo_salon_s')} s"),
        ("calibration slider move, 400 cached cases", f"{f(v, 'slider_move_ms')} ms"),
        ("webhook ACK (PostgreSQL + Redis, 2 API processes)", f"{f(v, 'ack_rps')} req/s, p50 "
         f"{f(v, 'ack_p50_ms')} ms, p99 {f(v, 'ack_p99_ms')} ms"),
        ("processing, window excluded",
         f"p50 {f(v, 'processing_p50_ms')} ms, p90 {f(v, 'processing_p90_ms')} ms"),
        (f"end to end received → sent, minus the {f(v, 'e2e_window_ms')} ms window",
         f"p50 {f(v, 'e2e_p50_ms')} ms, p99 {f(v, 'e2e_p99_ms')} ms"),
        ("outbox, 10 % provider errors", f"{f(v, 'outbox_msg_s')} msg/s; lost {f(v, 'outbox_lost')}, "
         f"duplicates {f(v, 'outbox_duplicates')}"),
        (f"worker RSS with {tenants} packs",
         f"{f(v, 'memory_rss_mib')} MiB ({f(v, 'memory_per_pack_mib')} MiB a pack)"),
        ("pack hot reload: check after an edit (1 / many tenants)", " / ".join(
            f"{val} ms" for k, val in v.items() if k.startswith("reload_check_ms_")) or "–"),
        (f"pack hot reload: write → serving (poll every {f(v, 'reload_interval_s')} s)", " / ".join(
            f"{val} s" for k, val in v.items() if k.startswith("reload_serving_s_")) or "–"),
        ("wrong / unsafe answers, Truffles vs LlamaIndex top-1 (checked turns)",
         f"{f(v, 'truffles_wrong')} / {f(v, 'truffles_unsafe')} vs {f(v, 'baseline_wrong')} / "
         f"{f(v, 'baseline_unsafe')} (of {f(v, 'truffles_turns')})"),
    ]  # fmt: skip
    return table(("what", "measured"), rows)
