"""What every benchmark script does last: write its results as JSON and say whether it met them."""

from __future__ import annotations

import json
import platform
import sys
from pathlib import Path
from typing import Any

from jobfsm._files import write_atomic

#: Where the scripts write their JSON (and cache large inputs, as git-ignored ``*.tmp`` files).
RESULTS = Path(__file__).parent / "results"


def save(name: str, method: str, results: list[dict[str, Any]], **versions: object) -> int:
    """Write ``results/<name>.json`` atomically; return 0 when every target was met, else 1.

    ``versions`` name what the figures depend on besides Python (``transitions="0.9.3"``).
    """
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{name}.json"
    payload = {
        "python": sys.version.split()[0],
        **versions,
        "machine": platform.machine(),
        "method": method,
        "results": results,
    }
    write_atomic(out, (json.dumps(payload, indent=2) + "\n").encode())
    print(f"\nwrote {out}")
    return 0 if all(r["met"] for r in results) else 1
