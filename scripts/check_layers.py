#!/usr/bin/env python3
"""Fails when a daemon source includes a header of a layer above its own.

usage: check_layers.py DAEMON_DIR

The daemon is built as one static library per layer (daemon/CMakeLists.txt), each linking only
the layers below it. Linking alone does not stop a header-only upward include (a struct from
cli/ used in advisor/), so every #include of every source is checked here against the table
below, in every build. Exit 1 lists each offending line; exit 0 prints nothing.
"""
import pathlib
import re
import sys

# Layer -> the folders of daemon/ it owns ("" is daemon/ itself), lowest first.
LAYERS = {
    "host": ["host"],
    "base": ["core", "metrics"],
    "probes": ["probes", "kernelstats"],
    "advisor": ["advisor"],
    "http": ["http"],
    "app": ["", "cli"],
}

# What no folder of daemon/ owns: headers shared with the BPF programs (bpf/*.bpf.h,
# bpf/common/), libbpf and its generated skeletons, the third-party libraries bound to one
# layer's job.
EXTERNAL = ["bpf_abi", "libbpf", "prometheus", "civetweb", "generated"]

# Layer -> what its sources may include besides their own layer.
ALLOWED = {
    "host": set(),
    "base": {"host", "bpf_abi", "prometheus", "generated"},
    "probes": {"base", "host", "bpf_abi", "libbpf", "prometheus"},
    # The evidence is the probes' metric families.
    "advisor": {"probes", "base", "host", "prometheus"},
    "http": {"probes", "base", "host", "civetweb", "prometheus"},
    "app": set(LAYERS) | set(EXTERNAL),
}

GENERATED = {"version.h"}  # configure_file outputs in the build tree
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')
SOURCE_SUFFIXES = {".h", ".cpp"}


def layer_of_folder(folder):
    for layer, folders in LAYERS.items():
        if folder in folders:
            return layer
    return None


def layer_of_file(daemon, path):
    rel = path.relative_to(daemon)
    return layer_of_folder(rel.parts[0] if len(rel.parts) > 1 else "")


def layer_of_include(daemon, source, quote, name):
    """The layer (or EXTERNAL kind) `name` resolves to; None for the system and standard ones."""
    if quote == "<":
        if name.startswith("bpf/"):
            return "libbpf"
        if name.startswith("prometheus/"):
            return "prometheus"
        if name == "civetweb.h":
            return "civetweb"
        return None
    if name.endswith(".skel.h"):
        return "libbpf"
    if name in GENERATED:
        return "generated"
    # The preprocessor looks beside the including file first, then on the include path.
    for candidate in (source.parent / name, daemon / name):
        if candidate.is_file():
            return layer_of_file(daemon, candidate.resolve())
    if (daemon.parent / "bpf" / name).is_file():
        return "bpf_abi"
    return "unknown"


def check(daemon):
    daemon = daemon.resolve()
    errors = []
    for path in sorted(daemon.rglob("*")):
        if path.suffix not in SOURCE_SUFFIXES or not path.is_file():
            continue
        rel = path.relative_to(daemon)
        layer = layer_of_file(daemon, path)
        if layer is None:
            errors.append(f"daemon/{rel}: folder {rel.parts[0]}/ is in no layer "
                          "(add it to LAYERS in scripts/check_layers.py)")
            continue
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            m = INCLUDE.match(line)
            if not m:
                continue
            target = layer_of_include(daemon, path, m.group(1), m.group(2))
            if target is None or target == layer or target in ALLOWED[layer]:
                continue
            if target == "unknown":
                errors.append(f"daemon/{rel}:{number}: \"{m.group(2)}\" is found nowhere")
                continue
            allowed = ", ".join(sorted(ALLOWED[layer])) or "nothing else"
            errors.append(f"daemon/{rel}:{number}: layer {layer} includes {m.group(2)} "
                          f"(layer {target}); {layer} may include: {allowed}")
    return errors


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    errors = check(pathlib.Path(sys.argv[1]))
    for e in errors:
        print(e, file=sys.stderr)
    if errors:
        print(f"{len(errors)} include(s) break the daemon's layering (scripts/check_layers.py)",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
