import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A child process started with `posix_spawn`, for tests that run the real `docket` binary or
/// the MongoDB stand-in. Foundation's `Process.run()` on Linux (Swift 6.3.1) can crash the whole
/// test process: it copies each `/proc/self/fd` entry's 256-byte name field, reading past the end
/// of glibc's buffer (swift-corelibs-foundation PR #5472, merged after 6.3.1) — it did, once, in
/// CI. The API follows `Process` where the tests use it; the child gets only stdin, stdout and
/// stderr of this process's descriptors (every other one is closed in it).
public final class ChildProcess: @unchecked Sendable {
    public enum TerminationReason: Sendable { case exit, uncaughtSignal }

    public var executableURL: URL?
    public var arguments: [String] = []
    /// The child's whole environment; nil: this process's.
    public var environment: [String: String]?
    public var currentDirectoryURL: URL?
    /// Pipes for the child's output and errors (the same pipe for both is fine); nil: this process's.
    public var standardOutput: Pipe?
    public var standardError: Pipe?
    /// The child's output and errors go nowhere (`/dev/null`) unless a pipe takes them.
    public var discardsOutput = false

    // Set once by `run` and by the wait that reaps the child (guarded by `lock` after `run`).
    private let lock = NSLock()
    public private(set) var processIdentifier: pid_t = 0
    private var status: Int32?

    public init() {}

    public struct SpawnError: Error, CustomStringConvertible {
        public let code: Int32
        public let path: String
        public var description: String { "cannot start \(path): \(String(cString: strerror(code)))" }
    }

    public func run() throws {
        guard let executableURL else { throw SpawnError(code: ENOENT, path: "(no executable)") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if let standardOutput {
            posix_spawn_file_actions_adddup2(&actions, standardOutput.fileHandleForWriting.fileDescriptor, 1)
        } else if discardsOutput {
            posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        }
        if let standardError {
            posix_spawn_file_actions_adddup2(&actions, standardError.fileHandleForWriting.fileDescriptor, 2)
        } else if discardsOutput {
            posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        }
        // glibc has both (2.34, 2.29); Swift's Glibc module does not declare them.
        guard let closeFrom = Self.closeFrom, let changeDirectory = Self.changeDirectory else {
            throw SpawnError(code: ENOSYS, path: "posix_spawn_file_actions_addclosefrom_np")
        }
        _ = closeFrom(&actions, 3)
        if let currentDirectoryURL { _ = changeDirectory(&actions, currentDirectoryURL.path) }
        let environment = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let argv = [executableURL.path] + arguments
        var pid: pid_t = 0
        let code = Self.withCStrings(argv) { argv in
            Self.withCStrings(environment) { envp in
                posix_spawn(&pid, executableURL.path, &actions, nil, argv, envp)
            }
        }
        // The child holds the write ends now: this process closes its copies, so a reader sees
        // the end of the output when the child exits.
        for pipe in Set([standardOutput, standardError].compactMap { $0.map(ObjectIdentifier.init) }) {
            [standardOutput, standardError].compactMap { $0 }.first { ObjectIdentifier($0) == pipe }?.fileHandleForWriting.closeFile()
        }
        guard code == 0 else { throw SpawnError(code: code, path: executableURL.path) }
        lock.withLock { processIdentifier = pid }
    }

    /// Blocks until the child exits (a test's thread; the child is reaped once).
    public func waitUntilExit() {
        let pid = lock.withLock { status == nil ? processIdentifier : 0 }
        guard pid > 0 else { return }
        var raw: Int32 = 0
        while waitpid(pid, &raw, 0) == -1, errno == EINTR {}
        lock.withLock { if status == nil { status = raw } }
    }

    /// Waits until the child exits, blocking a thread of its own, not one of Swift's pool (the
    /// test's own clients may have to answer the child while it stops).
    public func exited() async {
        await onAThread { self.waitUntilExit() }
    }

    public var isRunning: Bool {
        lock.withLock {
            guard status == nil, processIdentifier > 0 else { return false }
            var raw: Int32 = 0
            if waitpid(processIdentifier, &raw, WNOHANG) == processIdentifier {
                status = raw
                return false
            }
            return true
        }
    }

    /// SIGTERM.
    public func terminate() { send(SIGTERM) }

    /// SIGTERM, the child reaped by a thread of its own: for a test's `defer`, which cannot await
    /// and should not hold one of Swift's pool's threads while a server shuts down.
    public func stopInBackground() {
        terminate()
        Thread.detachNewThread { self.waitUntilExit() }
    }

    public func send(_ signal: Int32) {
        let pid = lock.withLock { status == nil ? processIdentifier : 0 }
        if pid > 0 { kill(pid, signal) }
    }

    public var terminationReason: TerminationReason {
        (lock.withLock { status ?? 0 } & 0x7F) == 0 ? .exit : .uncaughtSignal
    }

    /// The exit code, or the signal that ended it.
    public var terminationStatus: Int32 {
        let raw = lock.withLock { status ?? 0 }
        return raw & 0x7F == 0 ? (raw >> 8) & 0xFF : raw & 0x7F
    }

    typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
    typealias ChangeDirectory = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, UnsafePointer<CChar>?) -> Int32
    static let closeFrom = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np")
        .map { unsafeBitCast($0, to: CloseFrom.self) }
    static let changeDirectory = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addchdir_np")
        .map { unsafeBitCast($0, to: ChangeDirectory.self) }

    static func withCStrings<T>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> T) -> T {
        var pointers = strings.map { strdup($0) }
        pointers.append(nil)
        defer { for pointer in pointers { free(pointer) } }
        return body(pointers)
    }
}
