import Foundation

/// One Engine.IO client: its packets waiting to go out, the transport carrying them, its heartbeat.
final class EngineSession: @unchecked Sendable {
    enum Transport { case polling, websocket }

    let sid: String
    // Everything mutable is guarded by `lock`.
    private let lock = NSLock()
    private var queue: [String] = []
    /// Takers waiting for packets (a long-poll, a WebSocket writer; both during an upgrade).
    private var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    private var nextWaiter = 0
    private var transport: Transport
    private var pollInFlight = false
    private var closedReason: String?
    private var pingSentAt: ContinuousClock.Instant?
    private var lastPingAt = ContinuousClock.now
    let limit: Int
    /// Told whenever the client shows it is there (a pong, a message): keeps its socket from idling out.
    var onActivity: @Sendable () -> Void {
        get { lock.withLock { activity } }
        set { lock.withLock { activity = newValue } }
    }
    private var activity: @Sendable () -> Void = {}
    /// Message payloads from the client, in order (Socket.IO packets), for the socket to handle.
    let inbound: AsyncStream<String>
    private let inboundContinuation: AsyncStream<String>.Continuation

    /// The client address a polling handshake came from (it holds one of that address's places).
    let address: String?

    init(sid: String, transport: Transport, limit: Int, address: String? = nil) {
        self.sid = sid
        self.address = address
        self.transport = transport
        self.limit = limit
        (inbound, inboundContinuation) = AsyncStream.makeStream(of: String.self, bufferingPolicy: .bufferingNewest(limit))
    }

    var isClosed: Bool { lock.withLock { closedReason != nil } }
    var currentTransport: Transport { lock.withLock { transport } }

    /// Queues an encoded packet for the client; a client too far behind is closed.
    func send(_ packet: String) {
        let wake: [CheckedContinuation<Void, Never>] = lock.withLock {
            guard closedReason == nil else { return [] }
            if queue.count >= limit {
                closedReason = "more than \(limit) packets waiting"
                queue = [EnginePacket.close]
            } else {
                queue.append(packet)
            }
            return takeWaiters()
        }
        for waiter in wake { waiter.resume() }
    }

    /// Every waiting taker, removed (under the lock).
    private func takeWaiters() -> [CheckedContinuation<Void, Never>] {
        defer { waiters.removeAll() }
        return Array(waiters.values)
    }

    /// The Socket.IO packet `payload`, as an Engine.IO message.
    func sendMessage(_ payload: String) { send(EnginePacket.message + payload) }

    /// Closes the session: the client is told (`1`) if a transport can still carry it.
    func close(_ reason: String) {
        let wake: [CheckedContinuation<Void, Never>] = lock.withLock {
            guard closedReason == nil else { return [] }
            closedReason = reason
            queue.append(EnginePacket.close)
            return takeWaiters()
        }
        for waiter in wake { waiter.resume() }
        inboundContinuation.finish()
    }

    /// What the waiting packets are, once there are some (or `wait` passed: none). Nil once
    /// the session is closed and everything it had to say was taken.
    func take(wait: Duration) async -> [String]? {
        let deadline = ContinuousClock.now + wait
        while true {
            let ready: [String]?? = lock.withLock {
                if !queue.isEmpty {
                    defer { queue.removeAll(keepingCapacity: true) }
                    return .some(queue)
                }
                if closedReason != nil { return .some(nil) }
                if ContinuousClock.now >= deadline { return .some([]) }
                return nil
            }
            if let ready { return ready }
            let token = lock.withLock {
                nextWaiter += 1
                return nextWaiter
            }
            await withTaskGroup(of: Void.self) { group in
                group.addTask { [self] in
                    await withCheckedContinuation { continuation in
                        // Registered under the lock, unless there is something to take already or
                        // the deadline passed (the timer below may have looked before this).
                        let now = lock.withLock {
                            if !queue.isEmpty || closedReason != nil || ContinuousClock.now >= deadline { return true }
                            waiters[token] = continuation
                            return false
                        }
                        if now { continuation.resume() }
                    }
                }
                group.addTask { [self] in
                    try? await Task.sleep(until: deadline)
                    lock.withLock { waiters.removeValue(forKey: token) }?.resume()
                }
                await group.next()
                group.cancelAll()
            }
        }
    }

    /// A long-poll begins; false when one is already waiting (the protocol allows one).
    func beginPoll() -> Bool {
        lock.withLock {
            guard !pollInFlight else { return false }
            pollInFlight = true
            return true
        }
    }

    func endPoll() { lock.withLock { pollInFlight = false } }

    /// The WebSocket now carries the session (after the client's `5`).
    func upgraded() { lock.withLock { transport = .websocket } }

    /// A packet from the client. Answers false when it breaks the protocol (the session is closed).
    @discardableResult
    func receive(_ packet: Substring) -> Bool {
        guard let type = packet.first else { return true }
        switch String(type) {
        case EnginePacket.pong:
            let told = lock.withLock {
                pingSentAt = nil
                return activity
            }
            told()
        case EnginePacket.message:
            inboundContinuation.yield(String(packet.dropFirst()))
        case EnginePacket.close:
            close("the client closed")
        case EnginePacket.ping:
            // Clients of protocol 4 do not ping; an answer does no harm.
            send(EnginePacket.pong + packet.dropFirst())
        case EnginePacket.noop, EnginePacket.upgrade, "b":
            break
        default:
            close("'\(packet.prefix(16))' is not an Engine.IO packet")
            return false
        }
        return true
    }

    /// Pings when the interval has passed; closes a client that did not answer the last ping in time.
    func heartbeat(_ settings: EngineSettings, now: ContinuousClock.Instant) {
        enum Step { case none, ping, timeout }
        let step: Step = lock.withLock {
            guard closedReason == nil else { return .none }
            if let sent = pingSentAt { return now - sent > settings.pingTimeout ? .timeout : .none }
            guard now - lastPingAt >= settings.pingInterval else { return .none }
            lastPingAt = now
            pingSentAt = now
            return .ping
        }
        switch step {
        case .ping: send(EnginePacket.ping)
        case .timeout: close("no pong within \(settings.pingTimeout)")
        case .none: break
        }
    }
}
