import Foundation

/// One page of a list, with how many items there are in all.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var page: Int
    public var limit: Int
    public var total: Int
    /// `total` is a lower bound: more items match than were counted.
    public var totalIsLowerBound: Bool

    public init(items: [Item], page: Int, limit: Int, total: Int, totalIsLowerBound: Bool = false) {
        self.items = items
        self.page = page
        self.limit = limit
        self.total = total
        self.totalIsLowerBound = totalIsLowerBound
    }

    public var pages: Int { limit == 0 ? 0 : (total + limit - 1) / limit }
}
