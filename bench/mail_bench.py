"""Mail into tickets: N mails over LMTP to a running `docket serve`, and whether each landed in
its right ticket.

C customers each write a thread of T mails (the first opens a ticket, each later one answers the
one before: In-Reply-To and References, a new subject on some). They are sent over K
connections at once, one customer's mails in order on one connection, as a mail server's
delivery agents would. Prints mails per minute (first MAIL FROM to the last 250) and checks,
through the API, that there are C tickets from mail, each holding its customer's T mails in
order and nobody else's.

With --postfix DIR, PORT is a Postfix instance's SMTP port (scripts/postfix-instance.sh, relaying
the tenant's domain to Docket's LMTP receiver) and the clock stops when Postfix's queue in DIR is
empty: every mail handed on and answered 250 by Docket after its commit. Postfix delivers over
several connections at once and does not keep one sender's order, so then each ticket must hold
its customer's mails, each once, in any order (how many came out of order is reported).

Usage: mail_bench.py URL ADMIN_TOKEN PORT [--customers C] [--thread T] [--connections K] [--postfix DIR]
"""
import os
import argparse
import json
import smtplib
import threading
import time
import urllib.request
from email.message import EmailMessage


def call(url, token, method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url + path, data=data, method=method,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.loads(answer.read() or b"{}")


def mail(customer, index, run):
    message = EmailMessage()
    message["From"] = f"Cliente {customer} <cliente{customer}.{run}@bench.example>"
    message["To"] = "soporte@luxfree.bench"
    message["Subject"] = f"Corte de energía {customer}" if index % 3 == 0 else f"Re: otra pregunta {index}"
    message["Message-ID"] = f"<{run}.{customer}.{index}@bench.example>"
    if index > 0:
        earlier = [f"<{run}.{customer}.{i}@bench.example>" for i in range(index)]
        message["In-Reply-To"] = earlier[-1]
        message["References"] = " ".join(earlier[-10:])
    message.set_content(f"[{customer}/{index}] Sigue sin luz en la colonia. Medidor 55{customer:05d}.\n")
    return message


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("admin")
    parser.add_argument("port", type=int)
    parser.add_argument("--customers", type=int, default=400)
    parser.add_argument("--thread", type=int, default=5)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--postfix", help="the Postfix instance's folder: PORT is its SMTP port")
    args = parser.parse_args()
    run = f"r{int(time.time())}"
    call(args.url, args.admin, "PUT", "/api/v2/config/mail", {"addresses": ["soporte@luxfree.bench"]})
    failures = []
    lock = threading.Lock()

    def deliver(customers):
        client = smtplib.SMTP("127.0.0.1", args.port) if args.postfix else smtplib.LMTP("127.0.0.1", args.port)
        client.ehlo("mta.bench.example")
        for customer in customers:
            for index in range(args.thread):
                refused = client.send_message(mail(customer, index, run))
                if refused:
                    with lock:
                        failures.append((customer, index, refused))
        client.quit()

    shares = [list(range(k, args.customers, args.connections)) for k in range(args.connections)]
    workers = [threading.Thread(target=deliver, args=(share,)) for share in shares]
    started = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    handed = time.perf_counter() - started
    if args.postfix:
        def queued():
            return sum(len(files) for part in ("incoming", "active", "deferred", "maildrop")
                       for _, _, files in os.walk(os.path.join(args.postfix, "queue", part)))
        while queued() > 0:
            time.sleep(0.02)
    seconds = time.perf_counter() - started
    total = args.customers * args.thread
    way = f"SMTP to Postfix (all handed over in {handed:.2f} s), then Postfix's LMTP to Docket" if args.postfix else "LMTP connections"
    print(f"{total} mails ({args.customers} customers x {args.thread}) over {args.connections} {way}: "
          f"in {seconds:.2f} s: {total / seconds * 60:,.0f} mails per minute")
    if failures:
        raise SystemExit(f"{len(failures)} mails refused, e.g. {failures[:3]}")

    # Threading: every customer's mails in one ticket of their own, in order.
    tickets, page = [], 1
    while True:
        answer = call(args.url, args.admin, "GET", f"/api/v2/tickets?limit=100&page={page}&sortBy=createdAt")
        tickets += [t for t in answer["tickets"] if t.get("source") == "email"]
        if page >= answer["pagination"]["pages"]:
            break
        page += 1
    wrong = []
    unordered = 0
    owners = {}
    for ticket in tickets:
        contents = []
        after = 0
        while True:
            answer = call(args.url, args.admin, "GET", f"/api/v2/tickets/{ticket['ticketId']}/messages?limit=200&after={after}")
            contents += [m["content"] for m in answer["messages"] if m.get("senderType") == "customer"]
            if not answer.get("nextCursor"):
                break
            after = answer["nextCursor"]
        mine = [c for c in contents if c.startswith("[")]
        if not mine:
            continue
        customer = mine[0][1:].split("/")[0]
        expected = [f"[{customer}/{i}]" for i in range(args.thread)]
        got = [c.split(" ")[0] for c in mine]
        if got != expected and args.postfix and sorted(got) == sorted(expected):
            unordered += 1
        elif got != expected:
            wrong.append((ticket["ticketId"], got[:8]))
        owners.setdefault(customer, []).append(ticket["ticketId"])
    split = {c: ids for c, ids in owners.items() if len(ids) > 1}
    print(f"threading: {len(owners)} of {args.customers} customers have their ticket; "
          f"{len(wrong)} tickets hold the wrong mails; {len(split)} customers split over tickets"
          + (f"; {unordered} tickets got their customer's mails in another order than sent" if args.postfix else ""))
    if len(owners) != args.customers or wrong or split:
        raise SystemExit(f"threading is not exact: {wrong[:3]} {list(split.items())[:3]}")


if __name__ == "__main__":
    main()
