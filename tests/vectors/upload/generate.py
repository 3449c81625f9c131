#!/usr/bin/env python3
"""Writes the upload vectors (plans, digests, CRC32C combinations) from first principles.

Standard library only. Digests come from hashlib; CRC32C from the table-driven
implementation below (Castagnoli, reflected polynomial 0x82F63B78), checked against the
published check value crc32c(b"123456789") == 0xE3069283 before anything is written.
Plans are computed with plain arithmetic, independently of the Rust planner.

    python3 generate.py          # rewrite the JSON files beside this script
    python3 generate.py --check  # exit 1 if the files on disk differ from what would be written
"""

import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# ---------------------------------------------------------------- CRC32C

POLY = 0x82F63B78
TABLE = []
for n in range(256):
    c = n
    for _ in range(8):
        c = (c >> 1) ^ POLY if c & 1 else c >> 1
    TABLE.append(c)


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    table = TABLE
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def gf2_times(mat, vec):
    s = 0
    i = 0
    while vec:
        if vec & 1:
            s ^= mat[i]
        vec >>= 1
        i += 1
    return s


def gf2_square(mat):
    return [gf2_times(mat, mat[n]) for n in range(32)]


def crc32c_combine(crc1, crc2, len2):
    """zlib's crc32_combine with the Castagnoli polynomial: crc(A+B) from crc(A), crc(B), |B|."""
    if len2 == 0:
        return crc1
    odd = [POLY] + [1 << n for n in range(31)]
    even = gf2_square(odd)
    odd = gf2_square(even)
    while True:
        even = gf2_square(odd)
        if len2 & 1:
            crc1 = gf2_times(even, crc1)
        len2 >>= 1
        if len2 == 0:
            break
        odd = gf2_square(even)
        if len2 & 1:
            crc1 = gf2_times(odd, crc1)
        len2 >>= 1
        if len2 == 0:
            break
    return crc1 ^ crc2


# ---------------------------------------------------------------- inputs

