import DocketCore
import Foundation
import Synchronization

/// One sandbox and the serial queue it runs on when a caller hops to it. The sandbox is only
/// touched by whoever holds the worker from its `WorkerPool`: on `queue`, or in place on a
/// request thread (`Runtime.onWorker`).
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
final class WorkerPool: @unchecked Sendable {
    // `idle` and `waiters` are guarded by `lock`.
    private let lock = NSLock()
    private var idle: [LuaWorker]
    private var waiters: [CheckedContinuation<LuaWorker, Never>] = []

    init(_ workers: [LuaWorker]) { idle = workers }

    func acquire() async -> LuaWorker {
        if let worker = tryAcquire() { return worker }
        return await withCheckedContinuation { continuation in
            let worker: LuaWorker? = lock.withLock {
                if let worker = idle.popLast() { return worker }
                waiters.append(continuation)
                return nil
            }
            if let worker { continuation.resume(returning: worker) }
        }
    }

    /// An idle worker, or nil when all are busy (the caller then hops with `acquire`).
    func tryAcquire() -> LuaWorker? {
        lock.withLock { idle.popLast() }
    }

    func release(_ worker: LuaWorker) {
        let waiter: CheckedContinuation<LuaWorker, Never>? = lock.withLock {
            if waiters.isEmpty {
                idle.append(worker)
                return nil
            }
            return waiters.removeFirst()
        }
        waiter?.resume(returning: worker)
    }
}

/// When a pack version's evaluations stop running in place on the request threads: when the
/// moving average (weight 1/8) of their CPU time passes `maxAverageNanos` (2 ms: a single call of
/// 16 ms or more),
/// they hop to the version's own workers for `hopNanos` (10 s).
public struct InPlacePolicy: Sendable {
    public var maxAverageNanos: UInt64
    public var hopNanos: UInt64

    public init(maxAverageNanos: UInt64 = 2_000_000, hopNanos: UInt64 = 10_000_000_000) {
        self.maxAverageNanos = maxAverageNanos
        self.hopNanos = hopNanos
    }
}

/// Where the engine finds a pack version it has not loaded yet (the store, in the server).
public typealias RulePackSource = @Sendable (_ packId: String, _ version: String) async throws -> RulePack?

/// Evaluates packs' Lua rules in sandboxes, a pool of states per pack version. Versions
/// are loaded on first use from `source` (or given up front) and kept while used; the least
/// recently used are dropped beyond `maxLoadedVersions` (evaluations in flight keep theirs).
public final class LuaRuleEngine: RuleEngine, @unchecked Sendable {
    /// A rule file handling one event: its path, its module name and its audit name.
    struct Handler: Sendable {
        let file: String
        let module: String
        let rule: String
    }

    final class Runtime: Sendable {
        let pack: RulePack
        let pool: WorkerPool
        /// Per event type, the files that handle it, in the pack's order.
        let handlers: [RuleEventType: [Handler]]

        let policy: InPlacePolicy

        init(pack: RulePack, pool: WorkerPool, policy: InPlacePolicy) {
            self.pack = pack
            self.pool = pool
            self.policy = policy
            var handlers: [RuleEventType: [Handler]] = [:]
            for type in RuleEventType.allCases {
                handlers[type] = (pack.manifest.rules ?? []).filter { $0.events.contains(type.rawValue) }.map {
                    Handler(file: $0.file, module: LuaRuleEngine.moduleName($0.file), rule: "\($0.file):\(type.handlerName)")
                }
            }
            self.handlers = handlers
        }

        /// The rules of this version that handle `type`, less those in `skipping`.
        func handlers(for type: RuleEventType, skipping: Set<String>) -> [Handler] {
            (handlers[type] ?? []).filter { skipping.isEmpty || !skipping.contains($0.rule) }
        }

        /// Until when (uptime nanoseconds) this version's evaluations hop to its own workers
        /// instead of running in place (see `InPlacePolicy`).
        private let hopUntil = Atomic<UInt64>(0)
        /// The moving average of this version's evaluations in place, in nanoseconds.
        private let averageNanos = Atomic<UInt64>(0)
        /// Evaluations (chains of them, for `withEvaluator`) run in place so far (for tests).
        let inPlace = Atomic<Int>(0)

