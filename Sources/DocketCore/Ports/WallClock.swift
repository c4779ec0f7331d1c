import Foundation

/// Source of the current time, injected so tests can move it.
public protocol WallClock: Sendable {
    func now() -> Date
}

public struct SystemClock: WallClock {
    public init() {}
    public func now() -> Date { Date().roundedToMilliseconds }
}

extension Date {
    /// Stores keep milliseconds (as MongoDB does); domain times are rounded to them so a
    /// stored ticket reads back equal.
    public var roundedToMilliseconds: Date {
        Date(timeIntervalSince1970: (timeIntervalSince1970 * 1000).rounded() / 1000)
    }
}

/// A clock that only moves when told to; for tests and simulations.
public final class ManualClock: WallClock, @unchecked Sendable {
    // Guarded by `lock`; read from any thread.
    private let lock = NSLock()
    private var current: Date

    public init(_ start: Date) { current = start }

    public func now() -> Date { lock.withLock { current }.roundedToMilliseconds }

    public func set(_ date: Date) { lock.withLock { current = date } }

    public func advance(by seconds: TimeInterval) { lock.withLock { current += seconds } }
}
