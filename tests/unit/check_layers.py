#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""src/ is one folder per stage of the data flow (src/README.md); a folder
may use the folders below it, never one above, and cli/ and agent/ are
peers that do not use each other. Checked twice: by the includes in the
sources, and by the calls in the built objects (a symbol an object needs
must be defined in its own folder or one below), so a forward declaration
cannot hide an upward call. Prints TAP-like lines that tests/run.sh counts."""
import os
import re
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SRC = os.path.join(ROOT, "src")
OBJ = os.path.join(ROOT, "build", "obj")
# bottom to top; folders on one rank must not use each other
RANKS = [["base"], ["golang"], ["symbols"], ["ledgers"], ["trace"], ["report"],
         ["export"], ["cli", "agent"], ["main"]]
RANK = {f: i for i, names in enumerate(RANKS) for f in names}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def folder_of(rel):
    """'trace/probes.c' -> 'trace'; 'main.c' -> 'main'."""
    return rel.split("/", 1)[0] if "/" in rel else "main"


def allowed(user, used):
    if user == used:
        return True
    return RANK[used] < RANK[user]


def sources():
    for d, _, files in os.walk(SRC):
        for f in files:
            if f.endswith((".c", ".h")):
                path = os.path.join(d, f)
                yield os.path.relpath(path, SRC), path


def check_includes():
    bad, unknown = [], []
    for rel, path in sources():
        user = folder_of(rel)
        if user not in RANK:
            unknown.append(rel)
            continue
        for inc in INCLUDE.findall(open(path).read()):
            if "/" not in inc:
                continue  # bpf/ headers and generated skeletons
            used = inc.split("/", 1)[0]
            if used not in RANK:
                if os.path.exists(os.path.join(SRC, inc)):
                    unknown.append(inc)
                continue
            if not allowed(user, used):
                bad.append(f"{rel} includes {inc}")
    return bad, unknown


def nm(path, flags):
    out = subprocess.run(["nm", *flags, path], capture_output=True, text=True, check=True)
    return out.stdout.split("\n")


def check_calls():
    defined, needed = {}, []
    for d, _, files in os.walk(OBJ):
        for f in files:
            if not f.endswith(".o"):
                continue
            path = os.path.join(d, f)
            rel = os.path.relpath(path, OBJ)
            folder = folder_of(rel)
            for line in nm(path, ["--defined-only", "-g"]):
                parts = line.split()
                if len(parts) == 3:
                    defined[parts[2]] = (folder, rel)
            for line in nm(path, ["--undefined-only"]):
                parts = line.split()
                if parts:
                    needed.append((folder, rel, parts[-1]))
    bad = []
    for folder, rel, sym in needed:
        if sym in defined and not allowed(folder, defined[sym][0]):
            bad.append(f"{rel} calls {sym} from {defined[sym][1]}")
    return bad, len(defined)


def report(name, problems):
    for p in problems:
        print(f"  {p}", file=sys.stderr)
    print(f"{'not ok' if problems else 'ok'} - {name}")


def main():
    bad, unknown = check_includes()
    report("layers: no include reaches a folder above its own", bad)
    report("layers: every folder of src/ has a place in the order", unknown)
    if not os.path.isdir(OBJ):
        report("layers: no call reaches a folder above its own", ["build/obj missing: run make"])
        return
    bad, ndefined = check_calls()
    if ndefined < 100:
        bad.append(f"only {ndefined} symbols found in build/obj: objects missing?")
    report("layers: no call reaches a folder above its own", bad)


if __name__ == "__main__":
    main()
