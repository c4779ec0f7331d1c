#include "CLuaShim.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Allocation allowed past the cap once a call is killed, so the error message and
   traceback can still be built. */
#define DOCKET_GRACE_BYTES (64 * 1024)
/* The hook runs every this many VM instructions. */
#define DOCKET_HOOK_STEP 1000

int64_t docket_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The CPU time of the calling thread. A rule runs on one thread from start to end and cannot
   block (the sandbox has no I/O), so wall time beyond its CPU time is only the thread waiting for
   a core: on a loaded CI machine a 50 ms wall-clock limit stopped a rule that takes microseconds.
   Reading it is a system call (~0.6 µs here, against 28 ns for the monotonic clock), so the
   hook reads it only once a call has run for half its limit on the wall clock (see
   `over_time`), never in an ordinary call. */
int64_t docket_thread_cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The time limit: a call is stopped once it has run for its whole limit on the wall clock and
   has used at least half of it in CPU time since it reached half-way. A rule that computes all
   along is stopped at its limit, as before; one that only waited for a core is not stopped. */
static int over_time(DocketLuaBudget *b) {
    int64_t now = docket_monotonic_ns();
    if (now <= b->halfway_ns) return 0;
    if (b->cpu_mark_ns < 0) {
        b->cpu_mark_ns = docket_thread_cpu_ns();
        return 0;
    }
    return now > b->deadline_ns && docket_thread_cpu_ns() - b->cpu_mark_ns >= b->cpu_allowance_ns;
}

static DocketLuaBudget *budget_of(lua_State *L) {
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return (DocketLuaBudget *)ud;
}

static void kill_call(DocketLuaBudget *b, const char *reason) {
    if (!b->killed) {
        b->killed = 1;
        snprintf(b->reason, sizeof b->reason, "%s", reason);
    }
}

static void *docket_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    DocketLuaBudget *b = (DocketLuaBudget *)ud;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        free(ptr);
        b->used -= old;
        return NULL;
    }
    if (b->enforcing && nsize > old) {
        size_t after = b->used - old + nsize;
        size_t cap = b->killed ? b->memory_limit + DOCKET_GRACE_BYTES : b->memory_limit;
        if (after > cap) {
            char reason[160];
            snprintf(reason, sizeof reason, "rule budget exceeded: memory limit of %zu bytes", b->memory_allowance);
            kill_call(b, reason);
            return NULL;
        }
    }
    void *p = realloc(ptr, nsize);
    if (p == NULL) return NULL;
    b->used = b->used - old + nsize;
    return p;
}

/* Checks the budget every DOCKET_HOOK_STEP instructions. Once the call is killed the hook
   re-arms on every line and every instruction, so a rule's own pcall cannot swallow the kill
   for more than one step (Redis does the same for runaway scripts). */
static void docket_hook(lua_State *L, lua_Debug *ar) {
    DocketLuaBudget *b = budget_of(L);
    if (!b->enforcing) return;
    if (!b->killed) {
        if (ar->event == LUA_HOOKCOUNT) b->instructions += DOCKET_HOOK_STEP;
        if (b->instructions > b->instruction_limit) {
            char reason[160];
            snprintf(reason, sizeof reason, "rule budget exceeded: more than %lld instructions",
                     (long long)b->instruction_limit);
            kill_call(b, reason);
        } else if (over_time(b)) {
            kill_call(b, "rule budget exceeded: time limit");
        } else {
            return;
        }
    }
    lua_sethook(L, docket_hook, LUA_MASKCOUNT | LUA_MASKLINE, 1);
    luaL_error(L, "%s", b->reason);
}

static int docket_traceback(lua_State *L) {
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

/* unchanged(env, snapshot, count, watch): true when `env` holds exactly `count` entries,
   each raw-equal to the snapshot's, and every watched upvalue {f, i, v} still holds v. The
   driver runs it after every event to prove a rule file's instance carries no state; in C
   it costs a tenth of the same loop in Lua. Raw access only: no metamethod runs. */
static int docket_unchanged(lua_State *L) {
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_Integer expected = luaL_checkinteger(L, 3);
    luaL_checktype(L, 4, LUA_TTABLE);
    lua_Integer count = 0;
    lua_pushnil(L);
    while (lua_next(L, 1) != 0) {
        lua_pushvalue(L, -2);
        lua_rawget(L, 2);
        int same = lua_rawequal(L, -1, -2);
        lua_settop(L, -3);
        if (!same) { lua_pushboolean(L, 0); return 1; }
        count++;
    }
    if (count != expected) { lua_pushboolean(L, 0); return 1; }
    lua_Integer watched = (lua_Integer)lua_rawlen(L, 4);
    for (lua_Integer j = 1; j <= watched; j++) {
        lua_rawgeti(L, 4, j);
        if (lua_rawgeti(L, -1, 1) != LUA_TFUNCTION) { lua_pushboolean(L, 0); return 1; }
        lua_rawgeti(L, -2, 2);
        int index = (int)lua_tointegerx(L, -1, NULL);
        lua_settop(L, -2);
        if (lua_getupvalue(L, -1, index) == NULL) { lua_pushboolean(L, 0); return 1; }
        lua_rawgeti(L, -3, 3);
        int same = lua_rawequal(L, -1, -2);
        lua_settop(L, -5);
        if (!same) { lua_pushboolean(L, 0); return 1; }
    }
    lua_pushboolean(L, 1);
    return 1;
}

lua_State *docket_lua_newstate(DocketLuaBudget *budget) {
    memset(budget, 0, sizeof *budget);
    lua_State *L = lua_newstate(docket_alloc, budget);
    if (L == NULL) return NULL;
    luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
    luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
    luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
    luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
    luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 1);
    luaL_requiref(L, LUA_DBLIBNAME, luaopen_debug, 1);
    lua_settop(L, 0);
    /* For the bootstrap only, which takes it and clears the global. */
    lua_register(L, "docket_unchanged", docket_unchanged);
    return L;
}

static int protected_call(lua_State *L, int nargs, int nresults) {
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, docket_traceback);
    lua_rotate(L, base, 1);
    int status = lua_pcall(L, nargs, nresults, base);
    lua_rotate(L, base, -1);
    lua_settop(L, -2);
    return status;
}

int docket_lua_pcall(lua_State *L, int nargs, int nresults) {
    return protected_call(L, nargs, nresults);
}

int docket_lua_budgeted_call(lua_State *L, int nargs, int nresults, int64_t instruction_limit,
                             int64_t timeout_ns, size_t memory_limit) {
    DocketLuaBudget *b = budget_of(L);
    b->killed = 0;
    b->reason[0] = '\0';
    b->instructions = 0;
    b->instruction_limit = instruction_limit;
    int64_t start = docket_monotonic_ns();
    b->deadline_ns = start + timeout_ns;
    b->halfway_ns = start + timeout_ns / 2;
    b->cpu_mark_ns = -1;
    b->cpu_allowance_ns = timeout_ns - timeout_ns / 2;
    /* The cap counts what the call adds on top of what the state already holds. */
    b->memory_allowance = memory_limit;
    b->memory_limit = b->used + memory_limit;
    b->enforcing = 1;
    lua_sethook(L, docket_hook, LUA_MASKCOUNT, DOCKET_HOOK_STEP);
    int status = protected_call(L, nargs, nresults);
    lua_sethook(L, NULL, 0, 0);
    b->enforcing = 0;
    return status;
}

int docket_lua_loadtext(lua_State *L, const char *source, size_t length, const char *chunkname) {
    return luaL_loadbufferx(L, source, length, chunkname, "t");
}
