"""Shared by the dashboard tests: a real database made by `multivector ingest`, a real server.

The database is the bundled sample corpus plus a small table of hostile posts (script tags,
event handlers, javascript: links), ingested once per test session with the installed command;
each test module copies it, so corrections made by one module never leak into another. The
server is `multivector serve --port 0` in a subprocess, on loopback, stopped by its pid.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers import multivector

TOKEN = "test-edit-token-123"
EVIL_CHANNEL = "Evil <b>channel</b>"
EVIL_TEXTS = [
    "Казахстан и Китай договорились о транзите <script>window.__pwned=1;alert(1)</script> через Каспий.",
    'Токаев обсудил с Россией поставки урана <img src=x onerror="window.__pwned=2;alert(2)"> и ядерное топливо.',
    'Ссылка на соглашение с ЕС: <a href="javascript:window.__pwned=3">javascript:alert(3)</a> и транзит.',
]


def sample_dir() -> Path:
    from multivector.cli import sample_dir as where

    return where()


def write_evil(folder: Path) -> Path:
    path = folder / "evil.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for i, text in enumerate(EVIL_TEXTS, start=1):
            row = {"id": f"evil{i}", "channel": EVIL_CHANNEL, "date": f"2024-06-0{i}", "text": text,
                   "url": "javascript:window.__pwned=9"}  # fmt: skip
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


def build_database(folder: Path) -> Path:
    db = folder / "sample.db"
    done = multivector("--db", str(db), "ingest", str(sample_dir()), "--no-ner")
    assert done.returncode == 0, done.stderr
    done = multivector("--db", str(db), "ingest", str(write_evil(folder)), "--format", "table", "--no-ner")
    # The readers drop a javascript: url (one problem line each) and keep the posts: the pages
    # must still show their hostile *text* as text.
    assert done.returncode == 2 and "3 new" in done.stderr, done.stderr
    return db


@dataclass
class Server:
    url: str
    db: Path | str  # an SQLite file or a PostgreSQL URL
    process: subprocess.Popen
    token: str | None

    def get(self, path: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
        req = urllib.request.Request(self.url + path, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def json(self, path: str) -> dict:
        status, _, body = self.get(path)
        assert status == 200, (path, status, body[:300])
        return json.loads(body)

    def send(
        self, method: str, path: str, body: bytes | None = None, headers: dict | None = None
    ) -> tuple[int, dict, bytes]:
        req = urllib.request.Request(self.url + path, data=body, method=method, headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def wait_warm(self, timeout: float = 240) -> None:
        """Until the background analyses started at launch are done."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = self.json("/api/status")
            if not status["computing"] and any(k["key"][0] == "report" for k in status["ready"]):
                return
            time.sleep(0.5)
        raise AssertionError("the server did not finish warming up")


def start_server(db: Path | str, token: str | None = TOKEN, extra: tuple[str, ...] = ()) -> Server:
    exe = Path(sys.executable).parent / "multivector"
    env = {**os.environ}
    env.pop("MULTIVECTOR_EDIT_TOKEN", None)
    args = [str(exe), "--db", str(db), "serve", "--port", "0", "--no-ner", *extra]
    if token:
        args += ["--edit-token", token]
    proc = subprocess.Popen(args, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, env=env)
    line = proc.stderr.readline()
    if "serving" not in line:
        proc.kill()
        raise AssertionError(f"the server did not start: {line}{proc.stderr.read()}")
    url = line.split(" on ", 1)[1].split()[0].rstrip("/")
    server = Server(url, db, proc, token)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if server.get("/api/status")[0] == 200:
                return server
        except OSError:
            time.sleep(0.2)
    stop_server(server)
    raise AssertionError("the server never answered")


def stop_server(server: Server) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGINT)
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
    if server.process.stderr:
        server.process.stderr.close()


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory) -> Path:
    return build_database(tmp_path_factory.mktemp("webdb"))


def copy_db(db: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / db.name
    for suffix in ("", "-wal", "-shm"):
        src = Path(f"{db}{suffix}")
        if src.exists():
            shutil.copy(src, f"{target}{suffix}")
    return target
