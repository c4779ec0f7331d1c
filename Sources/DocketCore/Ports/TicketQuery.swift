import Foundation

/// Filters, order and page of a ticket list.
public struct TicketQuery: Sendable, Equatable {
    public enum SortField: String, Sendable, CaseIterable {
        case createdAt, updatedAt, priority, status, ticketId
    }

    public var statuses: [String] = []
    public var category: String?
    public var priority: Priority?
    /// An agent id; `assignedAgent = ""` selects unassigned tickets.
    public var assignedAgent: String?
    public var customerId: String?
    public var conversationId: String?
    public var tag: String?
    public var escalated: Bool?
    /// The queue a rule routed the ticket to; `queue = ""` selects tickets in no queue.
    public var queue: String?
    public var createdFrom: Date?
    public var createdTo: Date?
    /// The channel the ticket came from.
    public var source: TicketSource?
    /// When its standing resolution happened (inclusive bounds; tickets without one never match).
    public var resolvedFrom: Date?
    public var resolvedTo: Date?
    /// When the customer rated it (inclusive bounds).
    public var ratedFrom: Date?
    public var ratedTo: Date?
    /// Full-text terms over ticket ID, subject, description and notes.
    public var search: String?
    /// Whether `search` also looks into internal notes (staff only).
    public var searchInternalNotes = false
    public var sortBy: SortField = .createdAt
    public var ascending = false
    public var page = 1
    public var limit = 20

    public init() {}

    public static let maxLimit = 100
    /// Lists count matching tickets up to this many; beyond, `total` is this and marked as a
    /// lower bound (counting every match would make a list as slow as the data is large).
    public static let countCap = 10_000
    /// The most statuses one list asks for (`status=a,b,...`); each count is a statement of its own.
    public static let maxStatuses = 32
}
