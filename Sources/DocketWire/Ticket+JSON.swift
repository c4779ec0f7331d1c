import DocketCore
import Foundation

// The hand-written JSON of the ticket and what it holds (see `JSONOut`): keys in sorted order,
// nil optionals left out. `TicketJSONTests` holds each to `JSONEncoder`'s text for the same value.

extension Priority: JSONWritable {}
extension TicketSource: JSONWritable {}
extension AuthorRole: JSONWritable {}
extension MessageSender: JSONWritable {}
extension SLAClock.Kind: JSONWritable {}
extension RuleEventType: JSONWritable {}

extension Ticket: JSONWritable {
    public func write(to out: inout JSONOut) {
        out.beginObject()
        out.field("assignedAgent", assignedAgent)
        out.field("assignedAt", assignedAt)
        out.field("attachments", attachments)
        out.field("canary", canary)
        out.field("category", category)
        out.field("chat", chat)
        out.field("closedAt", closedAt)
        out.field("conversationId", conversationId)
        out.field("createdAt", createdAt)
        out.field("customerFeedback", customerFeedback)
        out.field("customerId", customerId)
        out.field("description", description)
        out.field("escalation", escalation)
        out.field("fields", fields)
        out.field("location", location)
        out.field("notes", notes)
        out.field("number", number)
        out.field("numberingYear", numberingYear)
        out.field("openChatOf", openChatOf)
        out.field("priority", priority)
        out.field("queue", queue)
        out.field("resolution", resolution)
        out.field("ruleAudit", ruleAudit)
        out.field("sla", sla)
        out.field("source", source)
        out.field("status", status)
        out.field("statusHistory", statusHistory)
        out.field("subcategory", subcategory)
        out.field("subject", subject)
        out.field("tags", tags)
        out.field("tenantId", tenantId)
        out.field("ticketId", ticketId)
        out.field("timers", timers)
        out.field("updatedAt", updatedAt)
        out.field("version", version)
        out.field("waiting", waiting)
        out.endObject()
    }
}

extension WaitingAssignment: JSONWritable {
    public func write(to out: inout JSONOut) {
        out.beginObject()
        out.field("rule", rule)
        out.field("since", since)
        out.field("strategy", strategy)
        out.endObject()
    }
}

extension RuleTimer: JSONWritable {
    public func write(to out: inout JSONOut) {
        out.beginObject()
        out.field("after", after)
        out.field("business", business)
        out.field("dueAt", dueAt)
        out.field("keep", keep)
        out.field("name", name)
        out.field("repeats", repeats)
        out.field("setAt", setAt)
        out.field("setBy", setBy)
        out.endObject()
    }
}

extension StatusChange: JSONWritable {
    public func write(to out: inout JSONOut) {
        out.beginObject()
        out.field("changedBy", changedBy)
        out.field("from", from)
        out.field("reason", reason)
        out.field("timestamp", timestamp)
        out.field("to", to)
        out.endObject()
    }
}

extension Note: JSONWritable {
    public func write(to out: inout JSONOut) {
        out.beginObject()
        out.field("authorId", authorId)
        out.field("authorRole", authorRole)
        out.field("content", content)
        out.field("id", id)
        out.field("isInternal", isInternal)
        out.field("timestamp", timestamp)
        out.endObject()
    }
}

extension Coordinates: JSONWritable {
    public func write(to out: inout JSONOut) {
        out.beginObject()
        out.field("latitude", latitude)
        out.field("longitude", longitude)
        out.endObject()
    }
}

extension Location: JSONWritable {
    public func write(to out: inout JSONOut) {
        out.beginObject()
        out.field("address", address)
        out.field("coordinates", coordinates)
        out.field("description", description)
        out.endObject()
    }
}

extension TicketSLA: JSONWritable {
    public func write(to out: inout JSONOut) {
        out.beginObject()
        out.field("clocks", clocks)
        out.field("firstResponseAt", firstResponseAt)
        out.field("firstResponseDueAt", firstResponseDueAt)
        out.field("firstResponseMet", firstResponseMet)
        out.field("firstResponseTargetMs", firstResponseTargetMs)
        out.field("nextReplies", nextReplies)
        out.field("nextTimerAt", nextTimerAt)
        out.field("policy", policy)
        out.field("resolutionDueAt", resolutionDueAt)
        out.field("resolutionMet", resolutionMet)
        out.field("resolutionTargetMs", resolutionTargetMs)
        out.endObject()
    }
}

extension ReplyTally: JSONWritable {
    public func write(to out: inout JSONOut) {
        out.beginObject()
        out.field("answered", answered)
        out.field("breached", breached)
        out.field("histogram", histogram)
        out.field("measured", measured)
        out.field("met", met)
        out.field("seconds", seconds)
        out.endObject()
    }
}

