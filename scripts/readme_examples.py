#!/usr/bin/env python3
"""Runs the README's marked examples against a real server and checks their documented answers.

A ```bash block right after a line `<!-- example -->` (invisible on GitHub) is an example. The
marked blocks run in README order in one bash session (variables carry over), from the
repository, against `docket serve` on a fresh data directory. A block marked
`<!-- example: mongodb -->` needs the MongoDB stand-in (DOCKET_TEST_MONGO_URI, as the test
command sets it; without it the block is skipped, or fails under CI): its
`mongodb://127.0.0.1:27017/` becomes the stand-in, whose `chat.conversations` is first filled
with scripts/readme-legacy-chat.json (the old chat's messages the import example reads). Each
command is a step:

- a command followed by `# → 201 {...}` must answer that status, and every `"key":value`
  shown (strings, numbers, booleans; `...` and `…` elide) must appear in the JSON answer;
- a command followed by `# → some text` must print that text (up to two spaces or a `(`);
- any other curl must answer 2xx, and any other command must exit 0.

What the runner changes before running, and nothing else: `.build/release/docket` and a
leading `docket` become the binary under test, `localhost:8080` and `127.0.0.1:8080` the test
server, `/tmp/` a scratch folder; a `swift build` step is skipped (the binary is built). Usage: scripts/readme_examples.py [path/to/docket]
(default .build/debug/docket). Exit 1 on the first example that drifted from the product.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MARK = "<!-- example -->"
MONGO_MARK = "<!-- example: mongodb -->"
EXPECT = re.compile(r"^#\s*→\s*(.*)$")
PAIR = re.compile(r'"([A-Za-z_][A-Za-z0-9_]*)":("(?:[^"\\]|\\.)*"|-?\d+(?:\.\d+)?|true|false|null)')


def blocks(text):
    """(line number, lines, needs MongoDB) of every marked bash block."""
    lines = text.split("\n")
    found = []
    for index, line in enumerate(lines):
        if line.strip() in (MARK, MONGO_MARK):
            start = index + 1
            while start < len(lines) and not lines[start].startswith("```"):
                start += 1
            if start >= len(lines) or not lines[start].startswith("```bash"):
                sys.exit(f"README.md:{index + 1}: {MARK} is not followed by a ```bash block")
            end = start + 1
            while not lines[end].startswith("```"):
                end += 1
            found.append((start + 2, lines[start + 1:end], line.strip() == MONGO_MARK))
    return found


def steps(first_line, lines):
    """Commands (continuation lines joined) with the expectations that follow them."""
    out = []
    command, line_no = [], None
    for offset, line in enumerate(lines):
        number = first_line + offset
        stripped = line.strip()
        expect = EXPECT.match(stripped)
        if expect and out and not command:
            out[-1]["expect"].append(expect.group(1))
            continue
        if not command and (not stripped or stripped.startswith("#")):
            continue
        if not command:
            line_no = number
        command.append(line)
        if not line.rstrip().endswith("\\"):
            out.append({"line": line_no, "command": "\n".join(command), "expect": []})
            command = []
    return out


def seed_legacy_chat(mongo_uri):
    """Fills chat.conversations on the stand-in with the import example's old messages."""
    python = os.path.join(ROOT, ".venv-mongo", "bin", "python")
    script = (
        "import sys, json; from pymongo import MongoClient; from bson import json_util\n"
        "client = MongoClient(sys.argv[1], serverSelectionTimeoutMS=5000)\n"
        "docs = json_util.loads(open(sys.argv[2], encoding='utf-8').read())\n"
        "client.chat.conversations.drop(); client.chat.conversations.insert_many(docs)\n")
    subprocess.run([python, "-c", script, mongo_uri, os.path.join(ROOT, "scripts", "readme-legacy-chat.json")], check=True)


def mongo_host(uri):
    """host:port of a mongodb:// URI."""
    return re.match(r"mongodb://([^/?]+)", uri).group(1)


# The longest a step may take (the slowest, a pack test in a debug build beside the suite, takes
# a few seconds).
STEP_SECONDS = 120


def rewrite(command, binary, port, scratch, mongo_uri=None):
    # The README's own /tmp/ first: the binary's path may well lie under /tmp itself.
    command = command.replace("/tmp/", scratch + "/")
    command = command.replace(".build/release/docket", binary)
    command = re.sub(r"(^|\n)(\s*)docket ", lambda m: f"{m.group(1)}{m.group(2)}{binary} ", command)
    if mongo_uri:
        command = command.replace("mongodb://127.0.0.1:27017/", f"mongodb://{mongo_host(mongo_uri)}/")
    return command.replace("localhost:8080", f"127.0.0.1:{port}").replace("127.0.0.1:8080", f"127.0.0.1:{port}")


def pairs(value, out):
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(item, (dict, list)):
                out.add((key, json.dumps(item, ensure_ascii=False)))
            pairs(item, out)
    elif isinstance(value, list):
        for item in value:
            pairs(item, out)
    return out


