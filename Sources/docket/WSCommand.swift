import ArgumentParser
import Foundation
import HummingbirdWSClient
import Logging
import Synchronization

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `docket ws`: the WebSocket from a terminal. Opens `/api/v2/ws` with a token, sends the
/// frames given, and prints every frame received, one JSON text per line, as it arrives.
struct WSCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ws",
        abstract: "Open /api/v2/ws, send frames, and print every frame received (one JSON per line).",
        discussion: """
            The frames given with --send go out in order once the server's welcome has arrived.
            With --until the command ends when a frame of that type arrives (exit 0) or --timeout
            passes (exit 1); without it, it prints until the server closes or Ctrl-C. A server
            close other than a normal one exits 1 with its code and reason on stderr.
            """)

    @Option(help: "The server's address (DOCKET_SERVER; default http://localhost:8080).")
    var server: String?
    @Option(help: "A bearer token or an API key (DOCKET_TOKEN; `docket token` makes one).")
    var token: String?
    @Option(help: "Rooms to join at once (comma separated: staff, queue:<id>, ticket:<id>, customer:<id>).")
    var rooms: String?
    @Option(help: "With --rooms: replay the events after this id first.")
    var since: Int?
    @Option(name: .customLong("send"), help: "A frame to send, as JSON text; repeat to send several, in order.")
    var frames: [String] = []
    @Option(help: "End when a frame of this type arrives, e.g. subscribed, message_sent, claimed.")
    var until: String?
    @Option(help: "With --until: seconds to wait for it.")
    var timeout: Double = 10

    func validate() throws {
        for frame in frames where (try? JSONSerialization.jsonObject(with: Data(frame.utf8))) as? [String: Any] == nil {
            throw ValidationError("--send '\(frame)' is not a JSON object such as {\"type\":\"ping\"}")
        }
        if since != nil, rooms == nil { throw ValidationError("--since needs --rooms") }
        guard timeout > 0 else { throw ValidationError("--timeout must be more than 0 seconds") }
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        var base = server ?? environment["DOCKET_SERVER"] ?? "http://localhost:8080"
        if base.hasSuffix("/") { base.removeLast() }
        guard let token = token ?? environment["DOCKET_TOKEN"], !token.isEmpty else {
            throw ValidationError("give a token with --token or DOCKET_TOKEN (`docket token` makes one)")
        }
        var query: [String] = []
        if let rooms { query.append("rooms=\(rooms.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? rooms)") }
        if let since { query.append("since=\(since)") }
        let path = "/api/v2/ws" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
        let url = base.replacingOccurrences(of: "https://", with: "wss://").replacingOccurrences(of: "http://", with: "ws://") + path

        var settings = WebSocketClientConfiguration(maxFrameSize: 1 << 22, autoPing: .disabled)
        settings.additionalHeaders[.authorization] = "Bearer \(token)"
        var logger = Logger(label: "docket.ws")
        logger.logLevel = .critical
        let (frames, until) = (self.frames, self.until)
        let reached = Atomic<Bool>(false)
        let session = Task {
            try await WebSocketClient.connect(url: url, configuration: settings, logger: logger) { inbound, outbound, _ in
                var sent = false
                for try await message in inbound.messages(maxSize: 1 << 22) {
                    guard case .text(let text) = message else { continue }
                    // Unbuffered: a reader on a pipe sees each frame as it arrives.
                    FileHandle.standardOutput.write(Data((text + "\n").utf8))
                    let type = (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])?["type"] as? String
                    if !sent, type == "welcome" {
                        sent = true
                        for frame in frames { try await outbound.write(.text(frame)) }
                    }
                    if let until, type == until {
                        reached.store(true, ordering: .relaxed)
                        try await outbound.close(.normalClosure, reason: nil)
                        return
                    }
                }
            }
        }
        let deadline = until.map { _ in
            Task {
                try await Task.sleep(for: .seconds(timeout))
                session.cancel()
            }
        }
        defer { deadline?.cancel() }
        let close: WebSocketCloseFrame?
        do {
            close = try await session.value
        } catch {
            if until != nil, !reached.load(ordering: .relaxed), session.isCancelled {
                throw CLIError("no '\(until!)' frame within \(Int(timeout)) s")
            }
            // A refused upgrade says nothing; the same request over plain HTTP says why.
            throw CLIError("the WebSocket was refused: \(await Self.reason(base: base, path: path, token: token) ?? "\(error)")")
        }
        if let until, !reached.load(ordering: .relaxed) { throw CLIError("the server closed before a '\(until)' frame\(Self.describe(close))") }
        if let close, close.closeCode != .normalClosure, !reached.load(ordering: .relaxed) {
            throw CLIError("the server closed the WebSocket\(Self.describe(close))")
        }
    }

    static func describe(_ close: WebSocketCloseFrame?) -> String {
        guard let close else { return "" }
        return ": \(close.closeCode)" + (close.reason.map { " \($0)" } ?? "")
    }

    /// What the server answers the same request over plain HTTP (a 401 with its reason).
    static func reason(base: String, path: String, token: String) async -> String? {
        guard let url = URL(string: base + path) else { return nil }
        var request = URLRequest(url: url)
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        guard let (data, response) = try? await URLSession.shared.data(for: request) else { return "cannot reach \(base)" }
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let message = ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any])?["error"] as? [String: Any]
        return "\(status) " + ((message?["message"] as? String) ?? "")
    }
}

/// A failure the CLI reports in one line, exit 1.
struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