extension SLAClock: JSONWritable {
    public func write(to out: inout JSONOut) {
        out.beginObject()
        out.field("breachedAt", breachedAt)
        out.field("businessHours", businessHours)
        out.field("consumedSeconds", consumedSeconds)
        out.field("dueAt", dueAt)
        out.field("kind", kind)
        out.field("met", met)
        out.field("pausedSeconds", pausedSeconds)
        out.field("pausedSince", pausedSince)
        out.field("remainingSeconds", remainingSeconds)
        out.field("since", since)
        out.field("startedAt", startedAt)
        out.field("stoppedAt", stoppedAt)
        out.field("targetSeconds", targetSeconds)
        out.field("warnAt", warnAt)
        out.field("warnedAt", warnedAt)
        out.endObject()
    }
}

extension Resolution: JSONWritable {
    public func write(to out: inout JSONOut) {
        out.beginObject()
        out.field("notes", notes)
        out.field("resolvedAt", resolvedAt)
        out.field("resolvedBy", resolvedBy)
        out.endObject()
    }
}

extension CustomerFeedback: JSONWritable {
    public func write(to out: inout JSONOut) {
        out.beginObject()
        out.field("comment", comment)
        out.field("rating", rating)
        out.field("submittedAt", submittedAt)
        out.endObject()
    }
}

extension Escalation: JSONWritable {
    public func write(to out: inout JSONOut) {
        out.beginObject()
        out.field("escalatedAt", escalatedAt)
        out.field("escalatedBy", escalatedBy)
        out.field("escalatedTo", escalatedTo)
        out.field("reason", reason)
        out.endObject()
    }
}

extension Attachment: JSONWritable {
    public func write(to out: inout JSONOut) {
        out.beginObject()
        out.field("type", type)
        out.field("uploadedAt", uploadedAt)
        out.field("uploadedBy", uploadedBy)
        out.field("url", url)
        out.endObject()
    }
}

extension TicketChat: JSONWritable {
    public func write(to out: inout JSONOut) {
        out.beginObject()
        out.field("lastMessage", lastMessage)
        out.field("messageCount", messageCount)
        out.field("readThroughCustomer", readThroughCustomer)
        out.field("readThroughStaff", readThroughStaff)
        out.field("servedBy", servedBy)
        out.field("unreadCustomer", unreadCustomer)
        out.field("unreadStaff", unreadStaff)
        out.endObject()
    }
}

extension MessagePreview: JSONWritable {
    public func write(to out: inout JSONOut) {
        out.beginObject()
        out.field("at", at)
        out.field("senderType", senderType)
        out.field("text", text)
        out.endObject()
    }
}

extension ServiceSession: JSONWritable {
    public func write(to out: inout JSONOut) {
        out.beginObject()
        out.field("active", active)
        out.field("agentId", agentId)
        out.field("agentName", agentName)
        out.field("endedAt", endedAt)
        out.field("reason", reason)
        out.field("startedAt", startedAt)
        out.endObject()
    }
}

extension RuleAuditEntry: JSONWritable {
    public func write(to out: inout JSONOut) {
        out.beginObject()
        out.field("applied", applied)
        out.field("at", at)
        out.field("cuts", cuts)
        out.field("depth", depth)
        out.field("durationMicros", durationMicros)
        out.field("error", error)
        out.field("event", event)
        out.field("instructions", instructions)
        out.field("mails", mails)
        out.field("notifications", notifications)
        out.field("packId", packId)
        out.field("packVersion", packVersion)
        out.field("proposed", proposed)
        out.field("rejected", rejected)
        out.field("role", role)
        out.field("rule", rule)
        out.field("ticketVersion", ticketVersion)
        out.field("webhooks", webhooks)
        out.endObject()
    }
}

extension RuleAuditEntry.Rejection: JSONWritable {
    public func write(to out: inout JSONOut) {
        out.beginObject()
        out.field("action", action)
        out.field("reason", reason)
        out.endObject()
    }
}

extension RuleNotification: JSONWritable {
    public func write(to out: inout JSONOut) {
        out.beginObject()
        out.field("message", message)
        out.field("target", target)
        out.endObject()
    }
}

extension RuleWebhook: JSONWritable {
    public func write(to out: inout JSONOut) {
        out.beginObject()
        out.field("endpoint", endpoint)
        out.field("event", event)
        out.endObject()
    }
}

extension RecordedRuleEvent: JSONWritable {
    public func write(to out: inout JSONOut) {
        out.beginObject()
        out.field("actor", actor)
        out.field("applied", applied)
        out.field("at", at)
        out.field("details", details)
        out.field("packId", packId)
        out.field("packVersion", packVersion)
        out.field("seq", seq)
        out.field("tenantId", tenantId)
        out.field("ticket", ticket)
        out.field("ticketId", ticketId)
        out.field("type", type)
        out.endObject()
    }
}

extension LiveTicketSummary: JSONWritable {
    public func write(to out: inout JSONOut) {
        out.beginObject()
        out.field("assignedAgent", assignedAgent)
        out.field("category", category)
        out.field("customerId", customerId)
        out.field("escalated", escalated)
        out.field("lastMessage", lastMessage)
        out.field("priority", priority)
        out.field("queue", queue)
        out.field("status", status)
        out.field("subject", subject)
        out.field("ticketId", ticketId)
        out.field("unreadCustomer", unreadCustomer)
        out.field("unreadStaff", unreadStaff)
        out.field("updatedAt", updatedAt)
        out.field("version", version)
        out.endObject()
    }
}
