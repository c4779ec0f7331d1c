import Foundation
import Testing

@testable import DocketRules

/// A sandbox with tight budgets so exhaustion attempts end fast.
func makeSandbox(_ limits: RuleLimits = RuleLimits(instructionLimit: 1_000_000, memoryLimitBytes: 4 << 20, timeoutMs: 500)) throws -> LuaSandbox {
    let sandbox = try LuaSandbox(limits: limits)
    try sandbox.define(
        "benign", source: "function on_event(event) return { { type = 'add_tag', tag = event.tag } } end",
        chunkName: "@rules/benign.lua", stdlib: false)
    return sandbox
}

/// The sandbox is intact after an attack: rules still run and the stack is balanced.
func expectReusable(_ sandbox: LuaSandbox, sourceLocation: SourceLocation = #_sourceLocation) throws {
    #expect(sandbox.stackTop == 0, sourceLocation: sourceLocation)
    let result = try sandbox.call(file: "benign", function: "on_event", arguments: [["tag": "ok"]])
    #expect(result == [["type": "add_tag", "tag": "ok"]], sourceLocation: sourceLocation)
    #expect(sandbox.stackTop == 0, sourceLocation: sourceLocation)
    // String methods are still the sandboxed ones and still work.
    try sandbox.define("probe", source: "function on_event() return ('Ab'):upper() .. tostring(string.dump) end", chunkName: "@rules/probe.lua", stdlib: false)
    #expect(try sandbox.call(file: "probe", function: "on_event", arguments: []) == "ABnil", sourceLocation: sourceLocation)
}

struct Attack: Sendable, CustomTestStringConvertible {
    var name: String
    var body: String
    /// What the failure must say (any error kind is accepted when nil).
    var kind: RuleError.Kind?
    var mentions: String?

    var testDescription: String { name }
}

