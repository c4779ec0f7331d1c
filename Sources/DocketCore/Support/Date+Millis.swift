import Foundation

extension Date {
    /// Milliseconds since 1970, to the nearest (as the stores keep dates).
    public var millis: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }
}
