#ifndef DOCKET_CLUASHIM_H
#define DOCKET_CLUASHIM_H

#include <stddef.h>
#include <stdint.h>
#include <lua.h>
#include <lualib.h>
#include <lauxlib.h>

/// Per-state budget, owned by the state's allocator. Read and written only by the thread
/// that owns the state.
typedef struct DocketLuaBudget {
    size_t used;                  ///< bytes allocated now
    size_t memory_limit;          ///< cap on `used` while a budgeted call runs
    size_t memory_allowance;      ///< what the call may add on top of the state's own memory
    int enforcing;                ///< 1 while a budgeted call runs
    int killed;                   ///< 1 once a budget ran out during this call
    int64_t instructions;         ///< VM instructions counted in this call (hook granularity)
    int64_t instruction_limit;
    int64_t deadline_ns;          ///< CLOCK_MONOTONIC deadline of this call
    int64_t halfway_ns;           ///< CLOCK_MONOTONIC half-way point of this call's limit
    int64_t cpu_mark_ns;          ///< the thread's CPU time when first seen past half-way; -1 before
    int64_t cpu_allowance_ns;     ///< CPU time the call may use after half-way (half its limit)
    char reason[160];             ///< why the call was stopped
} DocketLuaBudget;

/// A state whose allocator enforces `budget` (which must outlive the state). Opens
/// base, string, table, math, utf8 and debug (debug only for the trusted bootstrap).
lua_State *docket_lua_newstate(DocketLuaBudget *budget);

/// Calls the function below `nargs` arguments with the budget armed: instruction count,
/// deadline, memory. Returns a LUA_* status; on error the message (with traceback) is on
/// the stack. The stack ends as lua_pcall leaves it.
int docket_lua_budgeted_call(lua_State *L, int nargs, int nresults, int64_t instruction_limit,
                             int64_t timeout_ns, size_t memory_limit);

/// Unbudgeted protected call with a traceback handler (trusted bootstrap code only).
int docket_lua_pcall(lua_State *L, int nargs, int nresults);

int64_t docket_monotonic_ns(void);

/// The calling thread's CPU time (a call's time limit counts it after half-way).
int64_t docket_thread_cpu_ns(void);

/// Loads `source` in text mode only (binary chunks are refused).
int docket_lua_loadtext(lua_State *L, const char *source, size_t length, const char *chunkname);

/* Lua's function-like macros as functions Swift can call. */
static inline void docket_lua_pop(lua_State *L, int n) { lua_settop(L, -(n) - 1); }
static inline void docket_lua_newtable(lua_State *L) { lua_createtable(L, 0, 0); }
static inline const char *docket_lua_tolstring(lua_State *L, int i, size_t *len) { return lua_tolstring(L, i, len); }
static inline int docket_lua_isinteger(lua_State *L, int i) { return lua_isinteger(L, i); }
static inline lua_Integer docket_lua_tointeger(lua_State *L, int i) { return lua_tointegerx(L, i, NULL); }
static inline lua_Number docket_lua_tonumber(lua_State *L, int i) { return lua_tonumberx(L, i, NULL); }
static inline void docket_lua_getregistry(lua_State *L, const char *key) { lua_getfield(L, LUA_REGISTRYINDEX, key); }
static inline void docket_lua_setregistry(lua_State *L, const char *key) { lua_setfield(L, LUA_REGISTRYINDEX, key); }
static inline int docket_lua_upvalueindex(int i) { return lua_upvalueindex(i); }
static inline void docket_lua_remove(lua_State *L, int i) { lua_rotate(L, i, -1); lua_settop(L, -2); }
static inline void docket_lua_insert(lua_State *L, int i) { lua_rotate(L, i, 1); }

#endif
