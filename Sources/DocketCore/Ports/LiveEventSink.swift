import Foundation

/// Receives stored events for delivery (the WebSocket hub). Must not block: it queues.
public protocol LiveEventSink: AnyObject, Sendable {
    func deliver(_ events: [LiveEvent])
}
