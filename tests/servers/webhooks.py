"""A local webhook receiver: records every request; its answer (status, delay, redirect) is set
by the test. Used by tests/api and bench/webhooks.py."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Behaviour:
    status: int = 200
    body: bytes = b'{"ok": true}'
    delay: float = 0.0
    location: str = ""  # for 3xx answers


class WebhookReceiver:
    def __init__(self, host: str = "127.0.0.1", *, record: bool = True) -> None:
        self.received: list[Received] = []
        self.count = 0
        self.behaviour = Behaviour()
        self.record = record
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as real receivers do

            def setup(self):
                super().setup()
                # Headers and body leave in separate writes: without this, Nagle's algorithm
                # and the client's delayed ACK add 40 ms to every answer.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def do_POST(self):  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                receiver.count += 1
                if receiver.record:
                    receiver.received.append(
                        Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                b = receiver.behaviour
                if b.delay:
                    time.sleep(b.delay)
                try:
                    self.send_response(b.status)
                    if b.location:
                        self.send_header("Location", b.location)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(b.body)))
                    self.end_headers()
                    self.wfile.write(b.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up waiting (a timeout test)

            do_GET = do_POST  # noqa: N815

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((host, 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str = "/hook", host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def start(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
