#!/usr/bin/env python3
"""build.layers: the layer check passes on the daemon as it is and fails on planted upward
includes, each in a copy of the tree (the real tree is never touched).

usage: layers_test.py SOURCE_DIR
"""
import pathlib
import shutil
import subprocess
import sys
import tempfile

source = pathlib.Path(sys.argv[1])
checker = source / "scripts" / "check_layers.py"
failures = []


def run(root):
    return subprocess.run([sys.executable, str(checker), str(root / "daemon")],
                          capture_output=True, text=True)


def with_copy(plant):
    """Runs the checker on a copy of daemon/ (and bpf/, which it resolves) after plant(root)."""
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        shutil.copytree(source / "daemon", root / "daemon")
        shutil.copytree(source / "bpf", root / "bpf", ignore=shutil.ignore_patterns("vmlinux"))
        plant(root)
        return run(root)


def prepend(root, rel, line):
    path = root / "daemon" / rel
    path.write_text(line + "\n" + path.read_text())


clean = with_copy(lambda root: None)
if clean.returncode != 0:
    failures.append("the unmodified tree fails:\n" + clean.stderr)

# Each plant: (file, include, the layer named in the message).
plants = [
    ("advisor/report.cpp", '#include "http/http_server.h"', "layer advisor includes"),
    ("advisor/evidence.h", '#include "cli/serve_flags.h"', "layer advisor includes"),
    ("host/text.cpp", '#include "core/log.h"', "layer host includes"),
    ("host/text.cpp", "#include <bpf/libbpf.h>", "layer host includes"),
    ("core/log.cpp", '#include "probes/probe.h"', "layer base includes"),
    ("probes/probe.h", '#include "advisor/catalogue.h"', "layer probes includes"),
    ("http/endpoints.cpp", '#include "advisor/report.h"', "layer http includes"),
    # A sibling include resolves beside the file first, as the preprocessor does.
    ("probes/probe.h", '#include "../runtime.h"', "layer probes includes"),
]
for rel, include, expected in plants:
    result = with_copy(lambda root: prepend(root, rel, include))
    if result.returncode == 0:
        failures.append(f"{include} in {rel} passed the check")
    elif f"daemon/{rel}:1: {expected}" not in result.stderr:
        failures.append(f"{include} in {rel}: message does not name the line:\n{result.stderr}")

# A new folder in no layer is refused too, so that the table is kept complete.
def new_folder(root):
    (root / "daemon" / "extra").mkdir()
    (root / "daemon" / "extra" / "x.h").write_text("#pragma once\n")


result = with_copy(new_folder)
if result.returncode == 0 or "is in no layer" not in result.stderr:
    failures.append("a folder in no layer passed:\n" + result.stderr)

for f in failures:
    print("FAIL:", f)
print(f"{len(plants) + 2 - len(failures)} of {len(plants) + 2} checks passed")
sys.exit(1 if failures else 0)
