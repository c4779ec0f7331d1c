import CLuaShim
import DocketCore
import Foundation

/// Budgets of one rule evaluation (`rules.instructionLimit`, `rules.memoryLimitBytes`,
/// `rules.timeoutMs`).
public struct RuleLimits: Sendable, Equatable {
    public var instructionLimit: Int64
    public var memoryLimitBytes: Int
    public var timeoutMs: Int

    public init(instructionLimit: Int64 = 2_000_000, memoryLimitBytes: Int = 8 << 20, timeoutMs: Int = 50) {
        self.instructionLimit = instructionLimit
        self.memoryLimitBytes = memoryLimitBytes
        self.timeoutMs = timeoutMs
    }
}

/// What went wrong in a rule, with Lua's own chunk name and line where there is one.
public struct RuleError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// The source does not compile.
        case syntax
        /// The rule raised an error (including unknown globals and sandbox refusals).
        case runtime
        /// The rule ran out of instructions, time or memory.
        case budget
        /// The rule returned something that is not a list of actions.
        case result
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

/// One Lua state with the sandbox installed.
///
/// Not thread-safe: it is owned by one worker, which is the only thread that calls it
/// (`@unchecked Sendable` so the worker can be handed it once).
final class LuaSandbox: @unchecked Sendable {
    private let state: OpaquePointer
    private let budget: UnsafeMutablePointer<DocketLuaBudget>
    let limits: RuleLimits

    /// Largest structure read back from a rule.
    static let maxResultDepth = 16
    static let maxResultElements = 10_000
    static let maxResultStringBytes = 256 * 1024

    init(limits: RuleLimits) throws {
        self.limits = limits
        budget = .allocate(capacity: 1)
        guard let state = docket_lua_newstate(budget) else {
            budget.deallocate()
            throw RuleError(.runtime, "cannot create a Lua state")
        }
        self.state = state
        let status = LuaBootstrap.source.withCString { text in
            docket_lua_loadtext(state, text, strlen(text), LuaBootstrap.chunkName)
        }
        guard status == LUA_OK, docket_lua_pcall(state, 0, 1) == LUA_OK else {
            let message = Self.message(state, at: -1)
            lua_close(state)
            budget.deallocate()
            throw RuleError(.runtime, "bootstrap failed: \(message)")
        }
        docket_lua_setregistry(state, "docket.driver")
    }

    deinit {
        lua_close(state)
        budget.deallocate()
    }

    /// Bytes the state holds now.
    var memoryInUse: Int { budget.pointee.used }
    /// VM instructions the last budgeted call ran, counted every 1,000 (the hook's step).
    var lastInstructions: Int { Int(budget.pointee.instructions) }

    /// Lua stack depth; 0 between calls.
    var stackTop: Int32 { lua_gettop(state) }

    /// Registers a module or rule file. `chunkName` is what errors name (`@Rules/text.lua`).
    func define(_ name: String, source: String, chunkName: String, stdlib: Bool) throws {
        try callDriver("define", budgeted: false, [.string(name), .string(source), .string(chunkName), .bool(stdlib)], results: 0)
    }

    /// Compiles a registered source; syntax errors carry the chunk name and line.
    func compile(_ name: String) throws {
        do {
            try callDriver("compile", budgeted: false, [.string(name)], results: 0)
        } catch var error as RuleError {
            error.kind = .syntax
            throw error
        }
    }

