/* The floor for rule evaluation: the same LUXFREE on_ticket_created called straight through
   lua_pcall from C, with the rule file and its modules loaded once and the event and context
   tables built once. No sandbox, no fresh globals, no budget hook, no result decoding.
   Build and run: bench/rules_floor.sh */
#include <lua.h>
#include <lualib.h>
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static const char *root;

static int load_module(lua_State *L) {
    const char *name = luaL_checkstring(L, 1);
    char path[512];
    if (name[0] == 'd') snprintf(path, sizeof path, "%s/Rules/docket/%s.lua", root, name + 7);
    else snprintf(path, sizeof path, "%s/IndustryPacks/luxfree-solar/rules/%s.lua", root, name);
    if (luaL_loadfile(L, path) != LUA_OK) return lua_error(L);
    lua_call(L, 0, 1);
    return 1;
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    root = argc > 1 ? argv[1] : ".";
    long iterations = argc > 2 ? atol(argv[2]) : 1000000;
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    /* require for Rules/ and the pack's modules; unbounded_string as the stdlib expects */
    luaL_dostring(L, "unbounded_string = string");
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "preload");
    const char *modules[] = { "docket.text", "docket.actions", "docket.hours", "docket.routing", "keywords" };
    for (int i = 0; i < 5; i++) { lua_pushcfunction(L, load_module); lua_setfield(L, -2, modules[i]); }
    lua_settop(L, 0);
    char path[512];
    snprintf(path, sizeof path, "%s/IndustryPacks/luxfree-solar/rules/triage.lua", root);
    if (luaL_dofile(L, path) != LUA_OK) { fprintf(stderr, "%s\n", lua_tostring(L, -1)); return 1; }
    /* The event and context of the "sparks on a pole" fixture, office open. */
    luaL_dostring(L,
        "bench_event = { type = 'ticket.created', actor = 'bench', details = {}, ticket = {"
        " ticketId = '', subject = 'Chispas en el poste', description = 'Salen chispas del poste frente a mi casa',"
        " category = 'other', priority = 'medium', status = 'new', customerId = 'c', source = 'web', tags = {},"
        " createdAt = '2026-11-18T16:00:00.000Z', escalated = false, number = 0, attachments = 0 } }\n"
        "bench_ctx = { now = 1795017600, nowIso = '2026-11-18T16:00:00.000Z',"
        " ['local'] = { year = 2026, month = 11, day = 18, hour = 10, minute = 0, weekday = 3 },"
        " tenant = { id = 'bench', locale = 'es', timeZone = 'America/Mexico_City', defaultCategory = 'other',"
        " categories = {}, queues = {}, terminology = {} }, agents = {} }");
    int fn = (lua_getglobal(L, "on_ticket_created"), luaL_ref(L, LUA_REGISTRYINDEX));
    int ev = (lua_getglobal(L, "bench_event"), luaL_ref(L, LUA_REGISTRYINDEX));
    int cx = (lua_getglobal(L, "bench_ctx"), luaL_ref(L, LUA_REGISTRYINDEX));
    long actions = 0;
    for (long i = 0; i < 1000; i++) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, fn); lua_rawgeti(L, LUA_REGISTRYINDEX, ev); lua_rawgeti(L, LUA_REGISTRYINDEX, cx);
        lua_pcall(L, 2, 1, 0); lua_settop(L, 0);
    }
    double start = now();
    for (long i = 0; i < iterations; i++) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, fn); lua_rawgeti(L, LUA_REGISTRYINDEX, ev); lua_rawgeti(L, LUA_REGISTRYINDEX, cx);
        if (lua_pcall(L, 2, 1, 0) != LUA_OK) { fprintf(stderr, "%s\n", lua_tostring(L, -1)); return 1; }
        actions += (long)luaL_len(L, -1);
        lua_settop(L, 0);
    }
    double elapsed = now() - start;
    printf("C floor: %ld calls in %.2f s: %.2f us per call (%ld actions each)\n", iterations, elapsed, elapsed * 1e6 / iterations, actions / iterations);
    lua_close(L);
    return 0;
}
