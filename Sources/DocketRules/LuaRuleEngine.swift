import DocketCore
import Foundation

/// One sandbox and the serial queue that owns it: the sandbox is only touched on `queue`.
final class LuaWorker: @unchecked Sendable {
    let queue: DispatchQueue
    let sandbox: LuaSandbox

    init(label: String, sandbox: LuaSandbox) {
        queue = DispatchQueue(label: label)
        self.sandbox = sandbox
    }

    /// Runs `body` on the worker's own thread, off the event loops and the cooperative pool.
    func run<T: Sendable>(_ body: @escaping @Sendable (LuaSandbox) -> T) async -> T {
        await withCheckedContinuation { continuation in
            queue.async { continuation.resume(returning: body(self.sandbox)) }
        }
    }
}

/// Hands out idle workers; callers wait (without blocking a thread) when all are busy.
actor WorkerPool {
    private var idle: [LuaWorker]
    private var waiters: [CheckedContinuation<LuaWorker, Never>] = []

    init(_ workers: [LuaWorker]) { idle = workers }

    func acquire() async -> LuaWorker {
        if let worker = idle.popLast() { return worker }
        return await withCheckedContinuation { waiters.append($0) }
    }

    func release(_ worker: LuaWorker) {
        if waiters.isEmpty { idle.append(worker) } else { waiters.removeFirst().resume(returning: worker) }
    }
}

/// Evaluates packs' Lua rules in sandboxes, a pool of states per pack version.
public final class LuaRuleEngine: RuleEngine {
    struct Runtime {
        let pack: RulePack
        let pool: WorkerPool
    }

    private let runtimes: [String: Runtime]
    private let standardLibrary: [StandardModule]
    public let limits: RuleLimits

    /// Builds `workers` sandboxes per pack, each with the standard library and the pack's files.
    /// Fails with file:line when a file does not compile.
    public init(packs: [RulePack], standardLibrary: [StandardModule], limits: RuleLimits = .init(),
                workers: Int = ProcessInfo.processInfo.activeProcessorCount) throws {
        self.limits = limits
        self.standardLibrary = standardLibrary
        var runtimes: [String: Runtime] = [:]
        for pack in packs {
            var pool: [LuaWorker] = []
            for index in 0..<max(1, workers) {
                let sandbox = try Self.sandbox(for: pack, standardLibrary: standardLibrary, limits: limits)
                pool.append(LuaWorker(label: "docket.rules.\(pack.key).\(index)", sandbox: sandbox))
            }
            runtimes[pack.key] = Runtime(pack: pack, pool: WorkerPool(pool))
        }
        self.runtimes = runtimes
    }

    static func sandbox(for pack: RulePack, standardLibrary: [StandardModule], limits: RuleLimits) throws -> LuaSandbox {
        let sandbox = try LuaSandbox(limits: limits)
        for module in standardLibrary {
            try sandbox.define(module.name, source: module.source, chunkName: "@\(module.path)", stdlib: true)
            try sandbox.compile(module.name)
        }
        for (file, source) in pack.sources.sorted(by: { $0.key < $1.key }) {
            // A pack's own modules are required by name without "rules/" and ".lua".
            let name = Self.moduleName(file)
            try sandbox.define(name, source: source, chunkName: "@\(pack.location)\(file)", stdlib: false)
            try sandbox.compile(name)
        }
        return sandbox
    }

    static func moduleName(_ file: String) -> String {
        var name = file
        if name.hasPrefix("rules/") { name.removeFirst("rules/".count) }
        if name.hasSuffix(".lua") { name.removeLast(".lua".count) }
        return name.replacingOccurrences(of: "/", with: ".")
    }

    /// The functions a rule file of `pack` defines (runs its top level under the budget).
    public func functions(in pack: RulePack, file: String) throws -> [String] {
        let sandbox = try Self.sandbox(for: pack, standardLibrary: standardLibrary, limits: limits)
        return try sandbox.functions(in: Self.moduleName(file))
    }

    public func evaluate(_ event: RuleEvent, context: RuleContext, skipping: Set<String>) async -> [RuleOutcome] {
        let pack = context.tenant.pack
        guard let runtime = runtimes["\(pack.id)@\(pack.version)"] else {
            return [RuleOutcome(rule: "(pack)", actions: [], error: "pack \(pack.id) \(pack.version) has no rules loaded", durationMicros: 0)]
        }
        let handler = event.type.handlerName
        let files = (runtime.pack.manifest.rules ?? []).filter { $0.events.contains(event.type.rawValue) }
            .map(\.file).filter { !skipping.contains("\($0):\(handler)") }
        guard !files.isEmpty else { return [] }
        let arguments = [RuleInput.event(event), RuleInput.context(context)]
        let worker = await runtime.pool.acquire()
        let outcomes = await worker.run { sandbox in
            files.map { file in Self.run(sandbox, file: file, handler: handler, arguments: arguments) }
        }
        await runtime.pool.release(worker)
        return outcomes
    }

    static func run(_ sandbox: LuaSandbox, file: String, handler: String, arguments: [LuaValue]) -> RuleOutcome {
        let started = DispatchTime.now().uptimeNanoseconds
        var actions: [RuleAction] = []
        var failure: String?
        do {
            actions = try ActionDecoder.decode(sandbox.call(file: moduleName(file), function: handler, arguments: arguments))
        } catch let error as RuleError {
            failure = "\(error.kind.rawValue): \(error.message)"
        } catch {
            failure = "\(error)"
        }
        let micros = Int((DispatchTime.now().uptimeNanoseconds - started) / 1000)
        return RuleOutcome(rule: "\(file):\(handler)", actions: actions, error: failure, durationMicros: micros)
    }
}
