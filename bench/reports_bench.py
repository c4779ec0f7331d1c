"""Times the dashboard's report questions against a running server (see bench/reports.sh)."""
import json
import sys
import time
import urllib.request

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from benchstats import percentile  # noqa: E402

base, token, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
QUESTIONS = [
    ("volume", "lastDays=365&interval=month"),
    ("volume", "lastDays=365&interval=week&by=channel"),
    ("volume", "lastDays=365&interval=day&by=category"),
    ("volume", "lastDays=365&interval=month&by=agent"),
    ("volume", "lastDays=90&interval=day&priority=high"),
    ("volume", "lastDays=7&interval=hour&by=queue"),
    ("backlog", "lastDays=365&interval=week"),
    ("backlog", "lastDays=30&interval=day&by=status"),
    ("times", "lastDays=365&interval=month"),
    ("times", "lastDays=365&interval=week&by=priority"),
    ("times", "lastDays=30&interval=day&by=agent"),
    ("agents", "lastDays=365&interval=month"),
    ("agents", "lastDays=30&interval=day"),
    ("satisfaction", "lastDays=365&interval=week"),
    ("satisfaction", "lastDays=90&interval=day&by=channel"),
]


def ask(path):
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as answer:
        body = answer.read()
    return (time.perf_counter() - started) * 1000, json.loads(body)


everything = []
print(f"{'report':<13} {'question':<42} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  created")
for report, question in QUESTIONS:
    path = f"/api/v2/reports/{report}?{question}"
    ask(path)  # once to warm the page cache
    times = []
    for _ in range(runs):
        elapsed, answer = ask(path)
        times.append(elapsed)
    everything += times
    created = answer["totals"].get("created", answer["totals"].get("ratings", answer["totals"].get("open", "")))
    print(f"{report:<13} {question:<42} {percentile(times, 50):8.1f} {percentile(times, 95):8.1f} {max(times):8.1f}  {created}")
print(f"all {len(everything)} answers: p50 {percentile(everything, 50):.1f} ms, p95 {percentile(everything, 95):.1f} ms, max {max(everything):.1f} ms")
