"""The 1-1 chat plan's Socket.IO clients against the real `docket serve`, with the reference
client (python-socketio from PyPI), over WebSocket and over HTTP long-polling.

Run by scripts/test.sh; by hand: DOCKET_BIN=.build/debug/docket .venv-integrations/bin/pytest -q Tests/Integrations
"""

import json
import pathlib
import queue
import tempfile
import threading
import time

import pytest
import requests
import socketio
from engineio import packet as engineio_packet

import docket_process

WAIT = 10


class Server:
    """A real server on a temporary data directory; Socket.IO pings every 2 s, 2 s to answer."""

    def __init__(self):
        self.data = pathlib.Path(tempfile.mkdtemp(prefix="docket-socketio-"))
        self.process, self.port = docket_process.start(self.data, "--socketio-ping-interval", "2", "--socketio-ping-timeout", "2")
        self.base = f"http://127.0.0.1:{self.port}"
        self.admin = self.token("admin", "boss")
        for agent, name in (("ana", "Ana López"), ("beto", "Beto Ruiz")):
            self.rest("POST", "/api/v2/agents", self.admin, {"id": agent, "name": name})

    def token(self, role, subject, tenant="default"):
        return docket_process.token(self.data, role, subject, tenant)

    def rest(self, method, path, token, body=None):
        answer = requests.request(method, self.base + path, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=WAIT)
        return answer.status_code, answer.json() if answer.content else None

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=20)


@pytest.fixture(scope="module")
def server():
    started = Server()
    yield started
    started.stop()


class Client:
    """A python-socketio client that records every event it receives, in order."""

    def __init__(self, server, token, transports, name):
        self.name = name
        self.events = queue.Queue()
        self.seen = []
        self.taken = set()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("*", self._record)
        self.sio.connect(server.base, auth={"token": token}, transports=transports, wait_timeout=WAIT)

    def _record(self, event, data=None):
        self.events.put((event, data))

    def emit(self, event, data):
        self.sio.emit(event, data)

    def wait(self, event, match=lambda data: True, timeout=WAIT):
        """The first `event` whose data matches, not returned before: among those already
        seen, else the next to arrive (the events before it stay in `seen`)."""
        for index, (name, data) in enumerate(self.seen):
            if index not in self.taken and name == event and match(data):
                self.taken.add(index)
                return data
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                name, data = self.events.get(timeout=max(0.01, deadline - time.time()))
            except queue.Empty:
                break
            self.seen.append((name, data))
            if name == event and match(data):
                self.taken.add(len(self.seen) - 1)
                return data
        raise AssertionError(f"{self.name}: no {event} within {timeout} s; got {[name for name, _ in self.seen]}")

    def nothing(self, event, within=1.0):
        """No `event` arrives within `within` seconds (others are kept in `seen`)."""
        deadline = time.time() + within
        while time.time() < deadline:
            try:
                name, data = self.events.get(timeout=max(0.01, deadline - time.time()))
            except queue.Empty:
                return
            self.seen.append((name, data))
            assert name != event, f"{self.name}: unexpected {event}: {data}"

    def close(self):
        self.sio.disconnect()


TRANSPORTS = {"websocket": ["websocket"], "polling": ["polling"], "upgrade": ["polling", "websocket"]}


