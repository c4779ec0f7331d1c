/// Trusted Lua run once per state before any rule. It keeps private references to what the
/// sandbox must not expose (debug.setupvalue, load), builds the allow-listed globals, and
/// returns the driver the Swift side calls: define, compile, functions, run.
enum LuaBootstrap {
    static let chunkName = "=docket.bootstrap"

    static let source = #"""
    local setupvalue, getupvalue, getinfo = debug.setupvalue, debug.getupvalue, debug.getinfo
    local load, setmetatable, getmetatable, rawget, rawset = load, setmetatable, getmetatable, rawget, rawset
    local type, error, pairs, next, tostring, select, pcall = type, error, pairs, next, tostring, select, pcall
    local MAX_PATTERN = 128
    local native_unchanged = docket_unchanged  -- C (shim.c): see unchanged below

    local frozen = setmetatable({}, { __mode = "k" })    -- read-only proxies
    local inner_of = setmetatable({}, { __mode = "k" })  -- proxy -> the table it guards

    local function readonly(t, name)
      local proxy = setmetatable({}, {
        __index = t,
        __newindex = function(_, k) error("attempt to modify read-only table '" .. name .. "'", 2) end,
        __len = function() return #t end,
        -- An iterator that hides `t`: `local _, raw = pairs(proxy)` must not reach the table.
        __pairs = function() return function(_, k) return next(t, k) end, nil, nil end,
        __metatable = false,
      })
      frozen[proxy] = true
      inner_of[proxy] = t
      return proxy
    end

    local function copy(t, except)
      local out = {}
      for k, v in pairs(t) do
        if not (except and except[k]) then out[k] = v end
      end
      return out
    end

    -- Pattern matching runs in C, where the instruction hook cannot stop it, and backtracking
    -- costs up to (subject length)^(quantifiers + 1). Refuse patterns whose worst case is
    -- above MAX_PATTERN_COST steps; plain find is linear and always allowed.
    local byte, log = string.byte, math.log
    local MAX_PATTERN_COST = log(1e8)
    local QUANTIFIERS = { [42] = true, [43] = true, [45] = true, [63] = true }  -- * + - ?
    -- Quantifiers per pattern, remembered: rules use the same few patterns on every event
    -- (counting them byte by byte was a Lua call per character). Bounded.
    local quantifiers_of, known_patterns = {}, 0
    local function quantifiers_in(pattern)
      local count = quantifiers_of[pattern]
      if count then return count end
      count = 0
      local i = 1
      while i <= #pattern do
        local c = byte(pattern, i)
        if c == 37 then i = i + 1 elseif QUANTIFIERS[c] then count = count + 1 end
        i = i + 1
      end
      if known_patterns >= 1024 then quantifiers_of, known_patterns = {}, 0 end
      quantifiers_of[pattern] = count
      known_patterns = known_patterns + 1
      return count
    end

    local function bounded(f, name)
      return function(s, pattern, init, plain)
        if type(pattern) == "string" then
          if #pattern > MAX_PATTERN then
            error(name .. ": patterns are limited to " .. MAX_PATTERN .. " characters", 2)
          end
          if not (plain and name == "string.find") then
            local quantifiers = quantifiers_in(pattern)
            if quantifiers > 0 then
              local length = type(s) == "string" and #s or #tostring(s)
              if (quantifiers + 1) * log(length + 1) > MAX_PATTERN_COST then
                error(name .. ": pattern too costly for a subject of " .. length .. " bytes ("
                  .. quantifiers .. " quantifiers); use plain find or the docket.text helpers", 2)
              end
            end
          end
        end
        return f(s, pattern, init, plain)
      end
    end

    -- When the hook kills a rule, Lua runs the error handler with hooks off; run a rule's
    -- handler only after the failed call has unwound, so the budget still applies to it.
    local pack, unpack = table.pack, table.unpack
    local function safe_xpcall(f, handler, ...)
      local results = pack(pcall(f, ...))
      if results[1] then return unpack(results, 1, results.n) end
      return false, handler(results[2])
    end

    local safe_string = copy(string, { dump = true })
    for _, name in pairs({ "find", "match", "gmatch", "gsub" }) do
      safe_string[name] = bounded(string[name], "string." .. name)
    end
    local string_proxy = readonly(safe_string, "string")
    -- ("x"):method() goes through the sandboxed table, and nobody reaches the metatable.
    local string_mt = getmetatable("")
    string_mt.__index = string_proxy
    string_mt.__metatable = false

    -- A finalizer would run at some later collection, outside any rule's budget.
    local function safe_setmetatable(t, mt)
      if type(mt) == "table" and rawget(mt, "__gc") ~= nil then
        error("setmetatable: __gc finalizers are not allowed in rules", 2)
      end
      return setmetatable(t, mt)
    end