    /// Runs a rule file's top level (under budget) and lists the functions it defines.
    func functions(in name: String) throws -> [String] {
        let result = try callDriver("functions", budgeted: true, [.string(name)], results: 1)
        return result.first?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    /// Calls `function` of rule file `file` under the budget; `.null` when the file lacks it.
    func call(file: String, function: String, arguments: [LuaValue]) throws -> LuaValue {
        try callDriver("run", budgeted: true, [.string(file), .string(function), .null] + arguments, results: 1).first ?? .null
    }

    /// Calls `function` of rule file `file` under the budget with arguments `push` puts on the
    /// stack directly (it returns how many) and reads what it returns as a list of actions,
    /// straight from the stack. `tenantKey` names the tenant version whose `ctx.tenant` the
    /// sandbox caches frozen.
    func callActions(file: String, function: String, tenantKey: String?, push: (LuaStack) throws -> Int32) throws -> [RuleAction] {
        try invoke("run", budgeted: true, results: 1, arguments: { stack in
            stack.push(file)
            stack.push(function)
            if let tenantKey { stack.push(tenantKey) } else { lua_pushnil(state) }
            return try push(stack) + 3
        }, read: { try ActionDecoder.decode(LuaStack(state: state), at: -1) })
    }

    @discardableResult
    private func callDriver(_ entry: StaticString, budgeted: Bool, _ arguments: [LuaValue], results: Int32) throws -> [LuaValue] {
        try invoke(entry, budgeted: budgeted, results: results, arguments: { _ in
            guard lua_checkstack(state, Int32(arguments.count) + 8) != 0 else { throw RuleError(.runtime, "Lua stack exhausted") }
            for argument in arguments { try push(argument, depth: 0) }
            return Int32(arguments.count)
        }, read: {
            var values: [LuaValue] = []
            var budgetLeft = Self.maxResultElements
            for index in 0..<results {
                values.append(try read(at: Int32(index - results), depth: 0, budget: &budgetLeft))
            }
            return values
        })
    }

    /// Calls the driver's `entry` with what `push` puts on the stack; `read` takes the
    /// `results` it returned off the stack, which is emptied afterwards.
    private func invoke<T>(
        _ entry: StaticString, budgeted: Bool, results: Int32, arguments push: (LuaStack) throws -> Int32, read: () throws -> T
    ) throws -> T {
        let state = state
        defer { lua_settop(state, 0) }
        docket_lua_getregistry(state, "docket.driver")
        entry.withUTF8Buffer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { _ = lua_getfield(state, -1, $0.baseAddress) }
        }
        docket_lua_remove(state, -2)
        guard lua_checkstack(state, 32) != 0 else { throw RuleError(.runtime, "Lua stack exhausted") }
        let count = try push(LuaStack(state: state))
        let status: Int32
        if budgeted {
            status = docket_lua_budgeted_call(
                state, count, results, limits.instructionLimit,
                Int64(limits.timeoutMs) * 1_000_000, limits.memoryLimitBytes)
        } else {
            status = docket_lua_pcall(state, count, results)
        }
        guard status == LUA_OK else {
            if budget.pointee.killed != 0 {
                let reason = withUnsafeBytes(of: budget.pointee.reason) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
                throw RuleError(.budget, reason)
            }
            throw RuleError(.runtime, Self.message(state, at: -1))
        }
        return try read()
    }

    static func message(_ state: OpaquePointer, at index: Int32) -> String {
        var length = 0
        guard let text = docket_lua_tolstring(state, index, &length) else { return "(no error message)" }
        return String(decoding: UnsafeRawBufferPointer(start: text, count: length), as: UTF8.self)
    }

    // MARK: - Swift → Lua

    private func push(_ value: LuaValue, depth: Int) throws {
        let state = state
        guard depth < 32, lua_checkstack(state, 4) != 0 else { throw RuleError(.runtime, "argument nested too deeply") }
        switch value {
        case .null: lua_pushnil(state)
        case .bool(let flag): lua_pushboolean(state, flag ? 1 : 0)
        case .int(let number): lua_pushinteger(state, number)
        case .double(let number): lua_pushnumber(state, number)
        case .string(let text): pushString(text)
        case .array(let items):
            lua_createtable(state, Int32(items.count), 0)
            for (index, item) in items.enumerated() {
                try push(item, depth: depth + 1)
                lua_rawseti(state, -2, lua_Integer(index + 1))
            }
        case .table(let fields):
            lua_createtable(state, 0, Int32(fields.count))
            for (key, field) in fields {
                pushString(key)
                try push(field, depth: depth + 1)
                lua_rawset(state, -3)
            }
        }
    }

