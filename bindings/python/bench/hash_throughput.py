"""SHA-256 of N bytes through the wheel vs hashlib, in the same run.

    python bench/hash_throughput.py            # 1 GiB in 1 MiB updates
    FASTIO_BENCH_BYTES=268435456 python bench/hash_throughput.py

The same 1 MiB buffer is fed to both, best of 3 rounds each, and the two
digests must agree; the ratio printed is wheel MB/s / hashlib MB/s.
"""

from __future__ import annotations

import hashlib
import os
import time

import fastio_core as fc

TOTAL = int(os.environ.get("FASTIO_BENCH_BYTES", str(1 << 30)))
BLOCK = 1 << 20


def run(make, update, finish, block: bytes, n: int) -> tuple[float, str]:
    h = make()
    t = time.perf_counter()
    for _ in range(n):
        update(h, block)
    out = finish(h)
    return time.perf_counter() - t, out


def main() -> None:
    block = os.urandom(BLOCK)
    n = TOTAL // BLOCK
    cases = {
        "hashlib.sha256": (hashlib.sha256, lambda h, b: h.update(b), lambda h: h.hexdigest()),
        "fastio_core.Digest('sha256')": (lambda: fc.Digest("sha256"), lambda h, b: h.update(b), lambda h: h.finish_hex()),
        "fastio_core.FileDigest (sha256+crc32c)": (fc.FileDigest, lambda h, b: h.update(b), lambda h: h.finish().sha256),
    }
    best: dict[str, float] = {}
    digests: dict[str, str] = {}
    for _ in range(3):
        for name, (make, update, finish) in cases.items():
            dt, d = run(make, update, finish, block, n)
            best[name] = min(best.get(name, dt), dt)
            digests[name] = d
    assert len(set(digests.values())) == 1, f"digests differ: {digests}"
    ref = best["hashlib.sha256"]
    print(f"{n} updates of {BLOCK} bytes ({n * BLOCK / 2**20:.0f} MiB), best of 3")
    for name, dt in best.items():
        mbps = n * BLOCK / dt / 1e6
        print(f"{name:40s} {dt:7.3f} s {mbps:8.0f} MB/s  ratio {ref / dt:.2f}")


if __name__ == "__main__":
    main()
