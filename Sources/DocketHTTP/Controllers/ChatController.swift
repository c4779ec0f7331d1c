import DocketCore
import Foundation
import Hummingbird

struct MessageEnvelope: Codable, Sendable {
    var message: TicketMessage
    var ticket: Ticket
    var created: Bool?
}
struct MessageListEnvelope: Codable, Sendable {
    var messages: [TicketMessage]
    var nextCursor: String?
}
struct ReadEnvelope: Codable, Sendable {
    var ticket: Ticket
    var marked: Int
}
struct TransferRequest: Codable, Sendable {
    var toAgentId: String
    var reason: String?
}

/// The chat-style support flow over REST: messages, read receipts, transfers and the
/// pending / mine work lists. The same operations exist as WebSocket frames.
struct ChatController: Sendable {
    let services: DocketServices
    let limits: HTTPLimits
    let lists: TicketListJSON

    func register(_ routes: RouteRegistry) {

        routes.add(Endpoint(
            method: .post, path: "/api/v2/messages",
            summary: "A customer writes: appended to their open ticket, or a new ticket is opened from it", tag: "Chat",
            access: "customer", body: "NewMessage", success: (201, "MessageEnvelope"), errors: [400, 403, 413, 415, 422],
            alsoSuccess: (200, "MessageEnvelope")), use: postMessage)

        // Constant paths before `/tickets/:id` ones; the router prefers them anyway.
        routes.add(Endpoint(
            method: .get, path: "/api/v2/tickets/pending", summary: "Unassigned open tickets, latest activity first", tag: "Chat",
            access: "agent, admin", query: PeopleController.pageQuery, success: (200, "TicketList"), errors: [400, 403]), use: pending)

        routes.add(Endpoint(
            method: .get, path: "/api/v2/tickets/mine",
            summary: "Open tickets assigned to me (staff) or opened by me (customers), latest activity first", tag: "Chat",
            access: "agent, admin, customer", query: PeopleController.pageQuery, success: (200, "TicketList"), errors: [400, 403]), use: mine)

        routes.add(Endpoint(
            method: .get, path: "/api/v2/files/:id",
            summary: "A file a customer sent (a mail's attachment, named in the message's mail.attachments): always a download, never shown inline",
            tag: "Chat", access: "agent, admin, or that customer", success: (200, nil), errors: [404], binary: true), use: file)

        routes.add(Endpoint(
            method: .get, path: "/api/v2/tickets/:id/messages", summary: "The conversation, oldest first, by cursor", tag: "Chat",
            access: "staff, the ticket's customer",
            query: [
                .init(
                    name: "after", type: .string, description: "Cursor: the nextCursor of the previous page (default: from the start)",
                    pattern: "^[0-9]{1,18}$"),
                .limit(max: MessageLimits.pageMax, default: MessageLimits.pageDefault),
            ],
            success: (200, "MessageList"), errors: [400, 404]), use: messages)

        routes.add(Endpoint(
            method: .post, path: "/api/v2/tickets/:id/messages", summary: "Write into a ticket's conversation", tag: "Chat",
            access: "staff, the ticket's customer", body: "NewMessage", success: (201, "MessageEnvelope"),
            errors: [400, 403, 404, 409, 413, 415, 422]), use: reply)

        routes.add(Endpoint(
            method: .post, path: "/api/v2/tickets/:id/read",
            summary: "Mark the other side's messages read and reset my unread counter", tag: "Chat",
            access: "staff, the ticket's customer", success: (200, "ReadEnvelope"), errors: [403, 404]), use: markRead)

        routes.add(Endpoint(
            method: .post, path: "/api/v2/tickets/:id/transfer",
            summary: "Hand the ticket to another agent (ends one service session, starts the next)", tag: "Chat",
            access: "agent, admin", body: "TransferRequest", success: (200, "TicketEnvelope"), errors: [400, 403, 404, 409, 422]), use: transfer)
    }

    // MARK: - Handlers

    /// The file's bytes as a download: served as `application/octet-stream` whatever the sender
    /// declared, with `nosniff` and a sandbox, so a hostile HTML or SVG file is never rendered.
    @Sendable func file(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let file = try await services.mail.file(try context.requirePrincipal(), id: try context.pathParameter("id"))
        let ascii = String(file.name.unicodeScalars.map { $0.isASCII && $0.value >= 0x20 && !"\"\\;".unicodeScalars.contains($0) ? Character($0) : "_" })
        let encoded = file.name.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: ".-_"))) ?? ascii
        var headers: HTTPFields = [
            .contentType: "application/octet-stream",
            .contentDisposition: "attachment; filename=\"\(ascii)\"; filename*=UTF-8''\(encoded)",
            .cacheControl: "private, max-age=3600",
        ]
        headers[.init("X-Content-Type-Options")!] = "nosniff"
        headers[.contentSecurityPolicy] = "sandbox; default-src 'none'"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(data: file.data ?? Data())))
    }

    @Sendable func postMessage(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let input = try await APICoding.decode(NewMessage.self, from: request, limit: limits.maxBodyBytes)
        let (ticket, message, created) = try await services.conversations.postCustomerMessage(try context.requirePrincipal(), input)
        return try APICoding.response(MessageEnvelope(message: message, ticket: ticket, created: created), status: created ? .created : .ok)
    }

    @Sendable func pending(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let reader = QueryReader(request)
        let principal = try context.requirePrincipal()
        let page = try await services.conversations.pendingTickets(principal, page: try reader.int("page", default: 1), limit: try reader.int("limit", default: 20))
        return try lists.response(page, for: principal)
    }

    @Sendable func mine(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let reader = QueryReader(request)
        let principal = try context.requirePrincipal()
        let page = try await services.conversations.myTickets(principal, page: try reader.int("page", default: 1), limit: try reader.int("limit", default: 20))
        return try lists.response(page, for: principal)
    }

    @Sendable func messages(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let reader = QueryReader(request)
        let after: Int
        if let cursor = reader.string("after") {
            guard let value = Int(cursor), value >= 0 else {
                throw DocketError(.badRequest, "after must be a nextCursor from a previous page", field: "after")
            }
            after = value
        } else {
            after = 0
        }
        let page = try await services.conversations.messages(
            try context.requirePrincipal(), try context.pathParameter("id"), after: after,
            limit: try reader.int("limit", default: MessageLimits.pageDefault))
        return try APICoding.response(MessageListEnvelope(messages: page.messages, nextCursor: page.nextCursor.map(String.init)))
    }

    @Sendable func reply(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let input = try await APICoding.decode(NewMessage.self, from: request, limit: limits.maxBodyBytes)
        let (ticket, message) = try await services.conversations.postMessage(try context.requirePrincipal(), try context.pathParameter("id"), input)
        return try APICoding.response(MessageEnvelope(message: message, ticket: ticket, created: nil), status: .created)
    }

    @Sendable func markRead(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let (ticket, marked) = try await services.conversations.markRead(try context.requirePrincipal(), try context.pathParameter("id"))
        return try APICoding.response(ReadEnvelope(ticket: ticket, marked: marked))
    }

    @Sendable func transfer(_ request: Request, _ context: DocketRequestContext) async throws -> Response {
        let body = try await APICoding.decode(TransferRequest.self, from: request, limit: limits.maxBodyBytes)
        let ticket = try await services.conversations.transfer(try context.requirePrincipal(), try context.pathParameter("id"), to: body.toAgentId, reason: body.reason)
        return APICoding.response(writing: TicketEnvelope(ticket: ticket))
    }
}
