"""Webhooks out, against the real `docket serve` and a real local receiver that fails, hangs past
the server's timeout, then recovers — with the server killed (SIGKILL) while it is retrying.

Run by scripts/test.sh; by hand: DOCKET_BIN=.build/debug/docket .venv-integrations/bin/pytest -q Tests/Integrations
"""

import hashlib
import hmac
import http.server
import json
import signal
import tempfile
import threading
import time

import requests

import docket_process

WAIT = 10


class Receiver:
    """An HTTP endpoint that answers as `script` says, request by request ("500", "hang", then
    200 for the rest), and records every request it got and the deliveries it took."""

    def __init__(self, script):
        self.script = list(script)
        self.requests = []
        self.taken = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    step = receiver.script.pop(0) if receiver.script else "200"
                    receiver.requests.append((dict(self.headers), body, step))
                if step == "hang":
                    time.sleep(4)  # past the server's 2 s timeout: it has given up on this one
                    return
                status = 500 if step == "500" else 200
                if status == 200:
                    with receiver.lock:
                        receiver.taken.append((dict(self.headers), body))
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/docket"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def start_server(data):
    return docket_process.start(data, "--webhooks-allow-private-addresses", "true", "--webhooks-timeout", "2")


def token(data, role, subject):
    return docket_process.token(data, role, subject)


def verify(headers, body, secret):
    """Docket-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">."""
    parts = dict(item.split("=", 1) for item in headers["Docket-Signature"].split(","))
    expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(time.time() - int(parts["t"])) < 300


def test_every_event_arrives_signed_in_order_once_through_failures_hangs_and_a_kill():
    receiver = Receiver(["500", "500", "500", "hang"])
    data = tempfile.mkdtemp(prefix="docket-webhooks-")
    server, port = start_server(data)
    base = f"http://127.0.0.1:{port}"
    try:
        admin = {"Authorization": f"Bearer {token(data, 'admin', 'boss')}"}
        customer = {"Authorization": f"Bearer {token(data, 'customer', 'cust1')}"}
        # A private address is refused unless the server allows it (this one does, for the test).
        answer = requests.post(f"{base}/api/v2/webhooks", headers=admin, json={"url": receiver.url, "events": ["ticket_created", "new_message"]}, timeout=WAIT)
        assert answer.status_code == 201, answer.text
        hook, secret = answer.json()["webhook"], answer.json()["secret"]
        assert "secret" not in requests.get(f"{base}/api/v2/webhooks/{hook['id']}", headers=admin, timeout=WAIT).json()["webhook"]
        bad = requests.post(f"{base}/api/v2/webhooks", headers=admin, json={"url": "ftp://example.com/x"}, timeout=WAIT)
        assert bad.status_code == 422 and bad.json()["error"]["field"] == "url"
        assert requests.post(f"{base}/api/v2/webhooks", headers=customer, json={"url": receiver.url}, timeout=WAIT).status_code == 403

        created = []
        for index in range(3):
            answer = requests.post(f"{base}/api/v2/tickets", headers=customer, json={"subject": f"Corte {index}", "description": "Sin luz"}, timeout=WAIT)
            assert answer.status_code == 201
            created.append(answer.json()["ticket"]["ticketId"])

        # The endpoint fails: once two attempts failed, the server is killed mid-retry.
        deadline = time.time() + 30
        while len(receiver.requests) < 2 and time.time() < deadline:
            time.sleep(0.1)
        assert len(receiver.requests) >= 2, "the server did not try"
        server.send_signal(signal.SIGKILL)
        server.wait()
        server, port = start_server(data)
        base = f"http://127.0.0.1:{port}"
        # More events while it catches up.
        answer = requests.post(f"{base}/api/v2/messages", headers=customer, json={"content": "¿Alguna novedad?"}, timeout=WAIT)
        assert answer.status_code in (200, 201)

        # Every wanted event, taken once, in event order.
        deadline = time.time() + 90
        while time.time() < deadline:
            with receiver.lock:
                taken = [json.loads(body) for _, body in receiver.taken]
            if len([t for t in taken if t["event"] == "ticket_created"]) >= 3 and any(t["event"] == "new_message" for t in taken):
                break
            time.sleep(0.3)
        with receiver.lock:
            taken = list(receiver.taken)
            every = list(receiver.requests)
        bodies = [json.loads(body) for _, body in taken]
        assert sorted(t["ticketId"] for t in bodies if t["event"] == "ticket_created") == sorted(created), bodies
        assert any(t["event"] == "new_message" for t in bodies)
        ids = [t["eventId"] for t in bodies]
        assert ids == sorted(ids), f"per-endpoint order: {ids}"
        delivery_ids = [headers["Docket-Delivery"] for headers, _ in taken]
        assert len(delivery_ids) == len(set(delivery_ids)), "nothing taken twice under one delivery id"
        assert all(t["event"] in ("ticket_created", "new_message") for t in bodies), "only the events asked for"
        for headers, body in taken:
            assert verify(headers, body, secret), headers
            parsed = json.loads(body)
            assert headers["Docket-Delivery"] == parsed["id"] and headers["Docket-Event"] == parsed["event"]
        # Retries kept the delivery id: the first event's id appears in the failed attempts too.
        first_id = taken[0][0]["Docket-Delivery"]
        assert sum(1 for headers, _, _ in every if headers["Docket-Delivery"] == first_id) >= 4, "retried under one id"
        assert any(step == "hang" for _, _, step in every)

        # The log says what happened; a redelivery goes out under the same id.
        log = requests.get(f"{base}/api/v2/webhooks/{hook['id']}/deliveries", headers=admin, timeout=WAIT).json()["deliveries"]
        first = next(entry for entry in log if entry["id"] == first_id)
        assert first["status"] == "delivered" and first["attempts"] >= 4
        again = requests.post(f"{base}/api/v2/webhooks/{hook['id']}/deliveries/{first_id}/redeliver", headers=admin, timeout=WAIT)
        assert again.status_code == 200 and again.json()["delivery"]["attempts"] == first["attempts"] + 1
        with receiver.lock:
            assert receiver.taken[-1][0]["Docket-Delivery"] == first_id
        status = requests.get(f"{base}/api/v2/webhooks/{hook['id']}", headers=admin, timeout=WAIT).json()["webhook"]
        assert status["active"] is True and "retrying" not in status
    finally:
        server.terminate()
        server.wait(timeout=20)
        receiver.close()
