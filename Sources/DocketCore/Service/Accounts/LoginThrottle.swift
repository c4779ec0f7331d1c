import Foundation
import Synchronization

/// Failed sign-ins, counted per account and per client address: once a key has failed
/// `lockAfter` times, each failure locks it for a growing time (1 s, 2 s, 4 s… up to `maxLock`), during which
/// every attempt is refused with 429 before the password is even checked. A success clears the
/// account's count (not the address's). In memory, per server instance: a restart forgets.
public final class LoginThrottle: Sendable {
    public struct Policy: Sendable {
        /// The failure that starts locking (3: the third failure in a row locks for 1 s).
        public var lockAfter: Int
        public var maxLock: TimeInterval
        /// A key's count is forgotten this long after its latest failure.
        public var window: TimeInterval

        public init(lockAfter: Int, maxLock: TimeInterval = 15 * 60, window: TimeInterval = 15 * 60) {
            self.lockAfter = lockAfter
            self.maxLock = maxLock
            self.window = window
        }
    }

    struct Entry {
        var failures: Int
        var lastFailure: Date
        var lockedUntil: Date
    }

    public let perAccount: Policy
    public let perAddress: Policy
    /// Keys tracked at most; the stalest are dropped first (memory stays bounded under a flood).
    public static let maxKeys = 100_000
    private let entries = Mutex<[String: Entry]>([:])

    public init(perAccount: Policy = .init(lockAfter: 3), perAddress: Policy = .init(lockAfter: 20)) {
        self.perAccount = perAccount
        self.perAddress = perAddress
    }

    /// Seconds to wait before trying again, or nil when the attempt may go ahead.
    public func retryAfter(account: String, address: String, now: Date) -> TimeInterval? {
        entries.withLock { entries in
            let waits = [account, "@" + address].compactMap { key -> TimeInterval? in
                guard let entry = entries[key], entry.lockedUntil > now else { return nil }
                return entry.lockedUntil.timeIntervalSince(now)
            }
            return waits.max()
        }
    }

    public func failed(account: String, address: String, now: Date) {
        entries.withLock { entries in
            Self.fail(&entries, key: account, policy: perAccount, now: now)
            Self.fail(&entries, key: "@" + address, policy: perAddress, now: now)
            if entries.count > Self.maxKeys {
                let stalest = entries.sorted { $0.value.lastFailure < $1.value.lastFailure }.prefix(entries.count - Self.maxKeys * 9 / 10)
                for (key, _) in stalest { entries[key] = nil }
            }
        }
    }

    public func succeeded(account: String) {
        _ = entries.withLock { $0.removeValue(forKey: account) }
    }

    private static func fail(_ entries: inout [String: Entry], key: String, policy: Policy, now: Date) {
        var entry = entries[key] ?? Entry(failures: 0, lastFailure: now, lockedUntil: .distantPast)
        if now.timeIntervalSince(entry.lastFailure) > policy.window { entry.failures = 0 }
        entry.failures += 1
        entry.lastFailure = now
        let over = entry.failures - policy.lockAfter
        if over >= 0 {
            entry.lockedUntil = now.addingTimeInterval(min(policy.maxLock, pow(2, Double(min(over, 20)))))
        }
        entries[key] = entry
    }
}
