import Foundation

/// Who wrote a chat message.
public enum MessageSender: String, Codable, Sendable, CaseIterable {
    case customer, staff, system
}

public enum MessageKind: String, Codable, Sendable, CaseIterable {
    case text, image, file, system
}

/// The envelope of a message that came by mail, as the ticket view shows it (text, never markup).
public struct MessageMail: Codable, Sendable, Equatable {
    /// `Name <address>` of the sender.
    public var from: String
    public var to: [String]
    public var cc: [String]
    public var subject: String
    public var messageId: String?
    /// The names of the files it carried.
    public var files: [String]
    /// The files kept (`GET /api/v2/files/:id`), in the order the mail carried them; a file
    /// over `StoredFile.maxBytes`, or past `maxListed`, is named in `files` but not kept.
    public var attachments: [MessageFile]?

    public init(from: String, to: [String], cc: [String], subject: String, messageId: String?, files: [String]) {
        self.from = from
        self.to = to
        self.cc = cc
        self.subject = subject
        self.messageId = messageId
        self.files = files
    }

    /// The most addresses and file names kept of each kind.
    public static let maxListed = 10
}

/// A file a message carried, as kept: where to fetch it and what it is.
public struct MessageFile: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var contentType: String
    public var size: Int

    public init(id: String, name: String, contentType: String, size: Int) {
        self.id = id
        self.name = name
        self.contentType = contentType
        self.size = size
    }
}

/// A file kept whole (`FileStore`): a customer's attachment, and who sent it.
public struct StoredFile: Codable, Sendable, Equatable {
    public var tenantId: String
    public var id: String
    /// The customer who sent it (who may fetch it besides the tenant's staff).
    public var customerId: String
    public var name: String
    /// As the sender declared it; the file is always served as a download, never rendered.
    public var contentType: String
    public var size: Int
    public var createdAt: Date
    /// The bytes; nil only where a listing leaves them out.
    public var data: Data?

    public init(tenantId: String, id: String, customerId: String, name: String, contentType: String, size: Int, createdAt: Date, data: Data?) {
        self.tenantId = tenantId
        self.id = id
        self.customerId = customerId
        self.name = name
        self.contentType = contentType
        self.size = size
        self.createdAt = createdAt
        self.data = data
    }

    /// The largest file kept (larger ones are named in the message, not kept).
    public static let maxBytes = 10 << 20
    /// The most files kept from one mail.
    public static let maxPerMessage = 10
}

/// One message of a ticket's conversation, kept apart from the ticket document (a busy chat
/// would otherwise rewrite an ever-growing ticket on every line).
public struct TicketMessage: Codable, Sendable, Equatable {
    public var tenantId: String
    public var ticketId: String
    /// Position in the ticket's conversation from 1, without gaps; the pagination cursor.
    public var seq: Int
    public var id: String
    public var senderId: String
    public var senderType: MessageSender
    /// Cached at send time, so a list needs no lookups.
    public var senderName: String?
    public var senderAvatar: String?
    public var content: String
    public var type: MessageKind
    public var attachments: [String]
    /// Whether the other side has read it (set by `POST /tickets/:id/read`).
    public var isRead: Bool
    public var readAt: Date?
    public var createdAt: Date
    /// For a message that came by mail: who sent it to whom, its subject and files.
    public var mail: MessageMail?

    public init(
        tenantId: String, ticketId: String, seq: Int, id: String, senderId: String, senderType: MessageSender,
        senderName: String?, senderAvatar: String?, content: String, type: MessageKind, attachments: [String],
        isRead: Bool = false, readAt: Date? = nil, createdAt: Date
    ) {
        self.tenantId = tenantId
        self.ticketId = ticketId
        self.seq = seq
        self.id = id
        self.senderId = senderId
        self.senderType = senderType
        self.senderName = senderName
        self.senderAvatar = senderAvatar
        self.content = content
        self.type = type
        self.attachments = attachments
        self.isRead = isRead
        self.readAt = readAt
        self.createdAt = createdAt
    }
}

/// The last message, shown in ticket lists.
public struct MessagePreview: Codable, Sendable, Equatable {
    public var text: String
    public var at: Date
    public var senderType: MessageSender

    public static let maxLength = 140

    public init(text: String, at: Date, senderType: MessageSender) {
        self.text = text.count > Self.maxLength ? String(text.prefix(Self.maxLength - 1)) + "…" : text
        self.at = at
        self.senderType = senderType
    }
}

/// One agent's turn at a ticket: from a claim, assignment or transfer until the next one,
/// the resolution or the close.
public struct ServiceSession: Codable, Sendable, Equatable {
    public var agentId: String
    public var agentName: String?
    public var startedAt: Date
    public var endedAt: Date?
    public var active: Bool
    /// claimed, assigned, transferred, escalated, reopened...
    public var reason: String

    public init(agentId: String, agentName: String?, startedAt: Date, endedAt: Date? = nil, active: Bool = true, reason: String) {
        self.agentId = agentId
        self.agentName = agentName
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.active = active
        self.reason = reason
    }
}

/// The conversation state kept on the ticket: counters, preview and who served it.
public struct TicketChat: Codable, Sendable, Equatable {
    /// Messages stored so far (the last `seq`).
    public var messageCount: Int
    /// Staff messages the customer has not read (system notices are not counted).
    public var unreadCustomer: Int
    /// Customer messages staff have not read.
    public var unreadStaff: Int
    public var lastMessage: MessagePreview?
    public var servedBy: [ServiceSession]
    /// The last `seq` staff have marked read (customer messages up to it are read).
    public var readThroughStaff: Int?
    /// The last `seq` the customer has marked read (staff and system messages up to it are read).
    public var readThroughCustomer: Int?

    public init(messageCount: Int = 0, unreadCustomer: Int = 0, unreadStaff: Int = 0, lastMessage: MessagePreview? = nil, servedBy: [ServiceSession] = []) {
        self.messageCount = messageCount
        self.unreadCustomer = unreadCustomer
        self.unreadStaff = unreadStaff
        self.lastMessage = lastMessage
        self.servedBy = servedBy
    }

    /// A ticket keeps at most this many sessions (the oldest are dropped).
    public static let maxSessions = 100
}

public enum MessageLimits {
    public static let content = 10_000
    public static let attachments = 10
    public static let pageDefault = 50
    public static let pageMax = 200
}

/// A message a caller wants to add; the service fills in sequence, sender details and time.
public struct NewMessage: Codable, Sendable, Equatable {
    public var content: String
    public var type: MessageKind?
    public var attachments: [String]?

    public init(content: String, type: MessageKind? = nil, attachments: [String]? = nil) {
        self.content = content
        self.type = type
        self.attachments = attachments
    }
}

/// Oldest first; `nextCursor` is the `after` of the next page, nil at the end.
public struct MessagePage: Sendable, Equatable {
    public var messages: [TicketMessage]
    public var nextCursor: Int?

    public init(messages: [TicketMessage], nextCursor: Int?) {
        self.messages = messages
        self.nextCursor = nextCursor
    }
}