        /// Runs `body` on an idle worker of this version (waiting for one when all are busy).
        ///
        /// On a request executor's thread (`WorkThread`) it runs in place, on the caller's
        /// thread, with an idle worker's sandbox: no hand-off, no wake-up. A version whose
        /// evaluations in place take too long on average hops to its own workers for a while
        /// (`InPlacePolicy`): a tenant whose rules run long (up to their budget) then waits on its
        /// own version's workers and cannot hold the threads every tenant's requests run on.
        func onWorker<T: Sendable>(_ body: @escaping @Sendable (LuaSandbox) -> T) async -> T {
            if WorkThread.isCurrent {
                let now = DispatchTime.now().uptimeNanoseconds
                if hopUntil.load(ordering: .relaxed) < now, let worker = pool.tryAcquire() {
                    // The thread's CPU time, not the wall clock: a short call the machine kept
                    // off a core for a while (a loaded host) is not a long one. Two reads of
                    // the thread's CPU clock, ~0.6 µs each here, per evaluation in place.
                    let cpuStart = Self.threadCPUNanos()
                    let result = body(worker.sandbox)
                    let took = Self.threadCPUNanos() &- cpuStart
                    pool.release(worker)
                    inPlace.add(1, ordering: .relaxed)
                    // A moving average (weight 1/8): one slow call (a cold sandbox's first) does not
                    // send the version away; a version whose calls run long does, at its first.
                    let average = averageNanos.load(ordering: .relaxed)
                    let next = average - average / 8 + took / 8
                    averageNanos.store(next, ordering: .relaxed)
                    if next > policy.maxAverageNanos {
                        averageNanos.store(0, ordering: .relaxed)
                        hopUntil.store(now + took + policy.hopNanos, ordering: .relaxed)
                    }
                    return result
                }
            }
            let worker = await pool.acquire()
            let result = await worker.run(body)
            pool.release(worker)
            return result
        }

        /// CPU time this thread has used, in nanoseconds.
        static func threadCPUNanos() -> UInt64 {
            var spec = timespec()
            clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
            return UInt64(spec.tv_sec) &* 1_000_000_000 &+ UInt64(spec.tv_nsec)
        }

        /// True while this version's evaluations hop (for tests).
        var hopping: Bool { hopUntil.load(ordering: .relaxed) >= DispatchTime.now().uptimeNanoseconds }
    }

    // `runtimes`, `loading` and `lastUse` are guarded by `lock`.
    private let lock = NSLock()
    private var runtimes: [String: Runtime] = [:]
    private var loading: [String: Task<Runtime, any Error>] = [:]
    private var lastUse: [String: UInt64] = [:]
    private var tick: UInt64 = 0
    private let standardLibrary: [StandardModule]
    private let source: RulePackSource?
    private let workers: Int
    public let limits: RuleLimits
    public let maxLoadedVersions: Int
    public let inPlace: InPlacePolicy
    /// Compiling sandboxes is blocking work: it runs here, never on the cooperative pool.
    private static let buildQueue = DispatchQueue(label: "docket.rules.build", attributes: .concurrent)

    /// Builds `workers` sandboxes per pack, each with the standard library and the pack's files.
    /// Fails with file:line when a file does not compile.
    public init(packs: [RulePack], standardLibrary: [StandardModule], limits: RuleLimits = .init(),
                workers: Int = ProcessInfo.processInfo.activeProcessorCount, source: RulePackSource? = nil,
                maxLoadedVersions: Int = 64, inPlace: InPlacePolicy = .init()) throws {
        self.inPlace = inPlace
        self.limits = limits
        self.standardLibrary = standardLibrary
        self.source = source
        self.workers = max(1, workers)
        self.maxLoadedVersions = max(1, maxLoadedVersions)
        for pack in packs {
            runtimes[pack.key] = try Self.runtime(pack, standardLibrary: standardLibrary, limits: limits, workers: self.workers, inPlace: inPlace)
        }
    }

    static func runtime(
        _ pack: RulePack, standardLibrary: [StandardModule], limits: RuleLimits, workers: Int, inPlace: InPlacePolicy = .init()
    ) throws -> Runtime {
        var pool: [LuaWorker] = []
        for index in 0..<workers {
            let sandbox = try sandbox(for: pack, standardLibrary: standardLibrary, limits: limits)
            pool.append(LuaWorker(label: "docket.rules.\(pack.key).\(index)", sandbox: sandbox))
        }
        return Runtime(pack: pack, pool: WorkerPool(pool), policy: inPlace)
    }

