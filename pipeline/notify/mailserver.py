"""A real SMTP server on loopback (aiosmtpd) for ``medradar demo`` and the tests: it keeps
every message it accepts, in memory and as ``.eml`` files, and refuses recipients at
``*.invalid`` (RFC 2606) with a permanent 550, as a real server refuses unknown addresses."""

from __future__ import annotations

import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from aiosmtpd.controller import Controller

LOOPBACK = "127.0.0.1"


class _Keeper:
    def __init__(self, eml_dir: Path | None):
        self.eml_dir = eml_dir
        self.received: list[bytes] = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd's hook name
        if address.lower().endswith(".invalid"):
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        with self.lock:
            self.received.append(envelope.content)
            number = len(self.received)
        if self.eml_dir is not None:
            self.eml_dir.mkdir(parents=True, exist_ok=True)
            (self.eml_dir / f"{number:04d}.eml").write_bytes(envelope.content)
        return "250 Message accepted"


class LocalMailServer:
    """``with LocalMailServer() as server:`` → an SMTP server on 127.0.0.1:``server.port``."""

    def __init__(self, eml_dir: Path | None = None, port: int = 0):
        self.keeper = _Keeper(eml_dir)
        self.port = port or free_port()
        self._controller = Controller(self.keeper, hostname=LOOPBACK, port=self.port)

    @property
    def messages(self) -> list[EmailMessage]:
        with self.keeper.lock:
            raw = list(self.keeper.received)
        return [message_from_bytes(content, policy=policy.default) for content in raw]

    def start(self) -> LocalMailServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> LocalMailServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def free_port() -> int:
    """A port nothing listens on right now (aiosmtpd's controller needs one to be named)."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]