    local globals = {
      assert = assert, error = error, ipairs = ipairs, next = next, pairs = pairs, pcall = pcall,
      rawequal = rawequal, rawget = rawget, rawlen = rawlen, select = select, tonumber = tonumber,
      tostring = tostring, type = type, xpcall = safe_xpcall, setmetatable = safe_setmetatable,
      getmetatable = getmetatable, _VERSION = _VERSION,
      string = string_proxy,
      table = readonly(copy(table), "table"),
      math = readonly(copy(math, { random = true, randomseed = true }), "math"),
      utf8 = readonly(copy(utf8), "utf8"),
    }

    -- A fresh global table for one chunk: reads fall back to the allow-list (unknown names
    -- raise), writes are allowed only while the chunk's top level runs (to define functions).
    -- Rules/ modules are reviewed code: they also get the unbounded pattern functions
    -- (for linear patterns such as accent folding over long descriptions).
    local trusted_globals = {
      unbounded_string = readonly({ find = string.find, match = string.match, gmatch = string.gmatch, gsub = string.gsub }, "unbounded_string"),
    }

    -- What a chunk's global reads resolve to: a plain table, so the VM finds allowed names
    -- without calling any function (a function here cost a Lua call per global read); only
    -- an unknown name reaches the erroring fallback. Built on first use, once every allowed
    -- global (require too) is in place. Reviewed Rules/ code also gets the full string library.
    local views = {}
    local function view(trusted)
      local key = trusted and "trusted" or "rules"
      if views[key] then return views[key] end
      local out = {}
      for k, v in next, globals do out[k] = v end
      if trusted then
        for k, v in next, trusted_globals do out[k] = v end
        out.string = readonly(copy(string, { dump = true }), "string")
      end
      setmetatable(out, {
        __index = function(_, k) error("unknown global '" .. tostring(k) .. "'", 2) end,
        __newindex = function(_, k) error("assignment to global '" .. tostring(k) .. "'", 2) end,
        __metatable = false,
      })
      views[key] = out
      return out
    end

    local function sandbox_env(trusted)
      local defining = true
      local env = setmetatable({}, {
        __index = view(trusted),
        __newindex = function(t, k, v)
          if defining then rawset(t, k, v) return end
          error("assignment to global '" .. tostring(k) .. "' (use local variables)", 2)
        end,
        __metatable = false,
      })
      return env, function() defining = false end
    end

    local function freeze(value, name, seen)
      if type(value) ~= "table" or frozen[value] then return value end
      seen = seen or {}
      if seen[value] then return seen[value] end
      local inner = {}
      local proxy = readonly(inner, name)
      seen[value] = proxy
      for k, v in next, value do inner[k] = freeze(v, name, seen) end
      return proxy
    end

    -- ctx.tenant is the same for every event of a tenant version: built once (from Swift,
    -- on a miss), frozen here, and reused. Bounded: cleared when it holds too many tenants.
    -- Kept in the registry (docket.tenants), where the Swift side looks a tenant up directly.
    local registry = debug.getregistry()
    local tenants, tenant_count, MAX_TENANTS = {}, 0, 256
    registry["docket.tenants"] = tenants

    local sources = {}   -- module name -> { text, chunk, stdlib }
    local pack_chunks = {}  -- chunk names of the pack's files (not the reviewed Rules/ library)
    local compiled = {}  -- module name -> main function (env set per run)
    local stdlib = {}    -- frozen Rules/ modules, kept for the state's life
    local data = {}      -- frozen pack modules holding only data, kept for the state's life
    local loaded = {}    -- the pack's other modules, per evaluation

    -- True when `value` is plain data: no functions (which could keep state in upvalues),
    -- no metatables. Such a module, once frozen, cannot carry anything from one event to the next.
    local function is_data(value, seen)
      local kind = type(value)
      if kind ~= "table" then return kind ~= "function" and kind ~= "userdata" and kind ~= "thread" end
      if getmetatable(value) ~= nil or seen[value] then return getmetatable(value) == nil end
      seen[value] = true
      for k, v in next, value do
        if not is_data(k, seen) or not is_data(v, seen) then return false end
      end
      return true
    end

    local function compile(name)
      local fn = compiled[name]
      if fn then return fn end
      local src = sources[name]
      if not src then return nil end
      local chunk, err = load(src.text, src.chunk, "t")
      if not chunk then error(err, 0) end
      compiled[name] = chunk
      return chunk
    end

    local function instantiate(name)
      local fn = compile(name)
      local env, lock = sandbox_env(sources[name].stdlib)
      setupvalue(fn, 1, env)
      local value = fn(name)
      lock()
      return value, env
    end

    globals.require = function(name)
      if type(name) ~= "string" then error("require expects a module name", 2) end
      local cached = stdlib[name] or data[name] or loaded[name]
      if cached ~= nil then return cached end
      local src = sources[name]
      if not src then
        error("module '" .. name .. "' not found (require loads Rules/ modules and the pack's own rule files)", 2)
      end
      local value = instantiate(name)
      if value == nil then value = true end
      local plain = not src.stdlib and is_data(value, {})
      value = freeze(value, name)
      if src.stdlib then stdlib[name] = value elseif plain then data[name] = value else loaded[name] = value end
      return value
    end

