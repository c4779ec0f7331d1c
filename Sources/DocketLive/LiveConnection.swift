import DocketCore
import Foundation
import Metrics
import NIOCore
import NIOWebSocket

/// A text frame, encoded once: a broadcast hands the same bytes to every connection of a room
/// (copying a `ByteBuffer` shares its storage), so no connection encodes or copies it again.
///
/// `wire` is the whole WebSocket frame as a server sends it (RFC 6455 §5.2: FIN and the text
/// opcode, the payload length, no mask, the payload); a WebSocket connection's drain writes it
/// below NIO's frame encoder (`LiveWireWriter`). The header is written here because NIO's own
/// header writer is private to its encoder; a test holds these bytes to that encoder's output.
struct LiveFrame: Sendable {
    let wire: ByteBuffer
    private let headerBytes: Int

    init(_ text: String) {
        let length = text.utf8.count
        headerBytes = length < 126 ? 2 : length <= 0xFFFF ? 4 : 10
        var wire = ByteBuffer()
        wire.reserveCapacity(headerBytes + length)
        wire.writeInteger(UInt8(0x81))  // FIN, text
        switch headerBytes {
        case 2: wire.writeInteger(UInt8(length))
        case 4:
            wire.writeInteger(UInt8(126))
            wire.writeInteger(UInt16(length))
        default:
            wire.writeInteger(UInt8(127))
            wire.writeInteger(UInt64(length))
        }
        wire.writeString(text)
        self.wire = wire
    }

    /// The payload alone (sharing the wire's storage), for the writer task's WebSocket frames.
    var payload: ByteBuffer { wire.getSlice(at: wire.readerIndex + headerBytes, length: wire.readableBytes - headerBytes)! }

    /// The frame as text, for the Socket.IO translation.
    var text: String { String(buffer: payload) }
}

/// Writes whole, already encoded WebSocket frames (`LiveFrame.wire`) from below NIO's frame
/// encoder, on the channel's event loop; everything else passes through it untouched.
final class LiveWireWriter: ChannelOutboundHandler, RemovableChannelHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    var isWritable: Bool { context?.channel.isWritable ?? false }
    func write(_ frame: LiveFrame) { context?.write(wrapOutboundOut(frame.wire), promise: nil) }
    func flush() { context?.flush() }

    /// Puts a writer just below the WebSocket frame encoder of `channel`'s pipeline.
    static func install(on channel: any Channel) async throws -> NIOLoopBound<LiveWireWriter> {
        try await channel.eventLoop.submit {
            let operations = channel.pipeline.syncOperations
            let writer = LiveWireWriter()
            try operations.addHandler(writer, position: .before(try operations.handler(type: WebSocketFrameEncoder.self)))
            return NIOLoopBound(writer, eventLoop: channel.eventLoop)
        }.get()
    }
}

/// One WebSocket client: who it is, the rooms it joined and the frames waiting for it.
///
/// Two ways out. A WebSocket client's frames are written straight to its channel by a drain on
/// the channel's event loop: a broadcast queues its frame on every connection and runs one drain
/// task per event loop for all of them (`LiveHub.deliver`), instead of waking a writer task per
/// connection that hands each frame to the loop on its own. When the channel stops taking
/// bytes (the client reads slowly), the drain hands the queue to the connection's writer task,
/// which waits on the channel's backpressure, and gives it back once it caught up. The writer
/// task also sends the close frame, after what was queued before it. A connection without a
/// channel (Socket.IO) is written by its task alone, as before.
final class LiveConnection: @unchecked Sendable {
    // Everything mutable is guarded by `lock`.
    private let lock = NSLock()
    let key: String
    private var who: Principal?
    private var rooms: [LiveRoom] = []
    private var lastSeen = ContinuousClock.now
    let opened = ContinuousClock.now
    private var typingWindow: (start: ContinuousClock.Instant, count: Int) = (.now, 0)
    private var queue: [LiveFrame] = []
    private var waiter: CheckedContinuation<Void, Never>?
    private(set) var closing: (code: UInt16, reason: String)?
    /// While a replay is read, live events wait here so the client gets them after the replay.
    private var held: [(id: Int, frame: LiveFrame)]?
    /// Held live events were let go since the last `takeHeldOverflow`.
    private var heldOverflowed = false
    let limit: Int

    /// Cuts the TCP connection (a client that stopped reading cannot receive a close frame).
    let abort: @Sendable () -> Void
    /// When the connection was told to close.
    private var closingSince: ContinuousClock.Instant?
    /// The WebSocket's frame writer, used on its channel's event loop; nil for a Socket.IO session.
    let sink: NIOLoopBound<LiveWireWriter>?
    /// Who writes the queue: the drain on the channel's loop, or the writer task (always, without a channel).
    private var writerOwnsQueue: Bool
    /// A drain is queued on the channel's loop, or one is writing frames it took.
    private var drainScheduled = false
    private var draining = false

