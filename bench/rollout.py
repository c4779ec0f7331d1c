#!/usr/bin/env python3
"""Starts a staged rollout on a bench server: the tenant's active version copied under another
pack id (the same rules), as a shadow or a 50 % canary. Usage: rollout.py BASE ADMIN_TOKEN MODE"""
import json
import sys
import urllib.request

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
    request["percent"] = 50
rollout = call("PUT", "/api/v2/tenants/default/pack/rollout", request)["rollout"]
print(f"   rollout: {rollout['mode']} of {rollout['packId']} {rollout['version']} beside {rollout['activeVersion']}")
