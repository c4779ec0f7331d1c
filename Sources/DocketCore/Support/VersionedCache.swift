import Synchronization

/// Values derived from a versioned record (a ticket decoded from its document, a ticket's API
/// JSON), reused while the record stays at the version they were made from. Every change of a
/// ticket raises its version (stores update it conditionally on the version), so a hit at the
/// same version is the same value. Bounded: when full, the oldest key leaves.
public final class VersionedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct State {
        var entries: [Key: (version: Int, value: Value)] = [:]
        /// Keys in arrival order, as a ring of `capacity` slots.
        var order: [Key] = []
        var next = 0
    }

    public let capacity: Int
    private let state = Mutex(State())

    public init(capacity: Int) {
        self.capacity = capacity
    }

    public func value(_ key: Key, version: Int) -> Value? {
        state.withLock { state in
            guard let entry = state.entries[key], entry.version == version else { return nil }
            return entry.value
        }
    }

    public func keep(_ value: Value, for key: Key, version: Int) {
        guard capacity > 0 else { return }
        state.withLock { state in
            if state.entries.updateValue((version, value), forKey: key) != nil { return }
            if state.order.count < capacity {
                state.order.append(key)
            } else {
                state.entries[state.order[state.next]] = nil
                state.order[state.next] = key
                state.next = (state.next + 1) % capacity
            }
        }
    }
}
