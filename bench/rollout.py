#!/usr/bin/env python3
"""Starts a staged rollout on a bench server: the tenant's active version copied under another
pack id (the same rules), as a shadow or a 10 % canary. Usage: rollout.py BASE ADMIN_TOKEN MODE;
rollout.py --report reads GET /pack/rollout's answer on stdin and prints the candidate's share."""
import json
import sys
import urllib.request

if sys.argv[1:] == ["--report"]:
    # The rollout's figures (GET /pack/rollout on stdin): what share of creates the candidate decided.
    r = json.load(sys.stdin)["rollout"]
    decided, events = r["candidate"]["decided"], max(1, r["events"])
    print(f"   rollout {r['state']}: {r['events']} events, the candidate decided {decided} ({100 * decided / events:.2f} %), "
          f"differing {r['differing']}, candidate errors {r['candidate']['errors']}")
    sys.exit(0)

base, token, mode = sys.argv[1], sys.argv[2], sys.argv[3]


def call(method, path, body=None):
    request = urllib.request.Request(base + path, method=method, data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        return json.loads(response.read() or b"{}")


pack = call("GET", "/api/v2/tenants/default")["tenant"]["pack"]
files = call("GET", f"/api/v2/packs/{pack['id']}/versions/{pack['version']}")["files"]
lines = ["id: default-bench" if line.startswith("id:") else line for line in files["pack.yaml"].split("\n")]
files["pack.yaml"] = "\n".join(lines)
stored = call("POST", "/api/v2/packs", {"files": files})["version"]
request = {"pack": stored["packId"], "version": stored["version"], "mode": mode}
if mode == "canary":
    request["percent"] = 10
rollout = call("PUT", "/api/v2/tenants/default/pack/rollout", request)["rollout"]
print(f"   rollout: {rollout['mode']} of {rollout['packId']} {rollout['version']} beside {rollout['activeVersion']}")
