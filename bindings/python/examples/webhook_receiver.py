"""A webhook receiver on the standard library's http.server.

Run: ``FASTIO_WEBHOOK_SECRET=... python webhook_receiver.py 8080``. The same
three lines work in Flask (``verify_webhook(request.headers,
request.get_data(), secret)``), FastAPI (``request.headers``, ``await
request.body()``) and Django (``request.headers``, ``request.body``).
"""

from __future__ import annotations

import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, List, Optional

from fastio_core import FastioError, ReplayGuard, parse_webhook_event, verify_webhook

MAX_BODY = 1 << 20


def make_server(
    secret: str,
    port: int = 0,
    on_event: Optional[Callable[[Any, Any], None]] = None,
    scheme: str = "fastio",
) -> ThreadingHTTPServer:
    """A receiver on 127.0.0.1:``port`` that answers 204 to verified, fresh
    deliveries and 401 (with the refusal kind) to the rest."""
    seen = ReplayGuard(600, 10_000)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            length = int(self.headers.get("content-length") or 0)
            if length > MAX_BODY:
                self.send_error(413)
                return
            raw = self.rfile.read(length)
            try:
                delivery = verify_webhook(self.headers, raw, secret, scheme=scheme)
            except FastioError.Webhook as e:
                self._answer(401, {"refused": e.kind, "hint": e.hint})
                return
            delivery_id = delivery.id or self.headers.get("x-fastio-delivery-id")
            if delivery_id and not seen.check(delivery_id, delivery.timestamp or _unix()):
                self._answer(200, {"duplicate": delivery_id})
                return
            event = parse_webhook_event(raw)
            if on_event is not None:
                on_event(delivery, event)
            self._answer(200, {"event": event.name})

        def _answer(self, status: int, body: Any) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    return ThreadingHTTPServer(("127.0.0.1", port), Handler)


def _unix() -> int:
    import time

    return int(time.time())


def main(argv: List[str]) -> None:
    secret = os.environ["FASTIO_WEBHOOK_SECRET"]
    port = int(argv[1]) if len(argv) > 1 else 8080
    srv = make_server(secret, port, on_event=lambda d, e: print(e.name, e.node_id, flush=True))
    print(f"listening on http://127.0.0.1:{srv.server_address[1]}/", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main(sys.argv)
