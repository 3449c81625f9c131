#!/usr/bin/env python3
"""Writes the policy vectors (magic-byte sniffing and upload grants) from first
principles with the Python standard library: file signatures from their
published magic numbers, grant tokens with hmac/hashlib/base64.

    python3 generate.py           # write the files
    python3 generate.py --check   # exit 1 if the files on disk differ
"""
import base64
import hashlib
import hmac
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def b64(b):
    return base64.b64encode(b).decode()


def sniff_cases():
    pk = b"PK\x03\x04" + b"\x14\x00\x06\x00\x08\x00" + b"\x00" * 16
    def zip_with(name):
        n = name.encode()
        return pk + len(n).to_bytes(2, "little") + b"\x00\x00" + n + b"\x00" * 64
    box = lambda brand: (24).to_bytes(4, "big") + b"ftyp" + brand + b"\x00\x00\x02\x00" + b"isomiso2"
    cases = [
        ("pdf", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", True, "pdf"),
        ("png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", True, "png"),
        ("jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", True, "jpeg"),
        ("gif87", b"GIF87a\x01\x00\x01\x00", True, "gif"),
        ("gif89", b"GIF89a\x01\x00\x01\x00", True, "gif"),
        ("webp", b"RIFF\x24\x00\x00\x00WEBPVP8 ", True, "webp"),
        ("riff_wav_is_not_webp", b"RIFF\x24\x00\x00\x00WAVEfmt ", True, "unknown"),
        ("mp4", box(b"isom"), True, "mp4"),
        ("mov", box(b"qt  "), True, "mov"),
        ("zip", zip_with("readme.md"), True, "zip"),
        ("docx", zip_with("[Content_Types].xml") + zip_with("word/document.xml"), True, "docx"),
        ("xlsx", zip_with("[Content_Types].xml") + zip_with("xl/workbook.xml"), True, "xlsx"),
        ("pptx", zip_with("[Content_Types].xml") + zip_with("ppt/presentation.xml"), True, "pptx"),
        ("text_ascii", b"hello, world\n\tindented\r\n", True, "text"),
        ("text_utf8", "grüße, 漢字 😀\n".encode(), True, "text"),
        ("binary_nul", b"hello\x00world", True, "unknown"),
        ("invalid_utf8", b"caf\xe9 au lait", True, "unknown"),
        ("empty_complete", b"", True, "unknown"),
        ("empty_open", b"", False, "need_more"),
        ("pdf_prefix_open", b"%PD", False, "need_more"),
        ("pdf_prefix_complete", b"%PD", True, "text"),
        ("zip_head_open", zip_with("a.txt"), False, "need_more"),
        ("text_open", b"just some text", False, "need_more"),
        ("elf_binary", b"\x7fELF\x02\x01\x01\x00", True, "unknown"),
    ]
    return [
        {"name": n, "head_b64": b64(h), "complete": c, "expect": e}
        for (n, h, c, e) in cases
    ]


def kid(key):
    return hashlib.sha256(key.encode()).hexdigest()[:8]


def issue(key, grant):
    payload = json.dumps(grant, separators=(",", ":"), ensure_ascii=False).encode()
    signed = "fg1.%s.%s" % (kid(key), base64.urlsafe_b64encode(payload).rstrip(b"=").decode())
    mac = hmac.new(key.encode(), signed.encode(), hashlib.sha256).digest()
    return signed + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def grant_cases():
    key = "gateway-grant-secret-1"
    other = "gateway-grant-secret-2"
    g = {"w": "4000000000000000001", "f": "root", "m": 10485760, "e": 1767229200, "i": 1767225600, "n": "n-001"}
    tok = issue(key, g)
    prefix, k, payload, mac = tok.split(".")
    # Tamper: a different max size under the original signature.
    g2 = dict(g, m=10 ** 12)
    p2 = base64.urlsafe_b64encode(json.dumps(g2, separators=(",", ":")).encode()).rstrip(b"=").decode()
    flipped_mac = mac[:-2] + ("A" if mac[-2] != "A" else "B") + mac[-1]
    cases = [
        {"name": "valid", "keys": [key], "token": tok, "now": 1767226000, "expect": {"ok": g}},
        {"name": "valid_with_rotation", "keys": [other, key], "token": tok, "now": 1767226000, "expect": {"ok": g}},
        {"name": "issue_is_byte_identical", "keys": [key], "issue": g, "token": tok, "now": 1767226000, "expect": {"ok": g}},
        {"name": "expired", "keys": [key], "token": tok, "now": 1767229200, "expect": {"error": "expired"}},
        {"name": "issued_in_future", "keys": [key], "token": tok, "now": 1767225000, "expect": {"error": "not_yet_valid"}},
        {"name": "within_skew", "keys": [key], "token": tok, "now": 1767225550, "expect": {"ok": g}},
        {"name": "wrong_key", "keys": [other], "token": tok, "now": 1767226000, "expect": {"error": "wrong_key"}},
        {"name": "tampered_payload", "keys": [key], "token": ".".join([prefix, k, p2, mac]), "now": 1767226000, "expect": {"error": "tampered"}},
        {"name": "tampered_signature", "keys": [key], "token": ".".join([prefix, k, payload, flipped_mac]), "now": 1767226000, "expect": {"error": "tampered"}},
        {"name": "wrong_prefix", "keys": [key], "token": "fg2" + tok[3:], "now": 1767226000, "expect": {"error": "malformed"}},
        {"name": "too_few_parts", "keys": [key], "token": "fg1.abc.def", "now": 1767226000, "expect": {"error": "malformed"}},
        {"name": "empty", "keys": [key], "token": "", "now": 1767226000, "expect": {"error": "malformed"}},
        {"name": "signature_not_base64", "keys": [key], "token": ".".join([prefix, k, payload, "***"]), "now": 1767226000, "expect": {"error": "malformed"}},
    ]
    return cases


def files():
    return {
        "sniff.json": {"version": 1, "description": "Magic-byte sniffing: head bytes (base64), whether the file is complete, the expected kind or need_more/unknown.", "cases": sniff_cases()},
        "grants.json": {"version": 1, "description": "Upload grants: keys (secrets), a token, the time, and the decoded grant or the error kind. Tokens are made by this script with hmac/hashlib/base64.", "cases": grant_cases()},
    }


def main():
    check = "--check" in sys.argv[1:]
    bad = 0
    for name, doc in files().items():
        text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
        path = os.path.join(HERE, name)
        if check:
            try:
                with open(path, encoding="utf-8") as f:
                    on_disk = f.read()
            except FileNotFoundError:
                on_disk = None
            if on_disk != text:
                print("differs: %s" % name)
                bad += 1
        else:
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
    if check:
        if bad:
            sys.exit(1)
        print("ok: policy vectors match generate.py")


if __name__ == "__main__":
    main()
