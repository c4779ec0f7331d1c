import DocketCore
import Foundation
import Logging
import ServiceLifecycle

/// Carries events other server instances stored into this instance's WebSocket clients, for
/// deployments where several `docket serve` share one MongoDB. It reads each watched tenant's
/// log by id (index-backed), polling every `minDelay` while events flow and backing off to
/// `maxDelay` when quiet. Ids are taken before the insert, so a later id can land first: the
/// relay waits up to `gapWait` for a missing id before going past it. Stops at graceful shutdown.
public struct LiveRelay: Service {
    let log: LiveEventLog
    let store: any TicketStore
    /// The tenants to watch, each with the id its clients were told is the latest (the relay
    /// delivers what comes after it; nil: from the latest stored when first seen).
    let tenants: @Sendable () -> [(tenant: String, after: Int?)]
    let logger: Logger
    var minDelay: Duration = .milliseconds(25)
    var maxDelay: Duration = .milliseconds(250)
    var gapWait: Duration = .seconds(2)

    public init(_ log: LiveEventLog, store: any TicketStore, tenants: @escaping @Sendable () -> [(tenant: String, after: Int?)], logger: Logger) {
        self.log = log
        self.store = store
        self.tenants = tenants
        self.logger = logger
    }

    public func run() async {
        var cursors: [String: Int] = [:]
        var gaps: [String: ContinuousClock.Instant] = [:]
        var delay = minDelay
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            var moved = false
            for (tenant, after) in tenants() {
                do {
                    guard let cursor = try await Self.start(cursors[tenant] ?? after, tenant, store) else { continue }
                    let events = try await store.liveEvents(tenantId: tenant, after: cursor, limit: 500)
                    var next = cursor
                    var accepted: [LiveEvent] = []
                    for event in events {
                        if event.id != next + 1 {
                            let since = gaps[tenant] ?? .now
                            gaps[tenant] = since
                            // A missing id is an append still in flight (or one that failed): wait, then skip it.
                            guard ContinuousClock.now - since > gapWait else { break }
                            logger.debug("live relay skips missing event ids", metadata: ["tenant": "\(tenant)", "from": "\(next + 1)", "to": "\(event.id - 1)"])
                        }
                        gaps[tenant] = nil
                        accepted.append(event)
                        next = event.id
                    }
                    cursors[tenant] = next
                    if !accepted.isEmpty {
                        moved = true
                        log.receiveRemote(accepted)
                    }
                } catch {
                    logger.warning("live relay cannot read the event log", metadata: ["tenant": "\(tenant)", "error": "\(error)"])
                }
            }
            delay = moved ? minDelay : min(delay * 2, maxDelay)
            try? await cancelWhenGracefulShutdown { [delay] in try await Task.sleep(for: delay) }
        }
    }

    /// Where a newly watched tenant starts: where its clients were told the log stood, else at
    /// its latest stored event (clients replay older ones themselves with since=).
    private static func start(_ cursor: Int?, _ tenant: String, _ store: any TicketStore) async throws -> Int? {
        if let cursor { return cursor }
        return try await store.liveEventBounds(tenantId: tenant)?.latest ?? 0
    }
}
