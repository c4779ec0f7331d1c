#!/usr/bin/env python3
"""Which tables and indexes the pages of the embedded store's write-ahead log belong to.

Usage: bench/wal_pages.py DATA_DIR [--tickets-before N]

Copies DATA_DIR/docket.sqlite and its -wal while the server runs, reads the frames of the log's
current generation (those whose salts match the log header: older frames are left over from
before the log last started over), and names each frame's page with SQLite's dbstat view on the
copy. Prints, per table or index, the frames written since the log started over and their share
of them; with the number of commits in that span, the frames per commit. A page written by
every commit of a group (an index whose keys are appended, like created_at) costs one frame per
commit; one a change lands on at random (an index on a customer id) costs one frame per change.
"""
import os
import shutil
import sqlite3
import struct
import sys
import tempfile
from collections import Counter


def frames(wal):
    """(page number, is commit) of each frame of the log's current generation."""
    with open(wal, "rb") as f:
        header = f.read(32)
        if len(header) < 32:
            return []
        magic, _version, page_size, _checkpoint, salt1, salt2 = struct.unpack(">IIIIII", header[:24])
        if magic not in (0x377F0682, 0x377F0683):
            raise SystemExit(f"{wal}: not a write-ahead log")
        out = []
        while True:
            frame = f.read(24)
            if len(frame) < 24:
                break
            page, commit, s1, s2 = struct.unpack(">IIII", frame[:16])
            if (s1, s2) != (salt1, salt2):
                break
            if len(f.read(page_size)) < page_size:
                break
            out.append((page, commit != 0))
        return out


def main():
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    data = sys.argv[1]
    db = os.path.join(data, "docket.sqlite")
    work = tempfile.mkdtemp()
    try:
        # The log first: the database may only gain pages the log also holds.
        shutil.copy(db + "-wal", os.path.join(work, "copy.sqlite-wal"))
        shutil.copy(db, os.path.join(work, "copy.sqlite"))
        log = frames(os.path.join(work, "copy.sqlite-wal"))
        names = {}
        connection = sqlite3.connect(os.path.join(work, "copy.sqlite"))
        for name, page in connection.execute("SELECT name, pageno FROM dbstat"):
            names[page] = name
        connection.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    commits = sum(1 for _, commit in log if commit)
    counts = Counter(names.get(page, "(free or new)") for page, _ in log)
    total = sum(counts.values())
    if total == 0:
        print("the log holds no frames of its current generation")
        return
    print(f"{total} frames in {commits} commits ({total / max(commits, 1):.1f} per commit)")
    print(f"{'table or index':40} {'frames':>8} {'share':>7} {'per commit':>11}")
    for name, count in counts.most_common():
        print(f"{name:40} {count:8} {count / total:7.1%} {count / max(commits, 1):11.2f}")


if __name__ == "__main__":
    main()
