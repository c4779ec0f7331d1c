import Foundation
import Logging

#if canImport(Glibc)
import Glibc
#endif

/// Every connection holds a file descriptor: before serving, the soft limit is raised to the
/// hard one (what the process may do without privileges), and the log says what it is.
enum FileDescriptorLimit {
    /// Descriptors kept beside the connections: the store, log files, the packs, libmongoc.
    static let reserve = 256

    static func raise(for connections: Int, logger: Logger) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else {
            logger.warning("cannot read the file-descriptor limit", metadata: ["errno": "\(errno)"])
            return
        }
        let before = limit.rlim_cur
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) != 0 {
                logger.warning("cannot raise the file-descriptor limit", metadata: ["soft": "\(before)", "hard": "\(limit.rlim_max)", "errno": "\(errno)"])
                limit.rlim_cur = before
            }
        }
        let needed = rlim_t(connections + reserve)
        let metadata: Logger.Metadata = [
            "soft": "\(limit.rlim_cur)", "before": "\(before)", "http.maxConnections": "\(connections)",
        ]
        if limit.rlim_cur < needed {
            logger.warning(
                "file-descriptor limit below http.maxConnections + \(reserve): connections past it are refused by the system; raise the hard limit (ulimit -Hn) or lower http.maxConnections",
                metadata: metadata)
        } else {
            logger.info(before == limit.rlim_cur ? "file-descriptor limit" : "file-descriptor limit raised", metadata: metadata)
        }
    }
}
