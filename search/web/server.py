"""Serving the app with uvicorn on a socket bound first, so that port 0 (any free port) gives
a URL that can be printed before the first request, by the CLI and the tests alike."""

from __future__ import annotations

import socket

import uvicorn
from fastapi import FastAPI


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host.strip("[]"), port))
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def server(app: FastAPI, log_level: str = "warning") -> uvicorn.Server:
    return uvicorn.Server(uvicorn.Config(app, log_level=log_level, access_log=False, lifespan="on"))


def serve(app: FastAPI, sock: socket.socket) -> None:
    """Serve until interrupted (Ctrl-C)."""
    server(app).run(sockets=[sock])