    private func pushString(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                _ = lua_pushlstring(state, chars.baseAddress, chars.count)
            }
        }
    }

    // MARK: - Lua → Swift

    /// Reads the value at `index` without running any Lua (raw access only).
    private func read(at index: Int32, depth: Int, budget: inout Int) throws -> LuaValue {
        let state = state
        budget -= 1
        guard budget >= 0 else { throw RuleError(.result, "result too large (more than \(Self.maxResultElements) values)") }
        switch lua_type(state, index) {
        case LUA_TNIL, LUA_TNONE: return .null
        case LUA_TBOOLEAN: return .bool(lua_toboolean(state, index) != 0)
        case LUA_TNUMBER:
            return docket_lua_isinteger(state, index) != 0 ? .int(docket_lua_tointeger(state, index)) : .double(docket_lua_tonumber(state, index))
        case LUA_TSTRING:
            var length = 0
            let text = docket_lua_tolstring(state, index, &length)
            guard length <= Self.maxResultStringBytes else {
                throw RuleError(.result, "result string too long (\(length) bytes, at most \(Self.maxResultStringBytes))")
            }
            return .string(String(decoding: UnsafeRawBufferPointer(start: text, count: length), as: UTF8.self))
        case LUA_TTABLE:
            guard depth < Self.maxResultDepth else { throw RuleError(.result, "result nested deeper than \(Self.maxResultDepth)") }
            guard lua_checkstack(state, 4) != 0 else { throw RuleError(.result, "result nested too deeply") }
            let table = lua_absindex(state, index)
            // A sequence (what rules return: a list of actions) is read by position; a table
            // with string keys into a dictionary. Anything else, or both at once, is refused.
            let length = lua_rawlen(state, table)
            if length > 0 {
                guard length <= UInt64(Self.maxResultElements) else {
                    throw RuleError(.result, "result too large (more than \(Self.maxResultElements) values)")
                }
                var items: [LuaValue] = []
                items.reserveCapacity(Int(length))
                for position in 1...Int64(length) {
                    lua_rawgeti(state, table, position)
                    defer { docket_lua_pop(state, 1) }
                    items.append(try read(at: -1, depth: depth + 1, budget: &budget))
                }
                var keys = 0
                lua_pushnil(state)
                while lua_next(state, table) != 0 {
                    docket_lua_pop(state, 1)
                    keys += 1
                }
                guard keys == items.count else {
                    throw RuleError(.result, "result tables may have string keys or be sequences, not both")
                }
                return .array(items)
            }
            var fields: [String: LuaValue] = [:]
            lua_pushnil(state)
            while lua_next(state, table) != 0 {
                guard lua_type(state, -2) == LUA_TSTRING else {
                    docket_lua_pop(state, 2)
                    throw RuleError(.result, "result tables may have string keys or be sequences")
                }
                let value = try read(at: -1, depth: depth + 1, budget: &budget)
                fields[Self.message(state, at: -2)] = value
                docket_lua_pop(state, 1)
            }
            return .table(fields)
        default:
            throw RuleError(.result, "a rule cannot return a \(String(cString: lua_typename(state, lua_type(state, index))))")
        }
    }
}

/// Builds rule arguments straight on the Lua stack (no intermediate values). Tables are at
/// most a few levels deep, well inside the 32 slots `callDriver` reserves.
struct LuaStack {
    let state: OpaquePointer

    func push(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                _ = lua_pushlstring(state, chars.baseAddress, chars.count)
            }
        }
    }

    /// Pushes the frozen `ctx.tenant` cached under `key` and returns true, or pushes nothing
    /// and returns false (build it then; the driver freezes and caches it).
    func pushCachedTenant(_ key: String) -> Bool {
        docket_lua_getregistry(state, "docket.tenants")
        guard lua_type(state, -1) == LUA_TTABLE else {
            docket_lua_pop(state, 1)
            return false
        }
        push(key)
        lua_rawget(state, -2)
        docket_lua_remove(state, -2)
        guard lua_type(state, -1) == LUA_TTABLE else {
            docket_lua_pop(state, 1)
            return false
        }
        return true
    }

    func push(_ number: Int) { lua_pushinteger(state, lua_Integer(number)) }
    func push(_ number: Double) { lua_pushnumber(state, number) }
    func push(_ flag: Bool) { lua_pushboolean(state, flag ? 1 : 0) }
    func newTable(array: Int = 0, fields: Int = 0) { lua_createtable(state, Int32(array), Int32(fields)) }
    /// Pops the value on top into the table below it under `key`. Keys are static strings:
    /// their address is stable (Lua's string cache hits) and nothing is copied to pass them.
    func set(_ key: StaticString) {
        key.withUTF8Buffer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { lua_setfield(state, -2, $0.baseAddress) }
        }
    }
    /// Pushes a static key (for raw lookups).
    func push(key: StaticString) {
        key.withUTF8Buffer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { _ = lua_pushlstring(state, $0.baseAddress, $0.count) }
        }
    }
    /// Pops the value on top into the table below it under a key known only at run time.
    func set(dynamic key: String) {
        push(key)
        lua_rotate(state, -2, 1)
        lua_rawset(state, -3)
    }
    /// Pops the value on top into the table below it at `index`.
    func set(_ index: Int) { lua_rawseti(state, -2, lua_Integer(index)) }

    func field(_ key: StaticString, _ value: String) { push(value); set(key) }
    func field(_ key: StaticString, _ value: String?) { if let value { push(value); set(key) } }
    func field(_ key: StaticString, _ value: Int) { push(value); set(key) }
    func field(_ key: StaticString, _ value: Double) { push(value); set(key) }
    func field(_ key: StaticString, _ value: Bool) { push(value); set(key) }
    func field(_ key: StaticString, strings: [String]) {
        newTable(array: strings.count)
        for (index, item) in strings.enumerated() { push(item); set(index + 1) }
        set(key)
    }
    func field(_ key: StaticString, map: [String: String]) {
        newTable(fields: map.count)
        for (name, value) in map {
            push(value)
            set(dynamic: name)
        }
        set(key)
    }
}