    init(key: String, limit: Int, sink: NIOLoopBound<LiveWireWriter>? = nil, abort: @escaping @Sendable () -> Void = {}) {
        self.key = key
        self.limit = limit
        self.sink = sink
        self.writerOwnsQueue = sink == nil
        self.abort = abort
    }

    /// What a change of the queue asks for, done outside the lock.
    private enum Wake {
        case none
        case writer(CheckedContinuation<Void, Never>)
        case drain
    }

    /// After frames were queued (under the lock): the writer's turn, or a drain on the loop.
    private func queuedLocked() -> Wake {
        if writerOwnsQueue { return wakeWriterLocked() }
        if drainScheduled { return .none }
        drainScheduled = true
        return .drain
    }

    private func wakeWriterLocked() -> Wake {
        defer { waiter = nil }
        return waiter.map(Wake.writer) ?? .none
    }

    private func perform(_ wake: Wake) {
        switch wake {
        case .none: break
        case .writer(let continuation): continuation.resume()
        case .drain: sink?.eventLoop.execute { self.drain() }
        }
    }

    /// On the channel's event loop: writes what is queued while the channel takes it, and hands
    /// the rest to the writer task when it does not.
    func drain() {
        guard let writer = sink?.value else { return }
        let frames: [LiveFrame] = lock.withLock {
            drainScheduled = false
            // A client dropped for falling behind gets no more of its backlog; a gone one none at all.
            guard !writerOwnsQueue, closing.map({ $0.code != LiveCloseCode.tooSlow.rawValue && $0.code != 0 }) ?? true else { return [] }
            draining = true
            defer { queue.removeAll(keepingCapacity: true) }
            return queue
        }
        var written = 0
        for frame in frames {
            guard writer.isWritable else { break }
            writer.write(frame)
            written += 1
        }
        if written > 0 { writer.flush() }
        let wake: Wake = lock.withLock {
            draining = false
            if written < frames.count {
                queue.insert(contentsOf: frames[written...], at: 0)
                writerOwnsQueue = true
            }
            return writerOwnsQueue || closing != nil ? wakeWriterLocked() : .none
        }
        perform(wake)
    }

    /// Frames queued for many connections at once (`LiveHub.deliver`): the connections whose
    /// drain the caller runs on their loops, grouped by loop, one task per loop.
    static func drain(_ connections: [LiveConnection]) {
        var byLoop: [ObjectIdentifier: (loop: any EventLoop, connections: [LiveConnection])] = [:]
        for connection in connections {
            guard let loop = connection.sink?.eventLoop else { continue }
            byLoop[ObjectIdentifier(loop), default: (loop, [])].connections.append(connection)
        }
        for (loop, batch) in byLoop.values {
            loop.execute { for connection in batch { connection.drain() } }
        }
    }

    /// Dropped for falling behind: its backlog is not sent.
    var isDropped: Bool { lock.withLock { closing?.code == LiveCloseCode.tooSlow.rawValue } }

    /// Told to close longer ago than `grace`, and still here.
    func overdue(_ grace: Duration, now: ContinuousClock.Instant) -> Bool {
        lock.withLock {
            if closing != nil, closingSince == nil { closingSince = now }
            return closingSince.map { now - $0 > grace } ?? false
        }
    }

    /// Set once the client authenticated.
    var principal: Principal? { lock.withLock { who } }

    func authenticated(as principal: Principal) { lock.withLock { who = principal } }

    /// The client sent a frame.
    func touch() { lock.withLock { lastSeen = .now } }

    var idleSince: ContinuousClock.Instant { lock.withLock { lastSeen } }

    /// Counts a typing frame; false past `limit` per 10 seconds.
    func allowTyping(limit: Int, window: Duration = .seconds(10)) -> Bool {
        lock.withLock {
            let now = ContinuousClock.now
            if now - typingWindow.start > window { typingWindow = (now, 0) }
            typingWindow.count += 1
            return typingWindow.count <= limit
        }
    }

    /// The client is gone: the writer stops without sending a close frame.
    func finish() {
        let wake: Wake = lock.withLock {
            if closing == nil { closing = (0, "") }
            return wakeWriterLocked()
        }
        perform(wake)
    }

    var roomList: [LiveRoom] { lock.withLock { rooms } }

    /// Rooms one connection may watch at once: every event is matched against them, so a client
    /// cannot make each delivery expensive for everyone by joining thousands.
    static let maxRooms = 200

    func join(_ room: LiveRoom) {
        lock.withLock { if !rooms.contains(room) { rooms.append(room) } }
    }

    func leave(_ room: LiveRoom) {
        lock.withLock { rooms.removeAll { $0 == room } }
    }

    /// The first joined room that delivers `event` to this client.
    func room(for event: LiveEvent) -> LiveRoom? {
        let (rooms, who) = lock.withLock { (self.rooms, self.who) }
        guard let who else { return nil }
        return rooms.first { $0.delivers(event, to: who, connection: key) }
    }

    /// Queues a frame; false when the client is too far behind (the connection is then closing).
    @discardableResult
    func enqueue(_ text: String, id: Int = 0) -> Bool {
        let (open, drain) = enqueue(LiveFrame(text), id: id)
        if drain { perform(.drain) }
        return open
    }

