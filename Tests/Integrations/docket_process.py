"""The real `docket serve` for the integration tests: started on a port the kernel chooses
(`--port 0`; the server writes it to its port file) and a data directory, waited for, tokens
made with the real CLI."""

import os
import pathlib
import subprocess
import time
import urllib.request

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOCKET = pathlib.Path(os.environ.get("DOCKET_BIN", ROOT / ".build" / "debug" / "docket"))
SECRET = "integration-test-secret-integration-test-secret"
ENV = dict(os.environ, DOCKET_JWT_SECRET=SECRET)


def serve(arguments, log_path, env=None, cwd=ROOT):
    """`docket serve --port 0 ARGUMENTS`, once it answers /health: (process, port)."""
    port_file = pathlib.Path(log_path).parent / f"port-{time.time_ns()}"
    log = open(log_path, "a")
    process = subprocess.Popen(
        [str(DOCKET), "serve", "--port", "0", "--port-file", str(port_file), *arguments],
        stdout=log, stderr=subprocess.STDOUT, cwd=cwd, env=env or ENV)
    deadline = time.time() + 60
    while time.time() < deadline and process.poll() is None:
        try:
            port = int(port_file.read_text())
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2):
                return process, port
        except (OSError, ValueError):
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("docket serve did not start: " + pathlib.Path(log_path).read_text())


def start(data, *flags):
    """`docket serve` on `data` with the shipped packs and `flags`: (process, port)."""
    return serve(["--data-dir", str(data), "--packs-dir", str(ROOT / "IndustryPacks"), *flags], pathlib.Path(data) / "server.log")


def token(data, role, subject, tenant="default"):
    return subprocess.run(
        [str(DOCKET), "token", "--tenant", tenant, "--role", role, "--subject", subject, "--data-dir", str(data)],
        capture_output=True, text=True, check=True, env=ENV).stdout.strip()
