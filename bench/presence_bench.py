"""Presence-aware routing against a real server, with the reference Socket.IO client.

1. Coming online: in each round nobody of the queue is online and W reports wait; one agent
   connects (python-socketio, WebSocket) and the time from the connection's opening to the last
   of the W reports assigned to them is measured (REST polled every 5 ms). Then they say they are
   away and leave.
2. Never to someone not online: A agents connected; each goes away and back (PUT
   /api/v2/presence/me) at random while C creators open reports as fast as they can. A report
   whose creation began after an agent's "away" was answered and ended before their "back" was
   asked must not be theirs; every report opened while nobody was online waits and is routed
   once someone is back.

Usage: presence_bench.py URL TENANT ADMIN_TOKEN CUSTOMER_TOKEN AGENT_TOKENS_JSON [--rounds R] [--waiting W] [--seconds S]
"""
import argparse
import asyncio
import json
import random
import statistics
import time
import urllib.error
import urllib.request

import socketio


def rest(url, token, method, path, body=None):
    request = urllib.request.Request(url + path, data=None if body is None else json.dumps(body).encode(), method=method,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read() or b"{}")


def percentile(values, p):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] if ordered else float("nan")


REPORT = {"subject": "Food poisoning after dinner", "description": "My son got sick after the chicken"}


async def open_report(args):
    return (await asyncio.to_thread(rest, args.url, args.customer, "POST", "/api/v2/tickets", REPORT))["ticket"]


async def assignee(args, ticket_id):
    return (await asyncio.to_thread(rest, args.url, args.admin, "GET", f"/api/v2/tickets/{ticket_id}"))["ticket"].get("assignedAgent")


async def connect(args, token):
    client = socketio.AsyncClient(reconnection=False)
    await client.connect(args.url, auth={"token": token}, transports=["websocket"], wait_timeout=10)
    return client


async def coming_online(args, agents):
    latencies = []
    assert len(agents) >= args.rounds, "one agent per round (an agent who said away stays away)"
    for round_ in range(args.rounds):
        agent, token = agents[round_]
        waiting = [(await open_report(args))["ticketId"] for _ in range(args.waiting)]
        for ticket_id in waiting:
            assert await assignee(args, ticket_id) is None, f"{ticket_id} was routed with nobody online"
        client = await connect(args, token)
        connected = time.monotonic()
        pending = set(waiting)
        while pending:
            for ticket_id in list(pending):
                holder = await assignee(args, ticket_id)
                if holder is not None:
                    assert holder == agent, f"{ticket_id} went to {holder}, who is not online"
                    pending.discard(ticket_id)
            if pending:
                assert time.monotonic() - connected < 30, f"round {round_}: {len(pending)} still waiting after 30 s"
                await asyncio.sleep(0.005)
        latencies.append(time.monotonic() - connected)
        # Away before leaving: a closed session counts for its grace, away does not.
        await asyncio.to_thread(rest, args.url, token, "PUT", "/api/v2/presence/me", {"status": "away"})
        await client.disconnect()
    print(f"1. coming online: {args.rounds} rounds of {args.waiting} waiting reports; from the agent's connection to the last "
          f"report assigned: p50 {percentile(latencies, 50) * 1000:.0f} ms  p90 {percentile(latencies, 90) * 1000:.0f} ms  "
          f"max {max(latencies) * 1000:.0f} ms; every report to the agent who came online")


async def churn(args, agents):
    clients = [await connect(args, token) for _, token in agents]
    for _, token in agents:
        await asyncio.to_thread(rest, args.url, token, "PUT", "/api/v2/presence/me", {"status": "online"})
    away = {agent: [] for agent, _ in agents}  # agent -> [(away answered, back asked)]
    created = []  # (began, ended, ticketId)
    stop = time.monotonic() + args.seconds

    async def toggler(agent, token):
        while time.monotonic() < stop:
            await asyncio.sleep(random.uniform(0.05, 0.4))
            await asyncio.to_thread(rest, args.url, token, "PUT", "/api/v2/presence/me", {"status": "away"})
            answered = time.monotonic()
            await asyncio.sleep(random.uniform(0.05, 0.4))
            asked = time.monotonic()
            await asyncio.to_thread(rest, args.url, token, "PUT", "/api/v2/presence/me", {"status": "online"})
            away[agent].append((answered, asked))

    async def creator():
        while time.monotonic() < stop:
            began = time.monotonic()
            ticket = await open_report(args)
            created.append((began, time.monotonic(), ticket["ticketId"]))

    await asyncio.gather(*(toggler(agent, token) for agent, token in agents), *(creator() for _ in range(args.creators)))
    # Everyone back: whatever waited is routed; then the close look.
    for _, token in agents:
        await asyncio.to_thread(rest, args.url, token, "PUT", "/api/v2/presence/me", {"status": "online"})
    holders = {}
    deadline = time.monotonic() + 30
    for _, _, ticket_id in created:
        while (holder := await assignee(args, ticket_id)) is None:
            # Everyone at capacity leaves reports unassigned on purpose; the bench's capacity is high.
            assert time.monotonic() < deadline, f"{ticket_id} still waits with everyone online"
            await asyncio.sleep(0.01)
        holders[ticket_id] = holder
    wrong = [(ticket_id, holders[ticket_id]) for began, ended, ticket_id in created
             for left, back in away[holders[ticket_id]] if left < began and ended < back]
    periods = sum(len(periods) for periods in away.values())
    print(f"2. churn: {len(created)} reports in {args.seconds} s by {args.creators} creators while {len(agents)} agents went away "
          f"and back {periods} times; reports given to an agent during an away they had been told of: {len(wrong)}")
    for client in clients:
        await client.disconnect()
    assert not wrong, wrong[:5]


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("tenant")
    parser.add_argument("admin")
    parser.add_argument("customer")
    parser.add_argument("agents", help="JSON object: agent id -> token")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--waiting", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--creators", type=int, default=4)
    args = parser.parse_args()
    agents = sorted(json.loads(args.agents).items())
    await coming_online(args, agents)
    await churn(args, agents)


if __name__ == "__main__":
    asyncio.run(main())
