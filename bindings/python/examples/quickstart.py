"""The first run after ``pip install fastio-core``: upload a file, download it
back verified, and verify a signed webhook delivery.

Run: ``FASTIO_API_KEY=... python quickstart.py WORKSPACE_ID [FILE]``, with
``FASTIO_API_BASE`` for a server other than the real service. Without FILE it
uploads 9 MB it generates (three chunks) and removes nothing else.
"""

from __future__ import annotations

import filecmp
import os
import sys
import tempfile
import time

from fastio_core import Client, WebhookSigner, verify_webhook, webhook_scheme_named


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    workspace = argv[1]
    client = Client(os.environ["FASTIO_API_KEY"], base_url=os.environ.get("FASTIO_API_BASE", "https://api.fast.io/current/"))
    with tempfile.TemporaryDirectory() as tmp:
        source = argv[2] if len(argv) > 2 else os.path.join(tmp, "quickstart.bin")
        if len(argv) <= 2:
            with open(source, "wb") as f:
                f.write(os.urandom(9_000_000))
        up = client.upload(source, workspace=workspace, verify_stored=True)
        print(f"uploaded {up.size} bytes as node {up.node_id}, crc32c {up.crc32c}, stored check: {up.stored}")
        copy = os.path.join(tmp, "copy.bin")
        down = client.download(up.node_id, copy, workspace=workspace)
        if not filecmp.cmp(source, copy, shallow=False):
            raise SystemExit("the downloaded copy differs")
        print(f"downloaded {down.size} bytes, verified against the server's {down.checked_algo}")

    # A delivery as Fast.io signs it, verified the way a receiver does.
    secret = "quickstart-secret"
    body = b'{"event":"workspace_storage_file_added"}'
    headers = WebhookSigner(webhook_scheme_named("fastio"), secret).sign(None, int(time.time()), body)
    delivery = verify_webhook({h.name: h.value for h in headers}, body, secret)
    print(f"webhook verified ({delivery.scheme})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