    /// Queues a frame made once for many connections. `drain` is true when the caller must run
    /// this connection's drain on its loop (`LiveConnection.drain(_:)`, batched per loop).
    func enqueue(_ frame: LiveFrame, id: Int) -> (open: Bool, drain: Bool) {
        let (wake, open): (Wake, Bool) = lock.withLock {
            guard closing == nil else { return (.none, false) }
            if held != nil {
                held!.append((id, frame))
                // Live events held during a long replay are all in the log too: past the limit
                // they are let go, and the replay reads on to fetch them (`takeHeldOverflow`).
                if held!.count > limit {
                    held = []
                    heldOverflowed = true
                }
            } else if queue.count >= limit {
                closing = (LiveCloseCode.tooSlow.rawValue, "more than \(limit) events waiting; reconnect with since=<last id>")
                return (wakeWriterLocked(), false)
            } else {
                queue.append(frame)
                return (queuedLocked(), true)
            }
            return (.none, true)
        }
        if case .drain = wake { return (open, true) }
        perform(wake)
        return (open, false)
    }

    func close(_ code: LiveCloseCode, _ reason: String) {
        let wake: Wake = lock.withLock {
            if closing == nil { closing = (code.rawValue, reason) }
            return wakeWriterLocked()
        }
        perform(wake)
    }

    func hold() { lock.withLock { held = [] } }

    /// Whether held live events were let go (the replay must read on); clears the mark.
    func takeHeldOverflow() -> Bool {
        lock.withLock {
            defer { heldOverflowed = false }
            return heldOverflowed
        }
    }

    /// Queues replayed frames once the queue has room for them (the client read what was
    /// queued before): a replay goes as fast as the client reads, never more than `limit`
    /// frames ahead of it. False when the connection closed, or when the client took nothing
    /// for `patience` (it is then dropped as too slow).
    func enqueueReplayed(_ texts: [String], patience: Duration) async -> Bool {
        let frames = texts.map(LiveFrame.init)
        let deadline = ContinuousClock.now + patience
        while true {
            let (state, wake): (Bool?, Wake) = lock.withLock {
                guard closing == nil else { return (false, .none) }
                if queue.count + frames.count <= limit {
                    queue += frames
                    return (true, queuedLocked())
                }
                if ContinuousClock.now > deadline {
                    closing = (LiveCloseCode.tooSlow.rawValue, "took no replayed event for \(patience); reconnect with since=<last id>")
                    return (false, wakeWriterLocked())
                }
                return (nil, .none)
            }
            perform(wake)
            if let state { return state }
            try? await Task.sleep(for: .milliseconds(2))
        }
    }

    /// Queues the replayed frames, then what arrived live meanwhile (skipping what the replay held).
    func release(replayed texts: [String], through lastId: Int) {
        let replayed = texts.map(LiveFrame.init)
        let wake: Wake = lock.withLock {
            let live = held ?? []
            held = nil
            let frames = replayed + live.filter { $0.id == 0 || $0.id > lastId }.map(\.frame)
            if queue.count + frames.count > limit, closing == nil {
                closing = (LiveCloseCode.tooSlow.rawValue, "more than \(limit) events waiting")
                return wakeWriterLocked()
            }
            queue += frames
            return queuedLocked()
        }
        perform(wake)
    }

    /// The writer task's next frames to write (when it owns the queue), or the close to send;
    /// waits while there is nothing for it.
    func next() async -> Result<[LiveFrame], CloseRequest> {
        while true {
            let ready: Result<[LiveFrame], CloseRequest>? = lock.withLock { writerTurnLocked() }
            if let ready { return ready }
            await withCheckedContinuation { continuation in
                let resumeNow = lock.withLock {
                    if writerHasWorkLocked { return true }
                    waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }
    }

    private var writerHasWorkLocked: Bool {
        if let closing {
            // Dropped or gone: at once. Otherwise what is queued goes out before the close frame.
            if closing.code == LiveCloseCode.tooSlow.rawValue || closing.code == 0 { return true }
            if queue.isEmpty, !drainScheduled, !draining { return true }
        }
        return writerOwnsQueue && !queue.isEmpty
    }

    private func writerTurnLocked() -> Result<[LiveFrame], CloseRequest>? {
        if let closing, closing.code == LiveCloseCode.tooSlow.rawValue || closing.code == 0 {
            return .failure(CloseRequest(code: closing.code, reason: closing.reason))
        }
        if writerOwnsQueue, !queue.isEmpty {
            defer { queue.removeAll(keepingCapacity: true) }
            return .success(queue)
        }
        // Caught up: broadcasts go straight to the channel again.
        if sink != nil { writerOwnsQueue = false }
        if let closing, queue.isEmpty, !drainScheduled, !draining {
            return .failure(CloseRequest(code: closing.code, reason: closing.reason))
        }
        return nil
    }

    struct CloseRequest: Error {
        var code: UInt16
        var reason: String
    }
}
