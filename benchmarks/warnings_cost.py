"""What the lossy-value warnings cost: the same engine with and without them, side by side.

``python -m benchmarks.warnings_cost [--records 200000] [--repeat 7]``

Three runs, round-robin in one process, medians:

* ``exact``: seed-shaped records whose lat/long are multiples of 1/16, which the
  endpoint's float arithmetic stores exactly at Scale 4 - no warnings at all;
* ``exact, detection off``: the same records with the vector forms' lossy tests
  switched off (what the engine would cost without the warnings feature);
* ``lossy``: the usual generated records (4 decimals: about 12% of lat/long values
  are stored one unit lower by float arithmetic, so the first 1,000 warnings are
  kept and the rest counted).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from contextlib import contextmanager
from typing import Any, Iterator

import mapper
from mapper.types import REGISTRY

from .gen import SINK, generate, positive_int, record


def exact_records(n: int, seed: int = 42) -> bytes:
    rnd = random.Random(seed)
    lines = []
    for i in range(n):
        rec = record(i, rnd)
        rec["data"]["lat"] = rnd.randrange(-1439, 1440) / 16
        rec["data"]["long"] = rnd.randrange(-2879, 2880) / 16
        lines.append(json.dumps(rec, separators=(", ", ": ")))
    return ("\n".join(lines) + "\n").encode()


def _no_lossy(factory: Any) -> Any:
    def make(*args: Any, **kwargs: Any) -> Any:
        vec = factory(*args, **kwargs)
        if vec is None:
            return None

        def quiet(lst: list[Any], out: Any) -> Any:
            result = vec(lst, out)
            return None if result is None else (result[0], [])

        return quiet

    return make


@contextmanager
def detection_off() -> Iterator[None]:
    """Every column type's vector form with its lossy-value tests dropped (the engine binds them per run)."""
    saved = {cls: cls.__dict__.get("vector") for cls in REGISTRY.values()}
    for cls in REGISTRY.values():
        cls.vector = _no_lossy(cls.vector)  # type: ignore[method-assign]
    try:
        yield
    finally:
        for cls, own in saved.items():
            if own is None:
                del cls.vector
            else:
                cls.vector = own  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m benchmarks.warnings_cost", description=__doc__.splitlines()[0])
    p.add_argument("--records", type=positive_int, default=200_000)
    p.add_argument("--repeat", type=positive_int, default=7)
    args = p.parse_args(argv)
    exact = exact_records(args.records)
    lossy = generate(args.records)
    with_detection = mapper.compile_sink(SINK)
    without = mapper.compile_sink(SINK)
    with detection_off():
        assert without.map(lossy).report.total_warnings == 0  # it took

    def run_without(data: bytes) -> Any:
        with detection_off():
            return without.map(data)

    runs = {
        "exact": lambda: with_detection.map(exact),
        "exact, detection off": lambda: run_without(exact),
        "lossy": lambda: with_detection.map(lossy),
    }
    times: dict[str, list[float]] = {k: [] for k in runs}
    warnings: dict[str, int] = {}
    for name, fn in runs.items():  # warm-up
        warnings[name] = fn().report.total_warnings
    for _ in range(args.repeat):
        for name, fn in runs.items():
            start = time.perf_counter()
            batch = fn()
            times[name].append(time.perf_counter() - start)
            del batch
    base = statistics.median(times["exact, detection off"])
    print(f"{'run':<24} {'records/s':>10} {'vs detection off':>17} {'warnings':>9}")
    for name in runs:
        med = statistics.median(times[name])
        print(f"{name:<24} {args.records / med:>10,.0f} {base / med:>16.3f}x {warnings[name]:>9,}")


if __name__ == "__main__":
    main()