def materialise(spec):
    """Input specs shared with the Rust runner (see README.md)."""
    kind = spec["kind"]
    if kind == "ascii":
        return spec["value"].encode("ascii")
    if kind == "hex":
        return bytes.fromhex(spec["value"])
    if kind == "repeat":
        return bytes([spec["byte"]]) * spec["len"]
    if kind == "pattern":
        # byte i = i mod 251 (a prime, so the pattern does not align with block sizes)
        n = spec["len"]
        block = bytes(range(251))
        return (block * (n // 251 + 1))[:n]
    raise ValueError(kind)


def digests(data):
    return {
        "md5": hashlib.md5(data).hexdigest(),
        "sha1": hashlib.sha1(data).hexdigest(),
        "sha256": hashlib.sha256(data).hexdigest(),
        "sha384": hashlib.sha384(data).hexdigest(),
        "crc32c": "%08x" % crc32c(data),
    }


DIGEST_INPUTS = [
    ("empty", {"kind": "ascii", "value": ""}),
    ("a", {"kind": "ascii", "value": "a"}),
    ("abc", {"kind": "ascii", "value": "abc"}),
    ("check_string", {"kind": "ascii", "value": "123456789"}),
    ("quick_brown_fox", {"kind": "ascii", "value": "The quick brown fox jumps over the lazy dog"}),
    ("bytes_00_ff", {"kind": "hex", "value": bytes(range(256)).hex()}),
    ("zeros_32", {"kind": "repeat", "byte": 0, "len": 32}),
    ("ones_32", {"kind": "repeat", "byte": 255, "len": 32}),
    ("pattern_55", {"kind": "pattern", "len": 55}),
    ("pattern_64", {"kind": "pattern", "len": 64}),
    ("pattern_127", {"kind": "pattern", "len": 127}),
    ("pattern_1000", {"kind": "pattern", "len": 1000}),
    ("pattern_65553", {"kind": "pattern", "len": 65553}),
    ("million_a", {"kind": "repeat", "byte": 97, "len": 1_000_000}),
    ("pattern_4194305", {"kind": "pattern", "len": 4_194_305}),
]


def digest_vectors():
    cases = []
    for name, spec in DIGEST_INPUTS:
        data = materialise(spec)
        cases.append({"name": name, "input": spec, "len": len(data), "digests": digests(data)})
    return {
        "description": "Digests of fixed inputs in every algorithm the upload endpoints accept. "
        "crc32c is the 32-bit value as 8 lowercase hex digits, big-endian.",
        "version": 1,
        "cases": cases,
    }


# ---------------------------------------------------------------- CRC combination

def crc_vectors():
    pairs = []
    split_inputs = [
        ("abc_def", b"abc", b"def"),
        ("empty_b", b"abc", b""),
        ("empty_a", b"", b"123456789"),
        ("both_empty", b"", b""),
        ("check_split", b"1234", b"56789"),
    ]
    pat = materialise({"kind": "pattern", "len": 200_000})
    split_inputs.append(("pattern_split_1", pat[:1], pat[1:]))
    split_inputs.append(("pattern_split_65536", pat[:65536], pat[65536:]))
    split_inputs.append(("pattern_split_199999", pat[:199_999], pat[199_999:]))
    for name, a, b in split_inputs:
        expected = crc32c(a + b)
        got = crc32c_combine(crc32c(a), crc32c(b), len(b))
        assert got == expected, name
        pairs.append({
            "name": name,
            "crc1": "%08x" % crc32c(a),
            "crc2": "%08x" % crc32c(b),
            "len2": len(b),
            "combined": "%08x" % expected,
        })
    # Lengths too large to hash here: the second part is all zero bytes, whose CRC32C is
    # computed from the zero-shift operator (checked against direct hashing at small sizes).
    for name, crc1, len2 in (
        ("zeros_4gib_plus_1", 0xE3069283, 4 * 1024**3 + 1),
        ("zeros_40gb", 0x12345678, 40_000_000_000),
        ("zeros_2_pow_40", 0xFFFFFFFF, 2**40),
    ):
        crc2 = crc32c_of_zeros(len2)
        pairs.append({
            "name": name,
            "crc1": "%08x" % crc1,
            "crc2": "%08x" % crc2,
            "len2": len2,
            "combined": "%08x" % crc32c_combine(crc1, crc2, len2),
        })

    files = []
    for name, size, chunk in (
        ("pattern_10_by_3", 10, 3),
        ("pattern_1000_by_100", 1000, 100),
        ("pattern_200000_by_65536", 200_000, 65536),
        ("pattern_1_by_1", 1, 1),
    ):
        data = materialise({"kind": "pattern", "len": size})
        parts = []
        for off in range(0, size, chunk):
            piece = data[off:off + chunk]
            parts.append({"offset": off, "len": len(piece), "crc32c": "%08x" % crc32c(piece)})
        files.append({
            "name": name,
            "input": {"kind": "pattern", "len": size},
            "parts": parts,
            "file_crc32c": "%08x" % crc32c(data),
        })
    return {
        "description": "CRC32C combination: combined = crc32c(A+B) from crc1 = crc32c(A), "
        "crc2 = crc32c(B), len2 = |B|; and whole-file CRC32C from chunk CRCs.",
        "version": 1,
        "combine": pairs,
        "files": files,
    }


def crc32c_of_zeros(n):
    """CRC32C of n zero bytes without hashing them: crc(zeros(a+b)) = combine(crc(zeros(a)), crc(zeros(b)), b)."""
    piece = 1 << 20
    piece_crc = crc32c(bytes(piece))
    acc_crc, acc_len = 0, 0
    # binary decomposition over doubling pieces
    bit_crc, bit_len = piece_crc, piece
    rem = n
    small = rem % piece
    rem //= piece
    while rem:
        if rem & 1:
            acc_crc = crc32c_combine(acc_crc, bit_crc, bit_len) if acc_len else bit_crc
            acc_len += bit_len
        bit_crc = crc32c_combine(bit_crc, bit_crc, bit_len)
        bit_len *= 2
        rem >>= 1
    if small:
        tail = crc32c(bytes(small))
        acc_crc = crc32c_combine(acc_crc, tail, small) if acc_len else tail
        acc_len += small
    assert acc_len == n
    return acc_crc


# ---------------------------------------------------------------- plans

MIB = 1024 * 1024
DEFAULT = {
    "single_request_max": 4_194_304,
    "chunk_size": 4 * MIB,
    "max_chunks": None,
    "max_file_size": None,
    "max_in_flight": 3,
}


# No plan has more chunks than this (fastio_core::upload::plan::CHUNK_COUNT_CEILING).
CHUNK_COUNT_CEILING = 2**20
# Nor chunks larger, nor more in flight, nor more chunk bytes in flight at once, than these
# (CHUNK_SIZE_CEILING, MAX_IN_FLIGHT_CEILING, IN_FLIGHT_BYTES_CEILING): a host allocates them.
CHUNK_SIZE_CEILING = 64 * MIB
MAX_IN_FLIGHT_CEILING = 16
IN_FLIGHT_BYTES_CEILING = 256 * MIB
# A single request never carries more than the request builder's limit.
SINGLE_REQUEST_LIMIT = 4_194_304


def over_a_ceiling(c):
    return (c["chunk_size"] > CHUNK_SIZE_CEILING or c["max_in_flight"] > MAX_IN_FLIGHT_CEILING
            or c["chunk_size"] * c["max_in_flight"] > IN_FLIGHT_BYTES_CEILING
            or c["single_request_max"] > SINGLE_REQUEST_LIMIT)


def expected_plan(size, cfg):
    if cfg["chunk_size"] == 0:
        return {"error": "invalid_config"}
    if cfg["max_in_flight"] == 0:
        return {"error": "invalid_config"}
    if cfg["max_chunks"] == 0:
        return {"error": "invalid_config"}
    if over_a_ceiling(cfg):
        return {"error": "invalid_config"}
    if cfg["max_file_size"] is not None and size > cfg["max_file_size"]:
        return {"error": "too_large", "size": size, "max": cfg["max_file_size"]}
    if size <= cfg["single_request_max"]:
        return {"plan": {"kind": "single", "size": size}}
    cs = cfg["chunk_size"]
    count = -(-size // cs)
    # The core's CHUNK_COUNT_CEILING holds whatever max_chunks says.
    limit = CHUNK_COUNT_CEILING if cfg["max_chunks"] is None else min(cfg["max_chunks"],
                                                                       CHUNK_COUNT_CEILING)
    if count > limit:
        return {"error": "too_many_chunks", "size": size, "chunk_size": cs, "chunks": count,
                "max": limit}
    out = {"plan": {"kind": "chunked", "size": size, "chunk_size": cs, "chunk_count": count,
                    "max_in_flight": cfg["max_in_flight"]}}
    chunks = [[i + 1, i * cs, min(cs, size - i * cs)] for i in range(min(count, 20))]
    if count > 20:
        last = count - 1
        chunks.append([count, last * cs, size - last * cs])
    out["chunks"] = chunks
    return out


def cfg(**kw):
    c = dict(DEFAULT)
    c.update(kw)
    return c


PLAN_CASES = [
    ("zero", 0, cfg()),
    ("one_byte", 1, cfg()),
    ("single_max", 4_194_304, cfg()),
    ("single_max_plus_1", 4_194_305, cfg()),
    ("two_full_chunks", 8 * MIB, cfg()),
    ("two_chunks_plus_1", 8 * MIB + 1, cfg()),
    ("five_mb_chunks", 12_000_000, cfg(chunk_size=5_000_000)),
    ("forty_gb", 40_000_000_000, cfg()),
    ("one_gib", 1024 * MIB, cfg(max_in_flight=5)),
    ("chunk_larger_than_file", 5 * MIB, cfg(chunk_size=16 * MIB)),
    ("small_single_max", 10, cfg(single_request_max=0, chunk_size=3)),
    ("exactly_max_file_size", 25_000_000_000, cfg(max_file_size=25_000_000_000)),
    ("past_max_file_size", 25_000_000_001, cfg(max_file_size=25_000_000_000)),
    ("single_past_max_file_size", 1000, cfg(max_file_size=999)),
    ("exactly_max_chunks", 40 * MIB, cfg(max_chunks=10)),
    ("past_max_chunks", 40 * MIB + 1, cfg(max_chunks=10)),
    ("zero_chunk_size", 10 * MIB, cfg(chunk_size=0)),
    ("zero_in_flight", 10 * MIB, cfg(max_in_flight=0)),
    ("u64_max", 2**64 - 1, cfg()),
    ("at_chunk_ceiling", 2**20 * 4 * MIB, cfg()),
    ("past_chunk_ceiling", 2**20 * 4 * MIB + 1, cfg()),
    ("max_chunks_above_ceiling", 2**21, cfg(single_request_max=0, chunk_size=1,
                                            max_chunks=2**40)),
    ("chunk_at_size_ceiling", 1024 * MIB, cfg(chunk_size=64 * MIB)),
    ("chunk_over_size_ceiling", 1024 * MIB, cfg(chunk_size=64 * MIB + 1)),
    ("two_gib_chunk", 4096 * MIB, cfg(chunk_size=2048 * MIB, max_in_flight=1)),
    ("in_flight_over_ceiling", 1024 * MIB, cfg(max_in_flight=17)),
    ("in_flight_bytes_over_ceiling", 1024 * MIB, cfg(chunk_size=64 * MIB, max_in_flight=5)),
    ("single_max_over_the_request_limit", 10, cfg(single_request_max=4_194_305)),
]

STREAM_CASES = [
    ("stream_unbounded", None, cfg()),
    ("stream_bounded", 1_000_000, cfg()),
    ("stream_at_max", 1_000_000, cfg(max_file_size=1_000_000)),
    ("stream_past_max", 1_000_001, cfg(max_file_size=1_000_000)),
]


def expected_stream(max_size, c):
    if c["chunk_size"] == 0 or c["max_in_flight"] == 0 or c["max_chunks"] == 0:
        return {"error": "invalid_config"}
    if over_a_ceiling(c):
        return {"error": "invalid_config"}
    if max_size is not None and c["max_file_size"] is not None and max_size > c["max_file_size"]:
        return {"error": "too_large", "size": max_size, "max": c["max_file_size"]}
    return {"plan": {"kind": "stream", "max_size": max_size}}


LIMITS_CASES = [
    ("empty_object", {}, cfg(), cfg()),
    ("not_an_object", [1, 2], cfg(), cfg()),
    ("chunk_size_number", {"chunk_size": 5_000_000}, cfg(), cfg(chunk_size=5_000_000)),
    ("chunk_size_string", {"chunk_size": "8388608"}, cfg(), cfg(chunk_size=8 * MIB)),
    ("nested_in_response", {"result": True, "response": {"limits": {"max_chunks": 1000}}}, cfg(),
     cfg(max_chunks=1000)),
    ("min_raises", {"min_chunk_size": 5_242_880}, cfg(), cfg(chunk_size=5_242_880)),
    ("max_lowers", {"max_chunk_size": 1_048_576}, cfg(), cfg(chunk_size=1_048_576)),
    ("file_size_smaller_wins", {"max_file_size": 1_000_000_000}, cfg(max_file_size=2_000_000_000),
     cfg(max_file_size=1_000_000_000)),
    ("file_size_config_smaller", {"max_size": 5_000_000_000}, cfg(max_file_size=2_000_000_000),
     cfg(max_file_size=2_000_000_000)),
    ("parallel_caps", {"max_parallel": 2}, cfg(), cfg(max_in_flight=2)),
    ("parallel_never_raises", {"max_parallel": 8}, cfg(), cfg()),
    ("case_insensitive", {"Chunk_Size": 2_097_152}, cfg(), cfg(chunk_size=2_097_152)),
    ("ignores_zero_negative_text", {"chunk_size": 0, "max_chunks": -5, "max_size": "big"}, cfg(),
     cfg()),
    ("whole_float", {"chunk_size": 4194304.0}, cfg(chunk_size=1), cfg(chunk_size=4_194_304)),
    ("fractional_float_ignored", {"chunk_size": 1.5}, cfg(), cfg()),
    ("single_max", {"single_request_max": 1_000_000}, cfg(), cfg(single_request_max=1_000_000)),
    ("chunk_size_clamped_to_ceiling", {"chunk_size": 1 << 30}, cfg(), cfg(chunk_size=64 * MIB)),
    ("min_chunk_clamped_to_ceiling", {"min_chunk_size": 1 << 40}, cfg(),
     cfg(chunk_size=64 * MIB)),
    ("big_chunks_mean_fewer_in_flight", {"chunk_size": 64 * MIB}, cfg(max_in_flight=8),
     cfg(chunk_size=64 * MIB, max_in_flight=4)),
    ("single_max_never_raised", {"single_request_max": 1 << 30}, cfg(), cfg()),
    ("all_at_once", {"limits": {"chunk_size": 6_000_000, "max_chunk_size": 5_000_000,
                                "max_chunks": 10000, "max_file_size": 40_000_000_000,
                                "max_parallel": 3}}, cfg(),
     cfg(chunk_size=5_000_000, max_chunks=10000, max_file_size=40_000_000_000)),
]


def plan_vectors():
    return {
        "description": "Upload plans. 'config' is a PlanConfig; 'expect' holds either "
        "'plan' (the plan exactly as it serialises) plus 'chunks' ([order, offset, len], the "
        "first 20 and the last), or 'error' with its numbers.",
        "version": 1,
        "plans": [{"name": n, "size": s, "config": c, "expect": expected_plan(s, c)}
                  for n, s, c in PLAN_CASES],
        "streams": [{"name": n, "max_size": m, "config": c, "expect": expected_stream(m, c)}
                    for n, m, c in STREAM_CASES],
        "limits": [{"name": n, "limits": l, "fallback": f, "expect": e}
                   for n, l, f, e in LIMITS_CASES],
    }


# ---------------------------------------------------------------- main

def render(obj):
    return json.dumps(obj, indent=1, sort_keys=False) + "\n"


def main():
    assert crc32c(b"123456789") == 0xE3069283, "CRC32C implementation is wrong"
    assert crc32c(bytes(32)) == 0x8A9136AA and crc32c(b"\xff" * 32) == 0x62A8AB43  # RFC 3720 B.4
    for n in (0, 1, 7, 1000, 70000):
        assert crc32c_of_zeros(n) == crc32c(bytes(n)), n
    outputs = {
        "digests.json": render(digest_vectors()),
        "crc32c_combine.json": render(crc_vectors()),
        "plans.json": render(plan_vectors()),
    }
    check = "--check" in sys.argv[1:]
    bad = []
    for name, text in outputs.items():
        path = HERE / name
        if check:
            if not path.exists() or path.read_text() != text:
                bad.append(name)
        else:
            path.write_text(text)
    if bad:
        print("out of date: " + ", ".join(bad), file=sys.stderr)
        sys.exit(1)
    print("ok" if check else "written: " + ", ".join(outputs))


if __name__ == "__main__":
    main()
