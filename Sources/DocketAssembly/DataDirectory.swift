import Foundation
import Logging

/// The data directory: the SQLite database and the token signing key.
public struct DataDirectory: Sendable {
    public let url: URL

    public init(_ url: URL) { self.url = url.standardizedFileURL }

    var keyURL: URL { url.appendingPathComponent("jwt-secret") }

    /// Creates the directory if needed; returns whether it was created.
    @discardableResult
    public func prepare() throws -> Bool {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw SetupError("\(url.path) exists and is not a directory") }
            return false
        }
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return true
    }

    /// The HS256 secret: `configured` (DOCKET_JWT_SECRET, its UTF-8 bytes) if set, else the data
    /// dir's key file (hex text of the key's bytes), created on first use unless `create` is false
    /// (a token printed with a key the server does not use would only be refused).
    public func signingSecret(configured: String?, logger: Logger?, create: Bool = true) throws -> [UInt8] {
        if let configured {
            logger?.info("token signing key from DOCKET_JWT_SECRET")
            return Array(configured.utf8)
        }
        if let text = try? String(contentsOf: keyURL, encoding: .utf8) {
            let hex = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard let bytes = Self.bytes(hex: hex), bytes.count >= 32 else {
                throw SetupError("\(keyURL.path) must hold at least 32 bytes as hex")
            }
            logger?.info("token signing key loaded", metadata: ["path": "\(keyURL.path)"])
            return bytes
        }
        guard create else {
            throw SetupError(
                "no token signing key in \(url.path): start the server there once (it makes \(keyURL.lastPathComponent)), point --data-dir at the server's data directory, or set DOCKET_JWT_SECRET as the server has it")
        }
        try prepare()
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        guard FileManager.default.createFile(atPath: keyURL.path, contents: Data((hex + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw SetupError("cannot write \(keyURL.path)")
        }
        logger?.info("token signing key created", metadata: ["path": "\(keyURL.path)"])
        return bytes
    }

    static func bytes(hex: String) -> [UInt8]? {
        guard hex.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
            out.append(byte)
            index = next
        }
        return out
    }
}
