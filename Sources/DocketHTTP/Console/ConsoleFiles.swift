import CompressNIO
import Crypto
import DocketCore
import Foundation
import HTTPTypes
import Hummingbird

/// Where the console's files are and how long its sessions last (`console.dir`,
/// `auth.sessionIdleMinutes`).
public struct ConsoleSettings: Sendable {
    /// The `Console/` folder; nil (or a missing folder) serves no console.
    public var directory: URL?
    /// A session token lives this long and is renewed while the console is used.
    public var sessionIdle: TimeInterval

    public init(directory: URL? = nil, sessionIdle: TimeInterval = 30 * 60) {
        self.directory = directory
        self.sessionIdle = sessionIdle
    }
}

/// The console's files, read once at start: each with its type, a strong ETag (SHA-256 of the
/// content) and a gzip copy. Every answer carries the console's Content-Security-Policy.
struct ConsoleFiles: Sendable {
    struct File: Sendable {
        var contentType: String
        var etag: String
        var plain: ByteBuffer
        var gzipped: ByteBuffer?
        /// The customer chat page may be framed by the tenant's site (the widget); nothing else may.
        var frameable: Bool
    }

    /// Largest file served, and the most files read.
    static let maxFileBytes = 2 << 20
    static let maxFiles = 500

    /// URL path → file. `/` is `index.html`, `/chat` is `chat.html`.
    let files: [String: File]

    static let types = [
        "html": "text/html; charset=utf-8", "js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8",
        "svg": "image/svg+xml", "png": "image/png", "ico": "image/x-icon", "json": "application/json; charset=utf-8",
        "txt": "text/plain; charset=utf-8", "webmanifest": "application/manifest+json",
    ]

    /// The policy of every console page: only this origin's scripts, styles, images and
    /// connections (WebSocket included); no inline script, no plug-ins, no framing except the chat page.
    static func contentSecurityPolicy(frameable: Bool) -> String {
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; "
            + "manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors \(frameable ? "*" : "'none'")"
    }

    /// The console of `directory`; without one (nil, or no such folder), the copy built into the
    /// binary (`EmbeddedConsole`), so a binary copied onto a server serves its console.
    init(directory: URL?) throws {
        var found: [(path: String, data: Data)] = []
        if let directory, FileManager.default.fileExists(atPath: directory.path) {
            let root = directory.standardizedFileURL.resolvingSymlinksInPath()
            let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey, .fileSizeKey])
            while let url = walker?.nextObject() as? URL {
                let values = try url.resourceValues(forKeys: [.isRegularFileKey, .fileSizeKey])
                guard values.isRegularFile == true else { continue }
                let relative = String(url.standardizedFileURL.resolvingSymlinksInPath().path.dropFirst(root.path.count))
                guard Self.types[url.pathExtension.lowercased()] != nil, !relative.split(separator: "/").contains(where: { $0.hasPrefix(".") })
                else { continue }
                guard (values.fileSize ?? 0) <= Self.maxFileBytes else {
                    throw DocketError(.internalError, "console file \(relative) is over \(Self.maxFileBytes) bytes")
                }
                guard found.count < Self.maxFiles else { throw DocketError(.internalError, "the console folder has over \(Self.maxFiles) files") }
                found.append((relative, try Data(contentsOf: url)))
            }
            builtIn = false
        } else {
            found = EmbeddedConsole.files.map { ("/" + $0.key, $0.value) }
            builtIn = true
        }
        var files: [String: File] = [:]
        for (relative, data) in found {
            let suffix = (relative as NSString).pathExtension.lowercased()
            guard let type = Self.types[suffix] else { continue }
            let digest = SHA256.hash(data: data).prefix(12).map { String(format: "%02x", $0) }.joined()
            var plain = ByteBuffer(bytes: data)
            var gzipped: ByteBuffer?
            if !["png", "ico"].contains(suffix), data.count > 256 {
                var source = plain
                let packed = try source.compress(with: .gzip())
                if packed.readableBytes < data.count { gzipped = packed }
            }
            plain.moveReaderIndex(to: 0)
            let file = File(contentType: type, etag: "\"\(digest)\"", plain: plain, gzipped: gzipped, frameable: relative == "/chat.html")
            files[relative] = file
            if relative == "/index.html" { files["/"] = file }
            if relative == "/chat.html" { files["/chat"] = file }
        }
        self.files = files
    }

    /// Whether the files are the copy built into the binary.
    let builtIn: Bool

    var isEmpty: Bool { files.isEmpty }

    /// The answer to a GET or HEAD of `path`, or nil when the console has no such file.
    func response(path: String, headers: HTTPFields, head: Bool) -> Response? {
        guard let file = files[path] else { return nil }
        var out: HTTPFields = [
            .contentType: file.contentType, .eTag: file.etag, .cacheControl: "no-cache", .vary: "Accept-Encoding",
            .contentSecurityPolicy: Self.contentSecurityPolicy(frameable: file.frameable),
            .init("X-Content-Type-Options")!: "nosniff", .init("Referrer-Policy")!: "no-referrer",
        ]
        if let match = headers[.ifNoneMatch], match.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == file.etag }) {
            return Response(status: .notModified, headers: out)
        }
        let acceptsGzip = headers[values: .acceptEncoding].contains { $0.lowercased().contains("gzip") }
        var body = file.plain
        if acceptsGzip, let gzipped = file.gzipped {
            body = gzipped
            out[.contentEncoding] = "gzip"
        }
        out[.contentLength] = String(body.readableBytes)
        return Response(status: .ok, headers: out, body: head ? .init() : .init(byteBuffer: body))
    }
}

/// Serves the console's files for GET and HEAD ahead of the API's routes.
struct ConsoleMiddleware: RouterMiddleware {
    typealias Context = DocketRequestContext
    let files: ConsoleFiles

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if request.method == .get || request.method == .head, !request.uri.path.hasPrefix("/api/"),
            let response = files.response(path: request.uri.path, headers: request.headers, head: request.method == .head)
        {
            return response
        }
        return try await next(request, context)
    }
}