    /// Runs blocking Lua work (compiling sandboxes, checking a pack) on the engine's build
    /// threads, never on the caller's (the cooperative pool or an event loop).
    public static func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            buildQueue.async { continuation.resume(with: Result { try body() }) }
        }
    }

    /// Versions currently loaded (for tests and /health).
    public var loadedVersions: [String] { lock.withLock { runtimes.keys.sorted() } }

    public func prepare(packId: String, version: String) async throws {
        _ = try await runtime(for: "\(packId)@\(version)", packId: packId, version: version)
    }

    func runtime(for key: String, packId: String, version: String) async throws -> Runtime {
        enum Step { case ready(Runtime), wait(Task<Runtime, any Error>) }
        let step: Step = lock.withLock {
            tick += 1
            if let hit = runtimes[key] {
                lastUse[key] = tick
                return .ready(hit)
            }
            if let task = loading[key] { return .wait(task) }
            let task = Task { [source, standardLibrary, limits, workers, inPlace] () throws -> Runtime in
                guard let source, let pack = try await source(packId, version) else {
                    throw RuleError(.syntax, "pack \(packId) \(version) is not stored")
                }
                return try await Self.offPool {
                    try Self.runtime(pack, standardLibrary: standardLibrary, limits: limits, workers: workers, inPlace: inPlace)
                }
            }
            loading[key] = task
            return .wait(task)
        }
        switch step {
        case .ready(let runtime):
            return runtime
        case .wait(let task):
            do {
                let runtime = try await task.value
                lock.withLock {
                    loading[key] = nil
                    if runtimes[key] == nil {
                        runtimes[key] = runtime
                        tick += 1
                        lastUse[key] = tick
                        evictIfNeeded()
                    }
                }
                return runtimes(key) ?? runtime
            } catch {
                lock.withLock { loading[key] = nil }
                throw error
            }
        }
    }

    private func runtimes(_ key: String) -> Runtime? { lock.withLock { runtimes[key] } }

    /// Drops the least recently used versions beyond the cap. Called with `lock` held.
    private func evictIfNeeded() {
        while runtimes.count > maxLoadedVersions, let oldest = lastUse.min(by: { $0.value < $1.value })?.key {
            runtimes[oldest] = nil
            lastUse[oldest] = nil
        }
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

    /// Every problem that keeps `pack` from running, each as Lua reports it (`file:line: message`):
    /// files that do not compile, top levels that fail, handlers the manifest names but a file
    /// does not define.
    public static func problems(in pack: RulePack, standardLibrary: [StandardModule], limits: RuleLimits) -> [String] {
        let sandbox: LuaSandbox
        do {
            sandbox = try LuaSandbox(limits: limits)
            for module in standardLibrary {
                try sandbox.define(module.name, source: module.source, chunkName: "@\(module.path)", stdlib: true)
                try sandbox.compile(module.name)
            }
        } catch {
            return ["the standard library does not load: \(error)"]
        }
        var problems: [String] = []
        var compiled = Set<String>()
        for (file, source) in pack.sources.sorted(by: { $0.key < $1.key }) {
            do {
                try sandbox.define(moduleName(file), source: source, chunkName: "@\(pack.location)\(file)", stdlib: false)
                try sandbox.compile(moduleName(file))
                compiled.insert(file)
            } catch {
                problems.append("\(error)")
            }
        }
        for spec in pack.manifest.rules ?? [] where compiled.contains(spec.file) {
            do {
                let defined = try sandbox.functions(in: moduleName(spec.file))
                for event in spec.events {
                    guard let handler = RuleEventType(rawValue: event)?.handlerName else { continue }
                    if !defined.contains(handler) {
                        problems.append("\(pack.location)\(spec.file):1: defines no function \(handler) for \(event)")
                    }
                }
            } catch {
                problems.append("\(error)")
            }
        }
        // One line per problem, once: the sandbox's stack trace is for us, not the pack's
        // author, and a module's syntax error surfaces again in every file that requires it.
        var seen = Set<String>()
        return problems.map(Self.firstLine).filter { seen.insert($0).inserted }
    }

    /// A Lua error without its stack traceback.
    static func firstLine(_ message: String) -> String {
        let head = message.components(separatedBy: "\nstack traceback:").first ?? message
        return head.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The functions a rule file of `pack` defines (runs its top level under the budget).
    public func functions(in pack: RulePack, file: String) throws -> [String] {
        let sandbox = try Self.sandbox(for: pack, standardLibrary: standardLibrary, limits: limits)
        return try sandbox.functions(in: Self.moduleName(file))
    }

    public func evaluate(_ event: RuleEvent, context: RuleContext, skipping: Set<String>) async -> [RuleOutcome] {
        let pack = context.tenant.pack
        let runtime: Runtime
        do {
            runtime = try await self.runtime(for: "\(pack.id)@\(pack.version)", packId: pack.id, version: pack.version)
        } catch {
            return [RuleOutcome(rule: "(pack)", actions: [], error: "pack \(pack.id) \(pack.version) cannot be loaded: \(error)", durationMicros: 0)]
        }
        // No hop to a worker when no rule handles the event.
        guard !runtime.handlers(for: event.type, skipping: skipping).isEmpty else { return [] }
        return await runtime.onWorker { sandbox in
            WorkerEvaluator(sandbox: sandbox, runtime: runtime).evaluate(event, context: context, skipping: skipping)
        }
    }

    /// The whole body on one worker of the context's pack: a chain of evaluations is one hop.
    public func withEvaluator<T: Sendable>(for context: RuleContext, _ body: @escaping @Sendable (any RuleEvaluator) -> T) async -> T? {
        let pack = context.tenant.pack
        guard let runtime = try? await self.runtime(for: "\(pack.id)@\(pack.version)", packId: pack.id, version: pack.version) else { return nil }
        return await runtime.onWorker { sandbox in body(WorkerEvaluator(sandbox: sandbox, runtime: runtime)) }
    }

    /// Evaluations on the worker that holds `sandbox` (only used there, during `withEvaluator`).
    struct WorkerEvaluator: RuleEvaluator {
        let sandbox: LuaSandbox
        let runtime: Runtime

        func evaluate(_ event: RuleEvent, context: RuleContext, skipping: Set<String>) -> [RuleOutcome] {
            runtime.handlers(for: event.type, skipping: skipping).map {
                LuaRuleEngine.run(sandbox, $0, function: event.type.handlerName, event: event, context: context)
            }
        }
    }

    /// Evaluates `event` `iterations` times in a row on one worker, the way the C floor in
    /// bench/rules_floor.c calls its function: per-event cost without the hop to the worker.
    /// Returns the mean nanoseconds per evaluation of all handlers and the last outcomes.
    @_spi(Benchmarks) public func measure(_ event: RuleEvent, context: RuleContext, iterations: Int) async throws -> (nanos: Double, outcomes: [RuleOutcome]) {
        let pack = context.tenant.pack
        let runtime = try await self.runtime(for: "\(pack.id)@\(pack.version)", packId: pack.id, version: pack.version)
        let function = event.type.handlerName
        let handlers = runtime.handlers[event.type] ?? []
        let result = await runtime.onWorker { sandbox in
            let started = DispatchTime.now().uptimeNanoseconds
            var outcomes: [RuleOutcome] = []
            for _ in 0..<max(1, iterations) {
                outcomes = handlers.map { handler in Self.run(sandbox, handler, function: function, event: event, context: context) }
            }
            let elapsed = DispatchTime.now().uptimeNanoseconds - started
            return (Double(elapsed) / Double(max(1, iterations)), outcomes)
        }
        return result
    }

    static func run(_ sandbox: LuaSandbox, _ handler: Handler, function: String, event: RuleEvent, context: RuleContext) -> RuleOutcome {
        let started = DispatchTime.now().uptimeNanoseconds
        var actions: [RuleAction] = []
        var failure: String?
        do {
            // Fresh tables for every rule file: one rule cannot change what the next one sees.
            actions = try sandbox.callActions(file: handler.module, function: function, tenantKey: RuleInput.tenantKey(context)) { stack in
                RuleInput.event(event, on: stack)
                RuleInput.context(context, on: stack)
                return 2
            }
        } catch let error as RuleError {
            failure = "\(error.kind.rawValue): \(error.message)"
        } catch {
            failure = "\(error)"
        }
        let micros = Int((DispatchTime.now().uptimeNanoseconds - started) / 1000)
        return RuleOutcome(rule: handler.rule, actions: actions, error: failure, durationMicros: micros, instructions: sandbox.lastInstructions)
    }
}
