"""Cost of one trivial call through the wheel (`ffi_echo`) next to a plain
Python function call, in the same run.

    python bench/call_overhead.py
"""

from __future__ import annotations

import time

import fastio_core as fc

N = 200_000


def py_echo(v: int) -> int:
    return v


def per_call(f) -> float:
    best = float("inf")
    for _ in range(5):
        t = time.perf_counter()
        for i in range(N):
            f(i)
        best = min(best, time.perf_counter() - t)
    return best / N * 1e9


def main() -> None:
    assert fc.ffi_echo(42) == 42
    ffi = per_call(fc.ffi_echo)
    py = per_call(py_echo)
    print(f"ffi_echo through the wheel: {ffi:8.0f} ns/call")
    print(f"plain Python function:      {py:8.0f} ns/call")
    print(f"ratio ffi / python: {ffi / py:.1f}")


if __name__ == "__main__":
    main()
