"""A real PostgreSQL server for the tests of the team deployment (Dagster storage).

Debian's ``postgresql`` server (``make test`` installs it when missing), initialised with
``initdb`` in a temporary directory and started on a free loopback port for the session,
stopped and removed afterwards. PostgreSQL refuses to run as root: as root, the server runs
as the ``postgres`` system user (``runuser``). Each test gets its own database.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SERVER_USER = "postgres"  # the Debian package's system user, used when the tests run as root
ROLE = "medradar"


def postgres_bin() -> Path:
    """The newest installed server's binaries (``/usr/lib/postgresql/<version>/bin``)."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name), reverse=True
    )
    if not candidates:
        pytest.fail("PostgreSQL's server is not installed: run `make test` (it installs Debian's postgresql)")
    return candidates[0].parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class PostgresServer:
    host: str
    port: int
    directory: Path

    def url(self, database: str = "postgres") -> str:
        """In the form dagster-postgres needs (pipeline.instance.POSTGRES_SCHEME)."""
        return f"postgresql+psycopg2://{ROLE}@{self.host}:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database; its URL."""
        import psycopg2

        name = f"test_{uuid.uuid4().hex[:12]}"
        connection = psycopg2.connect(host=self.host, port=self.port, user=ROLE, dbname="postgres")
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE DATABASE "{name}"')
        connection.close()
        return self.url(name)


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", SERVER_USER, "--", *command] if os.geteuid() == 0 else command


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    binaries = postgres_bin()
    # Not under pytest's base temp: that is private to root, and the server runs as postgres.
    directory = Path(tempfile.mkdtemp(prefix="medradar-postgres-"))
    data, socket_dir, log = directory / "data", directory / "socket", directory / "server.log"
    socket_dir.mkdir()
    if os.geteuid() == 0:
        shutil.chown(directory, SERVER_USER)
        shutil.chown(socket_dir, SERVER_USER)
    initdb = [str(binaries / "initdb"), "-D", str(data), "-U", ROLE, "--auth=trust", "-E", "UTF8", "--no-locale"]
    subprocess.run(_as_server_user(initdb), check=True, capture_output=True)
    port = free_port()
    options = f"-p {port} -k {socket_dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
    start = [str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(log), "-w", "-t", "60", "start"]
    started = subprocess.run(_as_server_user(start), capture_output=True, text=True)
    if started.returncode:
        pytest.fail(f"PostgreSQL did not start: {started.stderr or started.stdout}\n{log.read_text() if log.exists() else ''}")
    try:
        yield PostgresServer("127.0.0.1", port, directory)
    finally:
        stop = [str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]
        subprocess.run(_as_server_user(stop), capture_output=True)
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """The URL of a fresh database on the session's server."""
    return postgres_server.create_database()
