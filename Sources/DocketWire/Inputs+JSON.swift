import DocketCore

// The request bodies of the hot path, read the way `JSONDecoder` reads their `Decodable`
// conformances (every optional field may be missing or null; a required one is refused when
// missing, so Foundation words the error). `JSONInTests` holds each to Foundation's result.

extension NewTicket: JSONReadable {
    public init(reading reader: inout JSONIn) throws(JSONIn.Refused) {
        var subject: String?
        var description: String?
        var value = NewTicket(subject: "", description: "")
        var seen = JSONIn.Seen()
        try reader.object { reader, key throws(JSONIn.Refused) in
            switch key.count {
            case 4 where JSONIn.key(key, is: "tags"):
                try seen.mark(0, reader)
                value.tags = try reader.optionalStrings()
            case 6 where JSONIn.key(key, is: "fields"):
                try seen.mark(1, reader)
                value.fields = try reader.optionalStringMap()
            case 6 where JSONIn.key(key, is: "source"):
                try seen.mark(2, reader)
                value.source = try reader.optional(TicketSource.self)
            case 7 where JSONIn.key(key, is: "subject"):
                try seen.mark(3, reader)
                subject = try reader.string()
            case 8 where JSONIn.key(key, is: "category"):
                try seen.mark(4, reader)
                value.category = try reader.optionalString()
            case 8 where JSONIn.key(key, is: "priority"):
                try seen.mark(5, reader)
                value.priority = try reader.optional(Priority.self)
            case 8 where JSONIn.key(key, is: "location"):
                try seen.mark(6, reader)
                value.location = try reader.null() ? nil : try Location(reading: &reader)
            case 10 where JSONIn.key(key, is: "customerId"):
                try seen.mark(7, reader)
                value.customerId = try reader.optionalString()
            case 11 where JSONIn.key(key, is: "description"):
                try seen.mark(8, reader)
                description = try reader.string()
            case 11 where JSONIn.key(key, is: "subcategory"):
                try seen.mark(9, reader)
                value.subcategory = try reader.optionalString()
            case 11 where JSONIn.key(key, is: "attachments"):
                try seen.mark(10, reader)
                if try reader.null() {
                    value.attachments = nil
                } else {
                    var attachments: [NewAttachment] = []
                    try reader.array { reader throws(JSONIn.Refused) in attachments.append(try NewAttachment(reading: &reader)) }
                    value.attachments = attachments
                }
            case 12 where JSONIn.key(key, is: "assignToSelf"):
                try seen.mark(11, reader)
                value.assignToSelf = try reader.optionalBool()
            case 14 where JSONIn.key(key, is: "conversationId"):
                try seen.mark(12, reader)
                value.conversationId = try reader.optionalString()
            default:
                return false
            }
            return true
        }
        guard let subject, let description else { throw reader.refused() }
        value.subject = subject
        value.description = description
        self = value
    }
}

extension NewAttachment: JSONReadable {
    public init(reading reader: inout JSONIn) throws(JSONIn.Refused) {
        var url: String?
        var type: String?
        var seen = JSONIn.Seen()
        try reader.object { reader, key throws(JSONIn.Refused) in
            if JSONIn.key(key, is: "url") {
                try seen.mark(0, reader)
                url = try reader.string()
            } else if JSONIn.key(key, is: "type") {
                try seen.mark(1, reader)
                type = try reader.optionalString()
            } else {
                return false
            }
            return true
        }
        guard let url else { throw reader.refused() }
        self.init(url: url, type: type)
    }
}

extension Location: JSONReadable {
    public init(reading reader: inout JSONIn) throws(JSONIn.Refused) {
        var value = Location()
        var seen = JSONIn.Seen()
        try reader.object { reader, key throws(JSONIn.Refused) in
            if JSONIn.key(key, is: "address") {
                try seen.mark(0, reader)
                value.address = try reader.optionalString()
            } else if JSONIn.key(key, is: "description") {
                try seen.mark(1, reader)
                value.description = try reader.optionalString()
            } else if JSONIn.key(key, is: "coordinates") {
                try seen.mark(2, reader)
                value.coordinates = try reader.null() ? nil : try Coordinates(reading: &reader)
            } else {
                return false
            }
            return true
        }
        self = value
    }
}

extension Coordinates: JSONReadable {
    public init(reading reader: inout JSONIn) throws(JSONIn.Refused) {
        var latitude: Double?
        var longitude: Double?
        var seen = JSONIn.Seen()
        try reader.object { reader, key throws(JSONIn.Refused) in
            if JSONIn.key(key, is: "latitude") {
                try seen.mark(0, reader)
                latitude = try reader.double()
            } else if JSONIn.key(key, is: "longitude") {
                try seen.mark(1, reader)
                longitude = try reader.double()
            } else {
                return false
            }
            return true
        }
        guard let latitude, let longitude else { throw reader.refused() }
        self.init(latitude: latitude, longitude: longitude)
    }
}

extension NewMessage: JSONReadable {
    public init(reading reader: inout JSONIn) throws(JSONIn.Refused) {
        var content: String?
        var value = NewMessage(content: "")
        var seen = JSONIn.Seen()
        try reader.object { reader, key throws(JSONIn.Refused) in
            if JSONIn.key(key, is: "content") {
                try seen.mark(0, reader)
                content = try reader.string()
            } else if JSONIn.key(key, is: "type") {
                try seen.mark(1, reader)
                value.type = try reader.optional(MessageKind.self)
            } else if JSONIn.key(key, is: "attachments") {
                try seen.mark(2, reader)
                value.attachments = try reader.optionalStrings()
            } else {
                return false
            }
            return true
        }
        guard let content else { throw reader.refused() }
        value.content = content
        self = value
    }
}
