import ArgumentParser
import AsyncHTTPClient
import Foundation
import DocketCore
import DocketHTTP
import NIOCore
import NIOHTTP1

/// Signs tokens with the server's secret (the server's own token code), so every client has
/// an identity of its own.
struct TokenMinter {
    let authority: TokenAuthority
    let tenant: String

    init(secret: String, tenant: String) async throws {
        authority = try await TokenAuthority(secret: Array(secret.utf8))
        self.tenant = tenant
    }

    func token(role: Role, subject: String) async throws -> String {
        try await authority.issue(Principal(tenantId: tenant, role: role, subject: subject), ttl: 86_400)
    }
}

/// Realistic ticket texts in the tenant's language.
enum Texts {
    static let subjects: [String: [String]] = [
        "es": [
            "Luminaria apagada en la calle %d", "Poste con cable expuesto frente al %d", "Panel solar sin carga en la casa %d",
            "Cobro duplicado en el recibo %d", "Solicitud de instalación en el local %d", "Foco parpadea toda la noche, calle %d",
        ],
        "vi": [
            "Chưa nhận được hàng đơn %d", "Yêu cầu hoàn tiền đơn %d", "Sản phẩm bị lỗi, mã %d", "Giao sai màu cho đơn %d",
        ],
        "en": ["Printer offline on floor %d", "Refund for order %d", "Cannot log in, account %d", "Broken chair in room %d"],
    ]
    static let descriptions: [String: String] = [
        "es": "Desde anoche la luminaria número %d no enciende; los vecinos dicen que el poste hace ruido cuando llueve. Por favor revisen pronto.",
        "vi": "Tôi đặt hàng số %d từ tuần trước nhưng vẫn chưa nhận được, trạng thái vẫn là đang giao. Xin kiểm tra giúp.",
        "en": "Since yesterday item %d does not work; we tried restarting it twice. Please take a look soon.",
    ]

    static func ticket(_ language: String, _ n: Int) -> (String, String) {
        let list = subjects[language] ?? subjects["en"]!
        return (String(format: list[n % list.count], n), String(format: descriptions[language] ?? descriptions["en"]!, n))
    }
}

/// Latencies per operation and errors by kind, shared by the clients of one run.
final class Tally: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var latencies: [String: [Double]] = [:]
    private var errors: [String: Int] = [:]
    private var iterations = 0

    func record(_ operation: String, _ milliseconds: Double) { lock.withLock { latencies[operation, default: []].append(milliseconds) } }
    func error(_ kind: String) { lock.withLock { errors[kind, default: 0] += 1 } }
    func iteration() { lock.withLock { iterations += 1 } }
    var snapshot: (latencies: [String: [Double]], errors: [String: Int], iterations: Int) { lock.withLock { (latencies, errors, iterations) } }
}

struct LoadError: Error {
    var kind: String
}

/// One client: its identity and the calls it makes.
struct LoadClient {
    let http: HTTPClient
    let base: String
    let customer: String
    let agent: String
    let customerId: String
    let agentId: String
    let tally: Tally

    @discardableResult
    func call(_ operation: String, _ method: HTTPMethod, _ path: String, token: String, body: [String: Any]? = nil) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: [UInt8](try JSONSerialization.data(withJSONObject: body))))
        }
        let start = ContinuousClock.now
        let response: HTTPClientResponse
        let data: ByteBuffer
        do {
            response = try await http.execute(request, timeout: .seconds(30))
            data = try await response.body.collect(upTo: 1 << 24)
        } catch {
            tally.error("\(operation): transport \(type(of: error))")
            throw LoadError(kind: "transport")
        }
        guard (200..<300).contains(response.status.code) else {
            let object = (try? JSONSerialization.jsonObject(with: Data(data.readableBytesView)) as? [String: Any]) ?? [:]
            let code = (object["error"] as? [String: Any])?["code"] as? String ?? "-"
            tally.error("\(operation): \(response.status.code) \(code)")
            throw LoadError(kind: "\(response.status.code)")
        }
        if operation != "warmup", operation != "setup", operation != "pool" { tally.record(operation, (ContinuousClock.now - start).milliseconds) }
        return (try? JSONSerialization.jsonObject(with: Data(data.readableBytesView)) as? [String: Any]) ?? [:]
    }

    func create(_ n: Int, language: String, token: String, customerId: String? = nil) async throws -> String {
        let (subject, description) = Texts.ticket(language, n)
        var body: [String: Any] = ["subject": subject, "description": description, "priority": "high", "tags": ["carga"]]
        if let customerId { body["customerId"] = customerId }
        let reply = try await call("create", .POST, "/api/v2/tickets", token: token, body: body)
        guard let id = (reply["ticket"] as? [String: Any])?["ticketId"] as? String else { throw LoadError(kind: "no ticket id") }
        return id
    }
}

