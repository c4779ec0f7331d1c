import Foundation

/// A real Postfix (Debian's), as a tenant's mail server: a private instance made by
/// `scripts/postfix-instance.sh` in a scratch folder, taking SMTP on a port of its own on
/// 127.0.0.1 and relaying each domain to its route (Docket's LMTP receiver, or an SMTP sink).
/// Its deferred mail is tried again within seconds. Stopped by its master's PID.
public final class PostfixInstance: @unchecked Sendable {
    public enum Route: Sendable {
        case lmtp(domain: String, port: Int)
        case smtp(domain: String, port: Int)

        var argument: String {
            switch self {
            case .lmtp(let domain, let port): "\(domain)=lmtp:\(port)"
            case .smtp(let domain, let port): "\(domain)=smtp:\(port)"
            }
        }
    }

    public let port: Int
    public let folder: URL

    static var script: String { packsRoot.deletingLastPathComponent().appendingPathComponent("scripts/postfix-instance.sh").path }

    public init(routes: [Route]) async throws {
        folder = try Scratch.directory("postfix")
        // Postfix's daemons run as the postfix user: the folders above the queue must let it in.
        var parent = folder
        while parent.path != "/" && parent.path != "/tmp" {
            try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: parent.path)
            parent.deleteLastPathComponent()
        }
        let output = try await Self.run(["start", folder.path] + routes.map(\.argument))
        guard let port = Int(output.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw PostfixError("postfix-instance.sh start said: \(output)")
        }
        self.port = port
    }

    /// Tries the deferred mail again now.
    public func flush() async throws { _ = try await Self.run(["flush", folder.path]) }

    /// How many mails wait in the queue.
    public func queued() async throws -> Int {
        Int(try await Self.run(["queue", folder.path]).trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    /// The end of Postfix's log, for a failure's message.
    public func log(lines: Int = 30) -> String {
        let text = (try? String(contentsOf: folder.appendingPathComponent("maillog"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    public func stop() async {
        _ = try? await Self.run(["stop", folder.path])
    }

    static func run(_ arguments: [String]) async throws -> String {
        let (status, output) = try await runProgram("/bin/bash", [script] + arguments)
        guard status == 0 else { throw PostfixError("postfix-instance.sh \(arguments.first ?? ""): \(output)") }
        return output
    }

    public struct PostfixError: Error, CustomStringConvertible {
        public var description: String
        public init(_ description: String) { self.description = description }
    }
}
