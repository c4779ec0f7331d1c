"""Presence-aware routing against a real server, with the reference Socket.IO client.

1. Coming online: in each round nobody of the queue is online and W reports wait; one agent
   connects (python-socketio, WebSocket) and the time from the connection's opening to the last
   of the W reports assigned to them is measured (REST polled every 5 ms). Then they say they are
   away and leave.
2. Never to someone not online: A agents connected; each goes away and back (PUT
   /api/v2/presence/me) at random while C creators open reports as fast as they can. A report
   routed while it was created — a create that began after an agent's "away" was answered and
   was answered before their "back" was asked — must not be theirs. A report opened while
   nobody was online waits and is routed once someone is back: it must not be given to an agent
   whose away covers its routing (`assignedAt`, the server's clock, which this client shares,
   taken just before the routing reads presence; 50 ms allowed for that write).

Usage: presence_bench.py URL TENANT ADMIN_TOKEN CUSTOMER_TOKEN AGENT_TOKENS_JSON [--rounds R] [--waiting W] [--seconds S]
"""
import argparse
import asyncio
from datetime import datetime
import json
import random
import statistics
import time
import urllib.error
import urllib.request

import socketio

from benchstats import percentile


def rest(url, token, method, path, body=None):
    request = urllib.request.Request(url + path, data=None if body is None else json.dumps(body).encode(), method=method,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read() or b"{}")



REPORT = {"subject": "Food poisoning after dinner", "description": "My son got sick after the chicken"}


async def open_report(args):
    return (await asyncio.to_thread(rest, args.url, args.customer, "POST", "/api/v2/tickets", REPORT))["ticket"]


async def assignee(args, ticket_id):
    return (await assignment(args, ticket_id))[0]


async def assignment(args, ticket_id):
    """The ticket's agent and when it was given to them (seconds since 1970; nil when unassigned)."""
    ticket = (await asyncio.to_thread(rest, args.url, args.admin, "GET", f"/api/v2/tickets/{ticket_id}"))["ticket"]
    at = ticket.get("assignedAt")
    return ticket.get("assignedAgent"), at and datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp()


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
    away = {agent: [] for agent, _ in agents}  # agent -> [(away answered, back asked)], wall clock
    created = []  # (ticketId, its create began, was answered, the agent it answered), wall clock
    stop = time.monotonic() + args.seconds

    async def toggler(agent, token):
        while time.monotonic() < stop:
            await asyncio.sleep(random.uniform(0.05, 0.4))
            await asyncio.to_thread(rest, args.url, token, "PUT", "/api/v2/presence/me", {"status": "away"})
            answered = time.time()
            await asyncio.sleep(random.uniform(0.05, 0.4))
            asked = time.time()
            await asyncio.to_thread(rest, args.url, token, "PUT", "/api/v2/presence/me", {"status": "online"})
            away[agent].append((answered, asked))

    async def creator():
        # Within the agents' capacity (1,000 each): past it, reports stay unassigned on purpose.
        while time.monotonic() < stop and len(created) < len(agents) * 900:
            began = time.time()
            ticket = await open_report(args)
            created.append((ticket["ticketId"], began, time.time(), ticket.get("assignedAgent")))

    await asyncio.gather(*(toggler(agent, token) for agent, token in agents), *(creator() for _ in range(args.creators)))
    # Everyone back: whatever waited is routed; then the close look.
    for _, token in agents:
        await asyncio.to_thread(rest, args.url, token, "PUT", "/api/v2/presence/me", {"status": "online"})
    holders = {}
    deadline = time.monotonic() + 30
    for ticket_id, _, _, _ in created:
        while (holder := await assignment(args, ticket_id))[0] is None:
            assert time.monotonic() < deadline, f"{ticket_id} still waits with everyone online"
            await asyncio.sleep(0.01)
        holders[ticket_id] = holder
    wrong = []
    for ticket_id, began, answered, routed in created:
        agent, at = holders[ticket_id]
        for left, back in away[agent]:
            if routed is not None and left < began and answered < back:
                wrong.append((ticket_id, agent, "routed in its create during an away"))
            elif routed is None and left < at and at + 0.05 < back:
                wrong.append((ticket_id, agent, "routed from waiting during an away"))
    waited = sum(1 for _, _, _, routed in created if routed is None)
    periods = sum(len(periods) for periods in away.values())
    print(f"2. churn: {len(created)} reports in {args.seconds} s by {args.creators} creators while {len(agents)} agents went away "
          f"and back {periods} times ({waited} reports waited for someone); reports given to an agent during an away they had been "
          f"told of: {len(wrong)}")
    for client in clients:
        await client.disconnect()
    for ticket_id, agent, how in wrong[:5]:
        print(f"   {ticket_id} to {agent}: {how} (assigned at {holders[ticket_id][1]:.3f}; away {away[agent]})")
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