@pytest.mark.parametrize("mode", ["websocket", "polling", "upgrade"])
def test_the_seed_flow_of_the_plan(server, mode):
    """Customer writes → both staff hear of the new ticket → both claim at once → one wins,
    the other is told, the rest of the staff learn who took it → messages both ways → read
    marks → typing."""
    transports = TRANSPORTS[mode]
    customer_id = f"khach-{mode}"
    customer = Client(server, server.token("customer", customer_id), transports, "customer")
    ana = Client(server, server.token("agent", "ana"), transports, "ana")
    beto = Client(server, server.token("agent", "beto"), transports, "beto")
    try:
        if mode == "upgrade":
            assert ana.sio.transport() == "websocket", "the client moved from polling to WebSocket"
        for client, kind in ((customer, "customer"), (ana, "staff"), (beto, "staff")):
            client.emit("user:join", {"user_type": kind})
            client.wait("subscribed")

        customer.emit("customer:send-message", {"customerId": customer_id, "message": "Chưa nhận được hàng\nĐơn SV-1042"})
        sent = customer.wait("message-sent-success")
        assert sent["is_new_ticket"] is True
        ticket_id = sent["ticket_id"]
        for staff in (ana, beto):
            pending = staff.wait("new-pending-ticket", lambda d: d["ticket_id"] == ticket_id)
            assert pending["customer_id"] == customer_id
            assert pending["message"].startswith("Chưa nhận được hàng")
            staff.wait("new-message", lambda d: d["ticket_id"] == ticket_id and d["sender_type"] == "customer")
        customer.nothing("new-pending-ticket", within=0.3)

        # Both claim at once: exactly one wins.
        barrier = threading.Barrier(2)

        def claim(client, staff_id):
            barrier.wait()
            client.emit("staff:claim-ticket", {"ticketId": ticket_id, "staffId": staff_id})

        threads = [threading.Thread(target=claim, args=(ana, "ana")), threading.Thread(target=claim, args=(beto, "beto"))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        outcomes = {}
        for client in (ana, beto):
            deadline = time.time() + WAIT
            while client.name not in outcomes and time.time() < deadline:
                name, data = client.events.get(timeout=WAIT)
                client.seen.append((name, data))
                if name in ("claim-success", "claim-failed"):
                    outcomes[client.name] = (name, data)
        assert sorted(name for name, _ in outcomes.values()) == ["claim-failed", "claim-success"], outcomes
        winner, loser = (ana, beto) if outcomes["ana"][0] == "claim-success" else (beto, ana)
        assert outcomes[winner.name][1]["ticket"]["assignedAgent"] == winner.name
        assert outcomes[loser.name][1]["ticket_id"] == ticket_id
        assert outcomes[loser.name][1]["code"] == "already_claimed"
        claimed = loser.wait("ticket-claimed", lambda d: d["ticket_id"] == ticket_id)
        assert claimed["claimed_by"] == winner.name
        winner.nothing("ticket-claimed", within=0.3)

        # Staff answer; the customer answers back.
        winner.emit("send-message", {"ticketId": ticket_id, "senderId": winner.name, "senderType": "staff", "content": "Dạ em kiểm tra ngay"})
        assert winner.wait("message-sent-success")["ticket_id"] == ticket_id
        heard = customer.wait("new-message", lambda d: d["sender_type"] == "staff")
        assert heard["content"] == "Dạ em kiểm tra ngay" and heard["sender_id"] == winner.name
        customer.emit("send-message", {"ticketId": ticket_id, "senderId": customer_id, "senderType": "customer", "content": "Cảm ơn"})
        customer.wait("message-sent-success")
        assert winner.wait("new-message", lambda d: d["content"] == "Cảm ơn")["sender_type"] == "customer"

        # Read marks clear the counters.
        customer.emit("mark-as-read", {"ticketId": ticket_id, "userId": customer_id, "userType": "customer"})
        assert customer.wait("marked-as-read-success")["ticket_id"] == ticket_id
        winner.emit("mark-as-read", {"ticketId": ticket_id, "userId": winner.name, "userType": "staff"})
        assert winner.wait("marked-as-read-success")["marked"] == 2
        status, body = server.rest("GET", f"/api/v2/tickets/{ticket_id}", server.admin)
        assert status == 200 and body["ticket"]["chat"]["unreadStaff"] == 0 and body["ticket"]["chat"]["unreadCustomer"] == 0

        # Typing reaches the other side, not the typist.
        winner.emit("typing", {"ticketId": ticket_id, "userId": winner.name, "userName": "Ana"})
        assert customer.wait("user-typing")["user_id"] == winner.name
        winner.emit("stop-typing", {"ticketId": ticket_id, "userId": winner.name})
        assert customer.wait("user-stop-typing")["user_id"] == winner.name
        customer.emit("typing", {"ticketId": ticket_id, "userId": customer_id, "userName": "Khach"})
        assert winner.wait("user-typing")["user_id"] == customer_id
        customer.nothing("user-typing", within=0.3)
    finally:
        for client in (customer, ana, beto):
            client.close()


def test_a_bad_or_foreign_token_is_refused_at_connect(server):
    for token, says in (("not-a-token", "token"), (server.token("customer", "c1", tenant="no-such-tenant"), "tenant")):
        client = socketio.Client(reconnection=False)
        reasons = []
        client.on("connect_error", lambda data: reasons.append(data))
        with pytest.raises(socketio.exceptions.ConnectionError):
            client.connect(server.base, auth={"token": token}, transports=["websocket"], wait_timeout=WAIT)
        assert reasons and says in reasons[0]["message"], reasons
    # No credential at all.
    client = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(server.base, transports=["polling"], wait_timeout=WAIT)


def test_the_token_decides_who_speaks(server):
    """Where the plan trusts the payload (customerId, staffId, senderId, user_type), the token decides."""
    mallory = Client(server, server.token("customer", "mallory"), ["websocket"], "mallory")
    try:
        mallory.emit("customer:send-message", {"customerId": "someone-else", "message": "hi"})
        refused = mallory.wait("error")
        assert refused["code"] == "forbidden" and "someone-else" in refused["message"]
        mallory.emit("user:join", {"user_type": "staff"})
        assert mallory.wait("error")["code"] == "forbidden"
        mallory.emit("staff:claim-ticket", {"ticketId": "LUX-2026-000001", "staffId": "mallory"})
        assert mallory.wait("claim-failed")["code"] == "forbidden"
        mallory.emit("subscribe", {"rooms": ["staff"]})
        assert mallory.wait("error")["code"] == "forbidden"
        # Another tenant's events never reach her, nor another customer's.
        other = Client(server, server.token("customer", "victim"), ["websocket"], "victim")
        other.emit("user:join", {"user_type": "customer"})
        other.wait("subscribed")
        mallory.emit("user:join", {"user_type": "customer"})
        mallory.wait("subscribed")
        other.emit("customer:send-message", {"customerId": "victim", "message": "private"})
        other.wait("message-sent-success")
        mallory.nothing("new-message", within=0.5)
        mallory.nothing("ticket_created", within=0.1)
        other.close()
    finally:
        mallory.close()


def test_binary_events_are_refused_cleanly(server):
    client = Client(server, server.token("customer", "bin"), ["websocket"], "bin")
    try:
        client.emit("customer:send-message", {"customerId": "bin", "message": b"\x00\x01"})
        refused = client.wait("error")
        assert "binary" in refused["message"]
        # The connection goes on.
        client.emit("customer:send-message", {"customerId": "bin", "message": "texto"})
        assert client.wait("message-sent-success")["is_new_ticket"] is True
    finally:
        client.close()


def test_a_reconnecting_client_gets_what_it_missed_in_order_once(server):
    staff_token = server.token("agent", "ana")
    first = Client(server, staff_token, ["websocket"], "ana")
    first.emit("user:join", {"user_type": "staff"})
    first.wait("subscribed")
    customer = Client(server, server.token("customer", "resume"), ["websocket"], "resume")
    customer.emit("customer:send-message", {"customerId": "resume", "message": "primero"})
    ticket_id = customer.wait("message-sent-success")["ticket_id"]
    last = first.wait("new-message", lambda d: d["ticket_id"] == ticket_id)["event_id"]
    first.close()
    # While she is away: three more messages.
    for text in ("segundo", "tercero", "cuarto"):
        customer.emit("customer:send-message", {"customerId": "resume", "message": text})
        customer.wait("message-sent-success")
    again = Client(server, staff_token, ["polling"], "ana again")
    try:
        again.emit("user:join", {"user_type": "staff", "since": last})
        replayed = again.wait("subscribed")["replayed"]
        missed = [data for name, data in again.seen if name == "new-message" and data["ticket_id"] == ticket_id]
        assert [m["content"] for m in missed] == ["segundo", "tercero", "cuarto"]
        ids = [data["event_id"] for name, data in again.seen if isinstance(data, dict) and "event_id" in data]
        assert ids == sorted(set(ids)) and all(i > last for i in ids), ids
        assert replayed >= 3
    finally:
        again.close()
        customer.close()


def test_the_heartbeat_keeps_answering_clients_and_drops_silent_ones(server):
    # A real client answers the 2 s pings: still connected once it has answered three (the
    # client's pongs are counted as it sends them; the wait ends when the third goes out).
    client = Client(server, server.token("customer", "alive"), ["polling"], "alive")
    pongs = []
    engine = client.sio.eio
    send_packet = engine._send_packet

    def counting(packet):
        if packet.packet_type == engineio_packet.PONG:
            pongs.append(time.time())
        return send_packet(packet)

    engine._send_packet = counting
    try:
        deadline = time.time() + 30
        while len(pongs) < 3 and time.time() < deadline and client.sio.connected:
            time.sleep(0.05)
        assert len(pongs) >= 3, f"{len(pongs)} pongs in 30 s"
        assert client.sio.connected
        client.emit("customer:send-message", {"customerId": "alive", "message": "sigo aquí"})
        client.wait("message-sent-success")
    finally:
        client.close()
    # A polling session that never answers: gone after the ping interval and timeout.
    open_answer = requests.get(f"{server.base}/socket.io/?EIO=4&transport=polling", timeout=WAIT)
    assert open_answer.status_code == 200 and open_answer.text.startswith("0")
    handshake = json.loads(open_answer.text[1:])
    assert handshake["pingInterval"] == 2000 and handshake["pingTimeout"] == 2000 and handshake["upgrades"] == ["websocket"]
    sid = handshake["sid"]
    # Long-polls that take the pings and never answer them, until the session is closed (a close
    # packet, or the session unknown), or 30 s.
    deadline = time.time() + 30
    closed = False
    while not closed and time.time() < deadline:
        answer = requests.get(f"{server.base}/socket.io/?EIO=4&transport=polling&sid={sid}", timeout=WAIT)
        closed = answer.status_code == 404 or "1" in answer.text.split("\x1e")
    assert closed, "a session that never answers a ping is dropped"


def test_protocol_errors_answer_400(server):
    assert requests.get(f"{server.base}/socket.io/?EIO=3&transport=polling", timeout=WAIT).status_code == 400
    assert requests.get(f"{server.base}/socket.io/?EIO=4&transport=carrier-pigeon", timeout=WAIT).status_code == 400
    assert requests.get(f"{server.base}/socket.io/?EIO=4&transport=polling&sid=nope", timeout=WAIT).status_code == 404
    assert requests.post(f"{server.base}/socket.io/?EIO=4&transport=polling&sid=nope", data="40", timeout=WAIT).status_code == 404


def test_the_old_chats_send_message_reaches_the_other_side_as_received_message(server):
    """The old 1-1 chat's own event, kept by the plan: a customer's `send_message` lands in
    their open ticket and staff get `received_message`; staff answer the customer the same way."""
    staff = Client(server, server.token("agent", "ana"), ["websocket"], "ana")
    old = Client(server, server.token("customer", "old-app"), ["polling"], "old app")
    try:
        staff.emit("user:join", {"user_type": "staff"})
        staff.wait("subscribed")
        old.emit("user:join", {"user_type": "customer"})
        old.wait("subscribed")
        old.emit("send_message", {"payload": {"sender_id": "old-app", "receiver_id": "ana", "content": "¿Siguen abiertos?"}})
        heard = staff.wait("received_message", lambda d: d["payload"]["sender_id"] == "old-app")["payload"]
        assert heard["content"] == "¿Siguen abiertos?" and heard["_id"]
        staff.emit("send_message", {"payload": {"sender_id": "ana", "receiver_id": "old-app", "content": "Sí, hasta las 8"}})
        answer = old.wait("received_message", lambda d: d["payload"]["sender_id"] == "ana")["payload"]
        assert answer["content"] == "Sí, hasta las 8" and answer["receiver_id"] == "old-app"
        # Someone else's name in sender_id is refused.
        old.emit("send_message", {"payload": {"sender_id": "ana", "receiver_id": "x", "content": "soy Ana"}})
        assert old.wait("error")["code"] == "forbidden"
    finally:
        staff.close()
        old.close()


def test_sigterm_closes_sessions_that_never_connected_and_their_waiting_long_polls():
    """Engine.IO sessions are a service of the server: at SIGTERM a session that shook hands but
    never sent Socket.IO's CONNECT is closed too, its waiting long-poll answers the close packet
    at once, and the server exits cleanly (it used to wait out the 25 s poll past its grace)."""
    data = pathlib.Path(tempfile.mkdtemp(prefix="docket-socketio-stop-"))
    process, port = docket_process.start(data, "--shutdown-grace", "10")
    base = f"http://127.0.0.1:{port}"
    try:
        handshake = requests.get(f"{base}/socket.io/?EIO=4&transport=polling", timeout=WAIT)
        assert handshake.status_code == 200 and handshake.text.startswith("0"), handshake.text
        sid = json.loads(handshake.text[1:])["sid"]
        answers = queue.Queue()

        def long_poll():
            try:
                answer = requests.get(f"{base}/socket.io/?EIO=4&transport=polling&sid={sid}", timeout=60)
                answers.put((answer.status_code, answer.text))
            except requests.RequestException as error:
                answers.put((None, str(error)))

        poller = threading.Thread(target=long_poll, daemon=True)
        poller.start()
        # The poll is waiting once the server counts two GETs in flight: it and the /metrics read.
        deadline = time.time() + WAIT
        while time.time() < deadline:
            metrics = requests.get(f"{base}/metrics", timeout=WAIT).text
            active = [line for line in metrics.splitlines()
                      if line.startswith("http_server_active_requests") and 'http_request_method="GET"' in line]
            if active and float(active[0].split()[-1]) >= 2:
                break
        else:
            raise AssertionError("the long-poll never started waiting")
        process.terminate()
        # The close packet answers the waiting poll: the session was closed at shutdown. (Before,
        # the poll waited out the ping interval and the server was cut off past its grace.)
        status, text = answers.get(timeout=WAIT)
        assert status == 200 and "1" in text.split("\x1e"), (status, text)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_an_agent_on_the_old_clients_socket_is_online_and_offline_only_after_the_grace(server):
    """Presence from a Socket.IO session (long-polling, as the old clients connect): online while it
    is open, away when the agent says so, and offline only once the grace after its close is over."""
    server.rest("POST", "/api/v2/agents", server.admin, {"id": "carla", "name": "Carla Núñez"})

    def presence():
        status, body = server.rest("GET", "/api/v2/presence", server.admin)
        assert status == 200, body
        return {entry["agentId"]: entry["status"] for entry in body["presence"]}["carla"]

    def until(predicate, timeout=WAIT):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return
            time.sleep(0.05)
        raise AssertionError("condition not met in time")

    assert presence() == "offline"
    carla = Client(server, server.token("agent", "carla"), ["polling"], "carla")
    until(lambda: presence() == "online")
    own = server.token("agent", "carla")
    status, body = server.rest("PUT", "/api/v2/presence/me", own, {"status": "away"})
    assert status == 200 and body["presence"]["status"] == "away", body
    assert server.rest("PUT", "/api/v2/presence/me", own, {"status": "offline"})[0] == 422
    assert server.rest("PUT", "/api/v2/presence/me", server.token("customer", "c9"), {"status": "away"})[0] == 403
    status, body = server.rest("PUT", "/api/v2/presence/me", own, {"status": "online"})
    assert body["presence"]["status"] == "online"
    carla.close()
    closed = time.monotonic()
    assert presence() == "online", "a closed session still counts for the grace (a reconnect does not flap)"
    until(lambda: presence() == "offline", timeout=40)
    print(f"offline {time.monotonic() - closed:.1f} s after the last session closed")
