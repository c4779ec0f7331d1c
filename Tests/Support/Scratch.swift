import Foundation

/// Directories tests write to (databases, stand-in storage): all inside one folder per test
/// process, removed when the process exits, so runs leave nothing behind in the temp folder.
public enum Scratch {
    public static let root: URL = {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("docket-tests-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.removeItem(at: root)  // a folder left by an earlier process with the same id
        try? FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: Scratch.root) }
        return root
    }()

    /// A new, empty directory whose name starts with `purpose`.
    public static func directory(_ purpose: String) throws -> URL {
        let directory = root.appendingPathComponent("\(purpose)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }
}