def check(step, output, status_codes, exit_code):
    """A problem with this step's answer, or None."""
    text = output.strip()
    if not step["expect"]:
        bad = [code for code in status_codes if not 200 <= code < 300]
        if bad:
            return f"answered {bad[0]} (a step without a documented answer must succeed)\n{text[-600:]}"
        if not status_codes and exit_code != 0:
            return f"exited {exit_code}\n{text[-600:]}"
        return None
    documented = step["expect"][0]
    status = re.match(r"^(\d{3})\b\s*(.*)$", documented)
    if status:
        wanted = int(status.group(1))
        if wanted not in status_codes:
            return f"answered {status_codes or 'nothing'}, the README says {wanted}\n{text[-600:]}"
        body = re.sub(r"\n?__STATUS__\d{3}\n?", "\n", text).strip()
        shown = PAIR.findall(" ".join([status.group(2)] + step["expect"][1:]))
        try:
            actual = pairs(json.loads(body), set())
        except ValueError:
            return f"the answer is not JSON\n{body[-600:]}"
        normalised = {(key, json.dumps(json.loads(value), ensure_ascii=False)) for key, value in shown if value not in ('"..."', '"…"')}
        missing = sorted(pair for pair in normalised if pair not in actual)
        if missing:
            return f"the answer lacks {', '.join(f'{k}={v}' for k, v in missing)}\n{body[-600:]}"
        return None
    expected = re.split(r"\s{2,}|\s\(", documented)[0].strip()
    if expected not in text:
        return f"printed no '{expected}'\n{text[-600:]}"
    return None


def main():
    binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build/debug/docket"))
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as handle:
        examples = blocks(handle.read())
    if not examples:
        sys.exit("README.md has no marked example")
    scratch = tempfile.mkdtemp(prefix="docket-readme-")
    data = os.path.join(scratch, "data")
    # On a port the kernel chooses: the server writes it to its port file once it listens.
    port_file = os.path.join(scratch, "port")
    port = None
    env = dict(os.environ, DOCKET_DATA_DIR=data)
    env.pop("DOCKET_JWT_SECRET", None)
    env.pop("DOCKET_TOKEN", None)
    env.pop("DOCKET_SERVER", None)
    server = subprocess.Popen(
        [binary, "serve", "--port", "0", "--port-file", port_file, "--data-dir", data, "--log-level", "warning"], cwd=ROOT, env=env,
        stdout=open(os.path.join(scratch, "server.log"), "w"), stderr=subprocess.STDOUT)
    shell = None
    try:
        for _ in range(600):
            try:
                with open(port_file) as handle:
                    port = int(handle.read())
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1)
                break
            except (OSError, ValueError):
                time.sleep(0.1)
        else:
            sys.exit("the server did not start:\n" + open(os.path.join(scratch, "server.log")).read()[-2000:])
        # One bash for every example: what one sets, the next one uses.
        shell = subprocess.Popen(["bash"], cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True, bufsize=1)
        # Each curl's status goes to stderr, so a piped or captured answer is the answer alone.
        shell.stdin.write("curl() { command curl -sS -w '%{stderr}\\n__STATUS__%{http_code}\\n' \"$@\"; }\n")
        ran = 0
        skipped = 0
        mongo_uri = os.environ.get("DOCKET_TEST_MONGO_URI") or None
        for first_line, lines, needs_mongo in examples:
            if needs_mongo:
                if not mongo_uri:
                    if os.environ.get("CI") == "true":
                        sys.exit(f"README.md:{first_line}: this example needs MongoDB: DOCKET_TEST_MONGO_URI is not set under CI")
                    print(f"README.md:{first_line}: skipped (needs MongoDB: set DOCKET_TEST_MONGO_URI, as scripts/test.sh does)", file=sys.stderr)
                    skipped += 1
                    continue
                seed_legacy_chat(mongo_uri)
            for step in steps(first_line, lines):
                if step["command"].lstrip().startswith("swift build"):
                    continue
                marker = f"__DONE_{ran}__"
                command = rewrite(step["command"], binary, port, scratch, mongo_uri if needs_mongo else None)
                shell.stdin.write(f"{command}\n__status=$?; echo; echo \"{marker} $__status\"\n")
                shell.stdin.flush()
                output = []
                # No step may hang the run: past its deadline the shell is killed and the step fails.
                watchdog = threading.Timer(STEP_SECONDS, shell.kill)
                watchdog.start()
                for line in shell.stdout:
                    if line.startswith(marker):
                        exit_code = int(line.split()[1])
                        break
                    output.append(line)
                else:
                    late = not watchdog.is_alive()
                    sys.exit(f"README.md:{step['line']}: " + (f"took over {STEP_SECONDS} s" if late else "the shell ended")
                             + "\n" + "".join(output)[-600:])
                watchdog.cancel()
                text = "".join(output)
                codes = [int(code) for code in re.findall(r"__STATUS__(\d{3})", text)]
                problem = check(step, text, codes, exit_code)
                if problem:
                    print(f"README.md:{step['line']}: {step['command'].splitlines()[0]}\n  {problem}", file=sys.stderr)
                    sys.exit(1)
                ran += 1
        print(f"{ran} README steps in {len(examples) - skipped} examples ran as documented")
    finally:
        if shell:
            shell.kill()
        server.terminate()
        server.wait()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
