"""`medradar serve`: the desk from the settings, safe by default."""

from __future__ import annotations

import os
import signal
import subprocess

import httpx

from search.backend import open_backend
from tests.search.corpus import CORPUS
from tests.support import MEDRADAR, medradar


def test_binding_off_loopback_without_a_token_is_refused(tmp_path):
    done = medradar("serve", "--host", "0.0.0.0", "--port", "0")
    assert done.returncode == 2
    assert "MEDRADAR_API_TOKEN" in done.stderr


def test_serve_prints_its_url_and_answers_on_it(tmp_path):
    data = tmp_path / "data"
    with open_backend("sqlite", sqlite_path=data / "index.sqlite") as backend:
        backend.upsert(CORPUS)
    server = subprocess.Popen(
        [str(MEDRADAR), "serve", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "MEDRADAR_DATA_DIR": str(data), "COLUMNS": "200"},
    )  # fmt: skip
    try:
        line = server.stdout.readline()
        assert "MedRadar desk on http://127.0.0.1:" in line, server.stderr.read() if server.poll() else line
        url = line.split(" on ", 1)[1].split()[0]
        answer = httpx.get(f"{url}/api/search", params={"q": "梅奥诊所"}, timeout=30)
        # the served desk has the gazetteer: the Chinese name finds the English article too
        assert sorted(hit["id"] for hit in answer.json()["hits"]) == ["c01", "c04"]
        assert "合作" in httpx.get(f"{url}/", params={"q": "合作"}, timeout=30).text
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