@Suite("Lua sandbox")
struct SandboxTests {
    static let attacks: [Attack] = [
        Attack(name: "os.execute", body: "return os.execute('id')", kind: .runtime, mentions: "unknown global 'os'"),
        Attack(name: "os.getenv", body: "return os.getenv('HOME')", kind: .runtime, mentions: "unknown global 'os'"),
        Attack(name: "io.open", body: "return io.open('/etc/passwd')", kind: .runtime, mentions: "unknown global 'io'"),
        Attack(name: "io.popen", body: "return io.popen('id')", kind: .runtime, mentions: "unknown global 'io'"),
        Attack(name: "debug.getinfo", body: "return debug.getinfo(1)", kind: .runtime, mentions: "unknown global 'debug'"),
        Attack(name: "debug.sethook", body: "debug.sethook() while true do end", kind: .runtime, mentions: "unknown global 'debug'"),
        Attack(name: "package.loaded", body: "return package.loaded", kind: .runtime, mentions: "unknown global 'package'"),
        Attack(name: "require os", body: "return require('os')", kind: .runtime, mentions: "module 'os' not found"),
        Attack(name: "require io", body: "return require('io').open('/etc/passwd')", kind: .runtime, mentions: "module 'io' not found"),
        Attack(name: "require a path", body: "return require('../../etc/passwd')", kind: .runtime, mentions: "not found"),
        Attack(name: "require a non-string", body: "return require({})", kind: .runtime, mentions: "module name"),
        Attack(name: "dofile", body: "return dofile('/etc/passwd')", kind: .runtime, mentions: "unknown global 'dofile'"),
        Attack(name: "loadfile", body: "return loadfile('/etc/passwd')", kind: .runtime, mentions: "unknown global 'loadfile'"),
        Attack(name: "load of bytecode", body: "return load('\\27Lua')", kind: .runtime, mentions: "unknown global 'load'"),
        Attack(name: "loadstring", body: "return loadstring('return 1')", kind: .runtime, mentions: "unknown global 'loadstring'"),
        Attack(name: "string.dump", body: "return string.dump(on_event)", kind: .runtime, mentions: "dump"),
        Attack(name: "string.dump by method", body: "return ('x').dump(on_event)", kind: .runtime, mentions: "dump"),
        Attack(name: "string metatable read", body: "return getmetatable('').__index", kind: .runtime, mentions: "boolean"),
        Attack(name: "string metatable write", body: "getmetatable('').__index = {} return {}", kind: .runtime, mentions: nil),
        Attack(name: "replace string.upper", body: "string.upper = function() return 'pwned' end return {}", kind: .runtime, mentions: "read-only"),
        Attack(name: "rawset on a library", body: "rawset(string, 'upper', nil) return {}", kind: .runtime, mentions: "unknown global 'rawset'"),
        Attack(name: "setmetatable on a library", body: "setmetatable(string, {}) return {}", kind: .runtime, mentions: "protected metatable"),
        Attack(name: "getmetatable of a library", body: "return getmetatable(math).__index", kind: .runtime, mentions: "boolean"),
        Attack(name: "replace math.floor", body: "math.floor = nil return {}", kind: .runtime, mentions: "read-only"),
        Attack(name: "replace table.insert", body: "table.insert = print return {}", kind: .runtime, mentions: nil),
        Attack(name: "global write at run time", body: "leak = 1 return {}", kind: .runtime, mentions: "assignment to global 'leak'"),
        Attack(name: "pairs handing out a frozen module's table", body: "local _, raw = pairs(string) raw.upper = nil return raw.upper('x')", kind: .runtime, mentions: nil),
        Attack(name: "_G", body: "return _G.os", kind: .runtime, mentions: "unknown global '_G'"),
        Attack(name: "_ENV lookup", body: "return _ENV.io", kind: .runtime, mentions: "unknown global 'io'"),
        Attack(name: "_ENV metatable", body: "return getmetatable(_ENV).__index", kind: .runtime, mentions: "boolean"),
        Attack(name: "collectgarbage", body: "return collectgarbage('count')", kind: .runtime, mentions: "unknown global 'collectgarbage'"),
        Attack(name: "coroutine around the kill", body: "return coroutine.wrap(function() while true do end end)()", kind: .runtime, mentions: "unknown global 'coroutine'"),
        Attack(name: "__gc finalizer", body: "setmetatable({}, { __gc = function() while true do end end }) return {}", kind: .runtime, mentions: "__gc"),
        Attack(name: "while true", body: "while true do end", kind: .budget, mentions: "instructions"),
        Attack(name: "repeat until false", body: "repeat until false", kind: .budget, mentions: nil),
        Attack(name: "goto loop", body: "::top:: goto top", kind: .budget, mentions: nil),
        Attack(name: "numeric for to infinity", body: "for i = 1, math.huge do end", kind: .budget, mentions: nil),
        Attack(name: "pcall swallowing the kill", body: "while true do pcall(function() while true do end end) end", kind: .budget, mentions: nil),
        Attack(name: "pcall then carry on", body: "for i = 1, 10 do pcall(function() while true do end end) end return {}", kind: .budget, mentions: nil),
        Attack(name: "xpcall with a looping handler", body: "xpcall(function() while true do end end, function() while true do end end) return {}", kind: .budget, mentions: nil),
        Attack(name: "error object whose __tostring loops", body: "error(setmetatable({}, { __tostring = function() while true do end end }))", kind: nil, mentions: nil),
        Attack(name: "tostring metamethod loop", body: "return string.format('%s', setmetatable({}, { __tostring = function() while true do end end }))", kind: .budget, mentions: nil),
        Attack(name: "tail-call loop", body: "local function f(n) return f(n + 1) end return f(1)", kind: .budget, mentions: nil),
        Attack(name: "deep recursion", body: "local function f() return 1 + f() end return f()", kind: nil, mentions: nil),
        Attack(name: "string.rep bomb", body: "return string.rep('x', 1e9)", kind: .budget, mentions: "memory"),
        Attack(name: "doubling string", body: "local s = 'x' while true do s = s .. s end", kind: .budget, mentions: "memory"),
        Attack(name: "table growth", body: "local t = {} for i = 1, 1e8 do t[i] = i end return {}", kind: .budget, mentions: nil),
        Attack(name: "many tables", body: "local t = {} while true do t[#t + 1] = { 1, 2, 3, 4, 5, 6, 7, 8 } end", kind: .budget, mentions: nil),
        Attack(name: "utf8 bomb", body: "return utf8.char(0x7FFFFFFF):rep(1e8)", kind: .budget, mentions: "memory"),
        Attack(name: "table.concat over a lying __len", body: "return table.concat(setmetatable({}, { __index = function() return 'x' end, __len = function() return 1e9 end }))", kind: .budget, mentions: nil),
        Attack(name: "exponential pattern", body: "return ('a'):rep(40):find(('a?'):rep(40) .. ('a'):rep(40))", kind: .runtime, mentions: "too costly"),
        Attack(name: "polynomial pattern on a long subject", body: "return ('a'):rep(20000):match('.-.-.-b')", kind: .runtime, mentions: "too costly"),
        Attack(name: "gsub with a costly pattern", body: "return (('x'):rep(5000)):gsub('x*x*y', '')", kind: .runtime, mentions: "too costly"),
        Attack(name: "long pattern", body: "return ('a'):find(('a'):rep(200))", kind: .runtime, mentions: "limited to 128"),
        Attack(name: "xpcall handler after a kill", body: "local ok = xpcall(function() while true do end end, function() return 'caught' end) while true do end", kind: .budget, mentions: nil),
        Attack(name: "huge return", body: "local t = {} for i = 1, 20000 do t[i] = { type = 'add_tag', tag = 'x' } end return t", kind: .result, mentions: "too large"),
        Attack(name: "huge string return", body: "return { { type = 'add_internal_note', text = ('x'):rep(300000) } }", kind: .result, mentions: "too long"),
        Attack(name: "function return", body: "return on_event", kind: .result, mentions: "function"),
        Attack(name: "mixed table return", body: "return { 1, 2, x = 3 }", kind: .result, mentions: "not both"),
        Attack(name: "boolean keys", body: "return { [true] = 1 }", kind: .result, mentions: "string keys"),
        Attack(name: "deeply nested return", body: "local t = {} local c = t for i = 1, 100 do c.x = {} c = c.x end return t", kind: .result, mentions: "deeper"),
        Attack(name: "self-referencing return", body: "local t = {} t.self = t return t", kind: .result, mentions: nil),
    ]

