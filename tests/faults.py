"""A loopback HTTP proxy in front of a search engine node that fails on purpose: it answers
chosen statuses to chosen requests, or stops listening altogether (to the client, exactly an
engine that is down), and comes back on the same port."""

from __future__ import annotations

import http.client
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from scripts.search_engine import free_ports

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade", "host", "content-length"}


class FaultProxy:
    def __init__(self, target_url: str):
        self.target = urllib.parse.urlsplit(target_url)
        self.port = free_ports(1)[0]
        self.failures: list[int] = []  # statuses for the next requests to fail_path
        self.fail_path = "/_bulk"
        self.log: list[tuple[str, str, int]] = []  # (method, path, status answered)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def fail_next(self, *statuses: int, path: str = "/_bulk") -> None:
        with self._lock:
            self.failures.extend(statuses)
            self.fail_path = path

    def start(self) -> FaultProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                path = urllib.parse.urlsplit(self.path).path
                with proxy._lock:
                    status = proxy.failures.pop(0) if proxy.failures and path.endswith(proxy.fail_path) else None
                if status is not None:
                    reply = json.dumps({"error": {"type": "injected_fault", "reason": f"proxy answered {status}"},
                                        "status": status}).encode()  # fmt: skip
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(reply)))
                    self.end_headers()
                    self.wfile.write(reply)
                    proxy.log.append((self.command, path, status))
                    return
                upstream = http.client.HTTPConnection(proxy.target.hostname, proxy.target.port, timeout=120)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                upstream.request(self.command, self.path, body=body or None, headers=headers)
                response = upstream.getresponse()
                data = response.read()
                self.send_response(response.status)
                for key, value in response.getheaders():
                    if key.lower() not in HOP_BY_HOP:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)
                upstream.close()
                proxy.log.append((self.command, path, response.status))

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

        ThreadingHTTPServer.allow_reuse_address = True
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop listening: connections are refused, as by an engine that is down."""
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