    local driver = {}

    -- A rule file's instance (its top level run once) is reused from event to event, because
    -- nothing can carry state in it: file-level tables (and tables reachable from its functions)
    -- are frozen, and after each event the file's globals and every other upvalue are compared
    -- with what they were; any change, or an event that did not finish, drops the instance so
    -- the next event starts from a fresh top level.
    local instances = {}

    local function is_pack_code(f)
      local info = getinfo(f, "S")
      return info ~= nil and pack_chunks[info.source] == true
    end

    local watch_function
    local function watch_table(t, watch, seen)
      if seen[t] then return end
      seen[t] = true
      local inner = inner_of[t]
      if inner == nil then return end
      for _, v in next, inner do
        if type(v) == "function" then watch_function(v, watch, seen)
        elseif type(v) == "table" then watch_table(v, watch, seen) end
      end
    end

    watch_function = function(f, watch, seen)
      if seen[f] or not is_pack_code(f) then return end
      seen[f] = true
      local i = 1
      while true do
        local uname, v = getupvalue(f, i)
        if uname == nil then break end
        if uname ~= "_ENV" then
          if type(v) == "table" then
            if not frozen[v] then
              v = freeze(v, "file-level table '" .. uname .. "' (read-only during events)")
              setupvalue(f, i, v)
            end
            watch_table(v, watch, seen)
          elseif type(v) == "function" then
            watch_function(v, watch, seen)
          end
          watch[#watch + 1] = { f, i, v }
        end
        i = i + 1
      end
    end

    local function seal(name)
      loaded = {}
      local _, env = instantiate(name)
      local snapshot, watch, seen = {}, {}, {}
      for k, v in next, env do
        snapshot[k] = v
        if type(v) == "function" then watch_function(v, watch, seen)
        elseif type(v) == "table" then
          if not frozen[v] then v = freeze(v, "global '" .. tostring(k) .. "'"); rawset(env, k, v); snapshot[k] = v end
          watch_table(v, watch, seen)
        end
      end
      local count = 0
      for _ in next, snapshot do count = count + 1 end
      return { env = env, snapshot = snapshot, count = count, watch = watch, busy = false }
    end

    local function unchanged(instance)
      return native_unchanged(instance.env, instance.snapshot, instance.count, instance.watch)
    end

    function driver.define(name, text, chunk, is_stdlib)
      sources[name] = { text = text, chunk = chunk, stdlib = is_stdlib }
      if not is_stdlib then pack_chunks[chunk] = true end
      instances = {}
      compiled[name] = nil
      stdlib[name] = nil
      data[name] = nil
    end

    function driver.compile(name)
      if not compile(name) then error("no source named '" .. name .. "'", 0) end
    end

    -- Runs a rule file's top level and lists the functions it defines.
    function driver.functions(name)
      loaded = {}
      if not compile(name) then error("no rule file named '" .. name .. "'", 0) end
      local _, env = instantiate(name)
      local out = {}
      for k, v in next, env do
        if type(v) == "function" then out[#out + 1] = k end
      end
      table.sort(out)
      return out
    end

    -- Runs `fname` of rule file `name` with fresh globals and fresh pack modules, so nothing
    -- a rule writes survives to the next call. Returns nil when the file lacks the function.
    function driver.run(name, fname, tenant_key, event, ctx)
      loaded = {}
      if tenant_key and type(ctx) == "table" and not frozen[ctx.tenant] then
        local tenant = freeze(ctx.tenant, "ctx.tenant")
        if tenant_count >= MAX_TENANTS then
          tenants, tenant_count = {}, 0
          registry["docket.tenants"] = tenants
        end
        tenants[tenant_key] = tenant
        tenant_count = tenant_count + 1
        ctx.tenant = tenant
      end
      if not compile(name) then error("no rule file named '" .. name .. "'", 0) end
      local instance = instances[name]
      if instance == nil or instance.busy then
        instances[name] = nil
        instance = seal(name)
        instances[name] = instance
      end
      local handler = rawget(instance.env, fname)
      if handler == nil then return nil end
      if type(handler) ~= "function" then error(name .. ": '" .. fname .. "' is not a function", 0) end
      instance.busy = true
      local result = handler(event, ctx)
      if unchanged(instance) then instance.busy = false else instances[name] = nil end
      return result
    end

    -- Hygiene: the real globals are never reachable from rules, but leave nothing lying about.
    for _, name in pairs({ "debug", "load", "loadstring", "dofile", "loadfile", "require", "collectgarbage", "print", "docket_unchanged" }) do
      _G[name] = nil
    end
    return driver
    """#
}