    @Test(arguments: attacks)
    func attackIsStoppedAndTheStateStaysUsable(attack: Attack) throws {
        let sandbox = try makeSandbox()
        try sandbox.define("attack", source: "function on_event(event, ctx)\n\(attack.body)\nend", chunkName: "@rules/attack.lua", stdlib: false)
        do {
            let value = try sandbox.call(file: "attack", function: "on_event", arguments: [.table([:]), .table([:])])
            Issue.record("\(attack.name) was not stopped; it returned \(value)")
        } catch let error as RuleError {
            if let kind = attack.kind { #expect(error.kind == kind, "\(attack.name): \(error.message)") }
            if let mentions = attack.mentions { #expect(error.message.contains(mentions), "\(attack.name): \(error.message)") }
        }
        try expectReusable(sandbox)
    }

    @Test func theCorpusIsLargeEnough() {
        #expect(Self.attacks.count >= 40)
    }

    @Test func patternsWithinBudgetStillWork() throws {
        let sandbox = try makeSandbox()
        try sandbox.define("patterns", source: """
            function on_event(text)
              local a = text:match('(%d+)%-(%d+)')
              local b = text:find('Calle', 1, true)
              local c = select(2, text:gsub('%s+', ' '))
              return { a, b, c, string.format('%05.1f', 3.14159) }
            end
            """, chunkName: "@rules/patterns.lua", stdlib: false)
        #expect(try sandbox.call(file: "patterns", function: "on_event", arguments: ["Calle 12-34  norte"]) == ["12", 1, 2, "003.1"])
    }

    @Test func xpcallHandlersStillRun() throws {
        let sandbox = try makeSandbox()
        try sandbox.define("x", source: "function on_event() return { xpcall(function() error('boom', 0) end, function(e) return 'handled ' .. e end) } end", chunkName: "@rules/x.lua", stdlib: false)
        #expect(try sandbox.call(file: "x", function: "on_event", arguments: []) == [false, "handled boom"])
    }

    @Test func metatablesOnResultsNeverRun() throws {
        let sandbox = try makeSandbox()
        try sandbox.define(
            "tricky", source: "function on_event() return setmetatable({}, { __index = function() while true do end end, __pairs = function() while true do end end }) end",
            chunkName: "@rules/tricky.lua", stdlib: false)
        #expect(try sandbox.call(file: "tricky", function: "on_event", arguments: []) == .table([:]))
        try expectReusable(sandbox)
    }

    @Test func nothingARuleWritesSurvivesToTheNextCall() throws {
        let sandbox = try makeSandbox()
        try sandbox.define("counter", source: """
            local count = 0
            function on_event()
              count = count + 1
              return count
            end
            """, chunkName: "@rules/counter.lua", stdlib: false)
        #expect(try sandbox.call(file: "counter", function: "on_event", arguments: []) == 1)
        #expect(try sandbox.call(file: "counter", function: "on_event", arguments: []) == 1)
    }

    /// A rule file's top level runs once and is reused: its file-level tables are read-only
    /// during events, and a handler that reassigns a file-level local or global gets a fresh
    /// file for the next event (so it cannot count events).
    @Test func reusedRuleFilesCarryNothingBetweenEvents() throws {
        let sandbox = try makeSandbox()
        try sandbox.define("state", source: """
            local seen = {}
            local last = nil
            helper = function() return 1 end
            function on_mutate() seen[#seen + 1] = 1 return #seen end
            function on_swap() last = (last or 0) + 1 return last end
            function on_global() local before = helper() helper = function() return 2 end return before end
            function on_spin() while true do end end
            """, chunkName: "@rules/state.lua", stdlib: false)
        let error = #expect(throws: RuleError.self) { try sandbox.call(file: "state", function: "on_mutate", arguments: []) }
        #expect(error?.message.contains("read-only") == true, "\(error?.message ?? "")")
        #expect(try sandbox.call(file: "state", function: "on_swap", arguments: []) == 1)
        #expect(try sandbox.call(file: "state", function: "on_swap", arguments: []) == 1)
        #expect(try sandbox.call(file: "state", function: "on_global", arguments: []) == 1)
        #expect(try sandbox.call(file: "state", function: "on_global", arguments: []) == 1)
        #expect(throws: RuleError.self) { try sandbox.call(file: "state", function: "on_spin", arguments: []) }
        #expect(try sandbox.call(file: "state", function: "on_swap", arguments: []) == 1)
        try expectReusable(sandbox)
    }

    /// Data-only pack modules are kept frozen between events; modules with functions are
    /// rebuilt for each event, so neither can carry state from one event to the next.
    @Test func packModulesCarryNothingBetweenEvents() throws {
        let sandbox = try makeSandbox()
        try sandbox.define("words", source: "return { list = { 'a' } }", chunkName: "@rules/words.lua", stdlib: false)
        try sandbox.define("tally", source: """
            local n = 0
            return { bump = function() n = n + 1 return n end }
            """, chunkName: "@rules/tally.lua", stdlib: false)
        try sandbox.define("user", source: """
            local w = require("words")
            local tally = require("tally")
            function on_grow() table.insert(w.list, "b") return #w.list end
            function on_write() w.list[2] = "b" return #w.list end
            function on_count() return { #w.list, tally.bump() } end
            """, chunkName: "@rules/user.lua", stdlib: false)
        #expect(throws: RuleError.self) { try sandbox.call(file: "user", function: "on_grow", arguments: []) }
        #expect(throws: RuleError.self) { try sandbox.call(file: "user", function: "on_write", arguments: []) }
        #expect(try sandbox.call(file: "user", function: "on_count", arguments: []) == [1, 1])
        #expect(try sandbox.call(file: "user", function: "on_count", arguments: []) == [1, 1])
    }

    @Test func syntaxErrorsNameTheChunkAndLine() throws {
        let sandbox = try makeSandbox()
        try sandbox.define("bad", source: "function on_event(event)\n  return {\nend", chunkName: "@IndustryPacks/x/rules/bad.lua", stdlib: false)
        let error = #expect(throws: RuleError.self) { try sandbox.compile("bad") }
        #expect(error?.kind == .syntax)
        #expect(error?.message.contains("IndustryPacks/x/rules/bad.lua:3:") == true)
        try expectReusable(sandbox)
    }

    @Test func runtimeErrorsNameTheChunkAndLine() throws {
        let sandbox = try makeSandbox()
        try sandbox.define("oops", source: "function on_event(event)\n  local x = nil\n  return x.field\nend", chunkName: "@IndustryPacks/x/rules/oops.lua", stdlib: false)
        let error = #expect(throws: RuleError.self) { try sandbox.call(file: "oops", function: "on_event", arguments: []) }
        #expect(error?.message.contains("IndustryPacks/x/rules/oops.lua:3:") == true)
    }

    @Test func requireLoadsOnlyDefinedModulesAndFreezesThem() throws {
        let sandbox = try makeSandbox()
        try sandbox.define("docket.text", source: "local M = {} function M.shout(s) return s:upper() end M.words = { 'a' } return M", chunkName: "@Rules/docket/text.lua", stdlib: true)
        try sandbox.define("user", source: """
            local text = require('docket.text')
            function on_event()
              local ok = pcall(function() text.words[2] = 'b' end)
              return { text.shout('hola'), ok, #text.words }
            end
            """, chunkName: "@rules/user.lua", stdlib: false)
        #expect(try sandbox.call(file: "user", function: "on_event", arguments: []) == ["HOLA", false, 1])
        #expect(try sandbox.functions(in: "user") == ["on_event"])
        #expect(try sandbox.call(file: "user", function: "on_missing", arguments: []) == .null)
    }

    @Test func argumentsAndResultsRoundTrip() throws {
        let sandbox = try makeSandbox()
        try sandbox.define("echo", source: "function on_event(event) return event end", chunkName: "@rules/echo.lua", stdlib: false)
        let value: LuaValue = ["s": "Đơn hỗ trợ", "i": 42, "d": 1.5, "b": true, "list": [1, "two", ["nested": false]], "empty": .table([:])]
        #expect(try sandbox.call(file: "echo", function: "on_event", arguments: [value]) == value)
        #expect(sandbox.stackTop == 0)
    }

    @Test func budgetsAreConfigurable() throws {
        let sandbox = try makeSandbox(RuleLimits(instructionLimit: 10_000, memoryLimitBytes: 1 << 20, timeoutMs: 1000))
        try sandbox.define("count", source: "function on_event(n) local s = 0 for i = 1, n do s = s + i end return s end", chunkName: "@rules/count.lua", stdlib: false)
        #expect(try sandbox.call(file: "count", function: "on_event", arguments: [1000]) == 500_500)
        let error = #expect(throws: RuleError.self) { try sandbox.call(file: "count", function: "on_event", arguments: [1_000_000]) }
        #expect(error?.kind == .budget)
        #expect(error?.message.contains("10000 instructions") == true)

        let slow = try makeSandbox(RuleLimits(instructionLimit: .max, memoryLimitBytes: 1 << 20, timeoutMs: 20))
        try slow.define("spin", source: "function on_event() while true do end end", chunkName: "@rules/spin.lua", stdlib: false)
        // No instruction limit: only the time limit (20 ms on the wall clock, 10 of them in CPU time after half-way) can have stopped it.
        let timeout = #expect(throws: RuleError.self) { try slow.call(file: "spin", function: "on_event", arguments: []) }
        #expect(timeout?.message.contains("time limit") == true)
        #expect(slow.stackTop == 0)
    }
}
