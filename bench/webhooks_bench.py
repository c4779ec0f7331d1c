"""Webhook deliveries per second to a local receiver, and the retry schedule observed.

1. A receiver that answers 200 at once; N internal notes are stored (N ticket_note_added
   events) while the endpoint is off, then it is turned on: the time until the receiver took
   all N (one endpoint: in order, one at a time).
2. A second endpoint that answers 500 to its first F attempts: the gaps between attempts.

Usage: webhooks_bench.py URL ADMIN_TOKEN CUSTOMER_TOKEN [--events N] [--failures F]
"""
import argparse
import http.server
import json
import threading
import time
import urllib.request


def call(url, token, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url + path, data=data, method=method,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read() or b"{}")


class Receiver:
    def __init__(self, failures=0):
        self.times = []
        self.failures = failures
        self.lock = threading.Lock()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.times.append(time.perf_counter())
                    fail = len(receiver.times) <= receiver.failures
                self.send_response(500 if fail else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("admin")
    parser.add_argument("customer")
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--failures", type=int, default=5)
    args = parser.parse_args()

    fast = Receiver()
    hook = call(args.url, args.admin, "POST", "/api/v2/webhooks", {"url": fast.url, "events": ["ticket_note_added"], "active": False})["webhook"]
    stored = 0
    while stored < args.events:
        if stored % 500 == 0:
            ticket = call(args.url, args.customer, "POST", "/api/v2/tickets", {"subject": "Bench", "description": "webhooks"})["ticket"]["ticketId"]
        call(args.url, args.admin, "POST", f"/api/v2/tickets/{ticket}/notes", {"content": f"n{stored}", "isInternal": True})
        stored += 1
    # Turned on: it starts where it stopped, with every note waiting.
    started = time.perf_counter()
    call(args.url, args.admin, "PATCH", f"/api/v2/webhooks/{hook['id']}", {"active": True})
    deadline = started + 600
    while len(fast.times) < args.events and time.perf_counter() < deadline:
        time.sleep(0.05)
    seconds = fast.times[-1] - started if fast.times else float("nan")
    print(f"deliveries: {len(fast.times)} of {args.events} in {seconds:.2f} s = {len(fast.times) / seconds:,.0f} per second (one endpoint, in order)")

    failing = Receiver(failures=args.failures)
    call(args.url, args.admin, "POST", "/api/v2/webhooks", {"url": failing.url, "events": ["ticket_note_added"]})
    call(args.url, args.admin, "POST", f"/api/v2/tickets/{ticket}/notes", {"content": "retry me", "isInternal": True})
    deadline = time.perf_counter() + 600
    while len(failing.times) <= args.failures and time.perf_counter() < deadline:
        time.sleep(0.05)
    gaps = [b - a for a, b in zip(failing.times, failing.times[1:])]
    print("retry schedule observed (seconds between attempts after 500s): " + ", ".join(f"{g:.1f}" for g in gaps))


main()
