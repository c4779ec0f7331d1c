"""The real `docket serve` for the integration tests: started on a free port and a data
directory, waited for, tokens made with the real CLI."""

import os
import pathlib
import socket
import subprocess
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCKET = pathlib.Path(os.environ.get("DOCKET_BIN", ROOT / ".build" / "debug" / "docket"))
SECRET = "integration-test-secret-integration-test-secret"
ENV = dict(os.environ, DOCKET_JWT_SECRET=SECRET)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(data, port, *flags):
    """`docket serve` on `data` and `port` with the shipped packs and `flags`, once it answers /health."""
    log = open(pathlib.Path(data) / "server.log", "a")
    process = subprocess.Popen(
        [str(DOCKET), "serve", "--data-dir", str(data), "--port", str(port), "--packs-dir", str(ROOT / "IndustryPacks"), *flags],
        stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=ENV)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                return process
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("docket serve did not start: " + (pathlib.Path(data) / "server.log").read_text())


def token(data, role, subject, tenant="default"):
    return subprocess.run(
        [str(DOCKET), "token", "--tenant", tenant, "--role", role, "--subject", subject, "--data-dir", str(data)],
        capture_output=True, text=True, check=True, env=ENV).stdout.strip()
