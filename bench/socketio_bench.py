"""Socket.IO throughput and fan-out with the reference client (python-socketio's AsyncClient).

1. Events per second through one connection: a staff client joins with since=0 after N events
   were stored, and the replay is timed until the last event arrived.
2. Fan-out: S staff clients joined; an internal note is added R times over REST; for each round
   the delay from the request to each client's `ticket_note_added`; p50/p99 over all deliveries
   and over the last receiver of each round.

Usage: bench_socketio.py URL ADMIN_TOKEN CUSTOMER_TOKEN [--events N] [--subscribers S] [--rounds R]
"""
import argparse
import asyncio
import json
import statistics
import time
import urllib.request

import socketio

from benchstats import percentile


def rest(url, token, path, body):
    request = urllib.request.Request(url + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read() or b"{}")



async def throughput(url, admin, count):
    client = socketio.AsyncClient(reconnection=False)
    done = asyncio.Event()
    got = []

    @client.on("*")
    async def anything(event, data=None):
        if isinstance(data, dict) and "event_id" in data:
            got.append(data["event_id"])
        if event == "subscribed":
            done.set()

    await client.connect(url, auth={"token": admin}, transports=["websocket"])
    started = time.perf_counter()
    await client.emit("user:join", {"user_type": "staff", "since": 0})
    await asyncio.wait_for(done.wait(), 300)
    seconds = time.perf_counter() - started
    await client.disconnect()
    return len(got), seconds


async def fanout(url, admin, ticket_id, subscribers, rounds):
    clients = []
    marks = {}
    arrivals = {}

    async def make(index):
        client = socketio.AsyncClient(reconnection=False)
        joined = asyncio.Event()

        @client.on("subscribed")
        async def subscribed(data):
            joined.set()

        @client.on("ticket_note_added")
        async def note(data):
            text = (data.get("note") or {}).get("content", "")
            if text in marks:
                arrivals.setdefault(text, []).append(time.perf_counter() - marks[text])

        await client.connect(url, auth={"token": admin}, transports=["websocket"])
        await client.emit("user:join", {"user_type": "staff"})
        await asyncio.wait_for(joined.wait(), 60)
        clients.append(client)

    started = time.perf_counter()
    for start in range(0, subscribers, 100):
        await asyncio.gather(*(make(i) for i in range(start, min(subscribers, start + 100))))
    connect = time.perf_counter() - started
    loop = asyncio.get_running_loop()
    every, last, missed = [], [], 0
    for round_ in range(rounds):
        text = f"fanout-{round_}-{time.time_ns()}"
        marks[text] = time.perf_counter()
        await loop.run_in_executor(None, rest, url, admin, f"/api/v2/tickets/{ticket_id}/notes", {"content": text, "isInternal": True})
        deadline = time.perf_counter() + 30
        while len(arrivals.get(text, [])) < subscribers and time.perf_counter() < deadline:
            await asyncio.sleep(0.01)
        got = arrivals.get(text, [])
        missed += subscribers - len(got)
        every += got
        if got:
            last.append(max(got))
        await asyncio.sleep(0.2)
    await asyncio.gather(*(client.disconnect() for client in clients))
    return connect, every, last, missed


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("admin")
    parser.add_argument("customer")
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    # Events to replay: each customer message stores a few (created, pending, message, rule...).
    # (a ticket holds at most 1,000 notes: a new one every 500)
    stored = 0
    while stored < args.events:
        if stored % 500 == 0:
            ticket = rest(args.url, args.customer, "/api/v2/tickets", {"subject": "Bench", "description": "Socket.IO"})["ticket"]["ticketId"]
        rest(args.url, args.admin, f"/api/v2/tickets/{ticket}/notes", {"content": f"n{stored}", "isInternal": True})
        stored += 1
    received, seconds = await throughput(args.url, args.admin, args.events)
    print(f"one connection: {received} events replayed in {seconds:.2f} s = {received / seconds:,.0f} events/s")
    connect, every, last, missed = await fanout(args.url, args.admin, ticket, args.subscribers, args.rounds)
    ms = lambda v: f"{v * 1000:.1f} ms"
    print(f"fan-out: {args.subscribers} Socket.IO clients connected and joined in {connect:.1f} s")
    print(f"  every delivery ({len(every)}): p50 {ms(percentile(every, 50))}, p99 {ms(percentile(every, 99))}, max {ms(max(every) if every else float('nan'))}")
    print(f"  last receiver per round ({len(last)}): p50 {ms(percentile(last, 50))}, p99 {ms(percentile(last, 99))}")
    if missed:
        print(f"  missed deliveries: {missed}")


asyncio.run(main())
