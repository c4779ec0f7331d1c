import DocketCore
import Foundation
import OpenAPIKit

extension Schemas {
    /// Reports.
    static var reports: [String: Schema] {
        [
            "SLACompliance": object(
                ["measured": integer(), "met": integer(), "percent": number], required: ["measured", "met"]),
            "SLADurations": object(
                ["count": integer(), "averageSeconds": number, "p90Seconds": number], required: ["count"]),
            "SLAReport": object(
                [
                    "from": dateTime, "to": dateTime, "tickets": integer(), "byTarget": map(ref("SLACompliance")),
                    "byPriority": map(map(ref("SLACompliance"))), "byCategory": map(map(ref("SLACompliance"))),
                    "byAgent": map(map(ref("SLACompliance"))), "firstResponse": ref("SLADurations"), "resolution": ref("SLADurations"),
                ],
                required: ["from", "to", "tickets", "byTarget", "byPriority", "byCategory", "byAgent", "firstResponse", "resolution"]),
        ]
    }
}