/// `docket-load run`: N keep-alive clients for D seconds against a running server.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Drive the REST API: create, mixed (create → claim → status → public note → filtered list) or read (get, lists, search).")

    @Option(help: "Server base URL.") var url = "http://127.0.0.1:8080"
    @Option(help: "The server's token secret (DOCKET_JWT_SECRET), to give every client a token of its own.") var secret: String
    @Option(help: "Tenant.") var tenant = "default"
    @Option(help: "create, mixed or read.") var workload: String
    @Option(name: [.short, .customLong("concurrency")], help: "Client counts, comma-separated, one run each.") var concurrency = "1,8,32"
    @Option(name: [.short, .customLong("duration")], help: "Seconds per run.") var duration = 10
    @Option(help: "Texts in this language: es, vi, en.") var language = "es"
    @Option(help: "In-progress status for mixed (entered after the claim).") var workStatus = "in_progress"
    @Option(help: "The server's PID, for its CPU time per operation and memory.") var serverPid: Int32?
    @Option(help: "Write the results as JSON here.") var json: String?

    struct OperationFigures: Codable {
        var count: Int
        var perSecond: Double
        var latency: Distribution
    }

    struct Result: Codable {
        var workload: String
        var clients: Int
        var seconds: Double
        var operations: [String: OperationFigures]
        var iterationsPerSecond: Double?
        var errors: [String: Int]
        var serverCPUMillisPerOperation: Double?
        var serverRSSKiB: Int?
    }

    func run() async throws {
        guard ["create", "mixed", "read"].contains(workload) else { throw ValidationError("workload is create, mixed or read") }
        let levels = try concurrency.split(separator: ",").map {
            guard let n = Int($0.trimmingCharacters(in: .whitespaces)), n > 0 else { throw ValidationError("bad concurrency '\($0)'") }
            return n
        }
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: (levels.max() ?? 1) + 2)
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        let minter = try await TokenMinter(secret: secret, tenant: tenant)
        let admin = try await minter.token(role: .admin, subject: "load-admin")
        var results: [Result] = []
        do {
            let pool = workload == "read" ? try await readPool(http, admin) : []
            for clients in levels {
                let result = try await level(clients, http: http, minter: minter, admin: admin, pool: pool)
                print(summary(result))
                results.append(result)
            }
        } catch {
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()
        try writeJSON(results, to: json)
    }

    /// Ticket ids to read, taken from the first pages of the list.
    func readPool(_ http: HTTPClient, _ admin: String) async throws -> [String] {
        let client = LoadClient(http: http, base: url, customer: admin, agent: admin, customerId: "", agentId: "", tally: Tally())
        var ids: [String] = []
        for page in 1...10 {
            let reply = try await client.call("pool", .GET, "/api/v2/tickets?limit=100&page=\(page)", token: admin)
            let tickets = (reply["tickets"] as? [[String: Any]]) ?? []
            ids += tickets.compactMap { $0["ticketId"] as? String }
            if tickets.count < 100 { break }
        }
        guard !ids.isEmpty else { throw ValidationError("the tenant has no tickets to read: seed it first (docket-load seed)") }
        return ids
    }

    func level(_ clients: Int, http: HTTPClient, minter: TokenMinter, admin: String, pool: [String]) async throws -> Result {
        let tally = Tally()
        let setup = LoadClient(http: http, base: url, customer: admin, agent: admin, customerId: "", agentId: "", tally: Tally())
        let run = UUID().uuidString.prefix(6).lowercased()
        var members: [LoadClient] = []
        for index in 0..<clients {
            let customerId = "load-\(run)-c\(index)", agentId = "load-\(run)-a\(index)"
            if workload == "mixed" {
                try await setup.call("setup", .POST, "/api/v2/agents", token: admin, body: ["id": agentId, "name": "Agente \(index)", "capacity": 1000])
                try await setup.call("setup", .POST, "/api/v2/customers", token: admin, body: ["id": customerId, "email": "\(customerId)@load.test"])
            }
            members.append(LoadClient(
                http: http, base: url, customer: try await minter.token(role: .customer, subject: customerId),
                agent: try await minter.token(role: .agent, subject: agentId), customerId: customerId, agentId: agentId, tally: tally))
        }
        // A warm-up request per client opens its keep-alive connection.
        for member in members { _ = try? await member.call("warmup", .GET, "/api/v2/tickets?limit=1", token: member.customer) }
        let before = serverPid.flatMap { ProcessSample(pid: $0) }
        let started = ContinuousClock.now
        let deadline = started + .seconds(duration)
        let (workload, language, workStatus) = (self.workload, self.language, self.workStatus)
        await withTaskGroup(of: Void.self) { group in
            for (index, member) in members.enumerated() {
                group.addTask {
                    var n = index * 1_000_000
                    while ContinuousClock.now < deadline {
                        n += 1
                        do {
                            switch workload {
                            case "create":
                                _ = try await member.create(n, language: language, token: member.customer)
                            case "mixed":
                                let id = try await member.create(n, language: language, token: member.agent, customerId: member.customerId)
                                try await member.call("claim", .POST, "/api/v2/tickets/\(id)/claim", token: member.agent)
                                try await member.call("status", .POST, "/api/v2/tickets/\(id)/status", token: member.agent, body: ["status": workStatus])
                                try await member.call(
                                    "note", .POST, "/api/v2/tickets/\(id)/notes", token: member.agent,
                                    body: ["content": "Vamos en camino, llegamos en una hora", "isInternal": false])
                                try await member.call(
                                    "list", .GET, "/api/v2/tickets?assignedAgent=\(member.agentId)&status=\(workStatus)&sortBy=updatedAt&limit=20",
                                    token: member.agent)
                            default:
                                let id = pool[(n * 7919) % pool.count]
                                try await member.call("get", .GET, "/api/v2/tickets/\(id)", token: member.agent)
                                try await member.call("list", .GET, "/api/v2/tickets?status=open&sortBy=createdAt&limit=20", token: member.agent)
                                try await member.call("search", .GET, "/api/v2/tickets?search=luminaria&limit=20", token: member.agent)
                            }
                            member.tally.iteration()
                        } catch {
                            // Counted by kind in the tally; go on.
                        }
                    }
                }
            }
        }
        let seconds = (ContinuousClock.now - started).milliseconds / 1000
        let after = serverPid.flatMap { ProcessSample(pid: $0) }
        let snapshot = tally.snapshot
        let operations = snapshot.latencies.mapValues {
            OperationFigures(count: $0.count, perSecond: Double($0.count) / seconds, latency: Distribution($0))
        }
        let total = operations.values.reduce(0) { $0 + $1.count }
        return Result(
            workload: workload, clients: clients, seconds: seconds, operations: operations,
            iterationsPerSecond: workload == "create" ? nil : Double(snapshot.iterations) / seconds, errors: snapshot.errors,
            serverCPUMillisPerOperation: before.flatMap { b in after.map { total == 0 ? 0 : ($0.cpuSeconds - b.cpuSeconds) * 1000 / Double(total) } },
            serverRSSKiB: after?.rssKiB)
    }

    func summary(_ result: Result) -> String {
        var lines = [String(format: "== %@, %d client(s), %.1f s", result.workload, result.clients, result.seconds)]
        if let rate = result.iterationsPerSecond { lines.append(String(format: "   iterations/s: %.1f", rate)) }
        for (name, figures) in result.operations.sorted(by: { $0.key < $1.key }) {
            lines.append(String(format: "   %-7@ %8.1f/s  %@", name as NSString, figures.perSecond, figures.latency.line))
        }
        if let cpu = result.serverCPUMillisPerOperation {
            lines.append(String(format: "   server CPU per operation: %.2f ms, RSS %d KiB", cpu, result.serverRSSKiB ?? 0))
        }
        for (kind, count) in result.errors.sorted(by: { $0.key < $1.key }) { lines.append("   error \(kind): \(count)") }
        return lines.joined(separator: "\n")
    }
}
