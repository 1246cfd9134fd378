#!/usr/bin/env python3
"""`tunescope --help` and the README say the same.

usage: help_readme_test.py TUNESCOPE README.md

The README's "Commands" block names exactly the commands `tunescope --help` lists (help and
version as --help and --version); every flag the README gives a command, in that block and in
its examples (`tunescope CMD ...` and `scripts/run.sh ...`, which passes its flags to serve), is
one that `tunescope CMD --help` lists; `--version` prints the version.
"""
import re
import subprocess
import sys

problems = []


def check(cond, what):
    if not cond:
        problems.append(what)


def run(*args):
    out = subprocess.run(args, capture_output=True, text=True)
    check(out.returncode == 0, "%s exits %d" % (" ".join(args[1:]), out.returncode))
    return out.stdout


def help_flags(tunescope, command):
    return set(re.findall(r"^\s+(--[a-z0-9.-]+)", run(tunescope, command, "--help"), re.M))


def main(tunescope, readme_path):
    readme = open(readme_path).read()
    top = run(tunescope, "--help")
    listed = re.search(r"^commands:\n((?:  \S.*\n)+)", top, re.M)
    check(listed is not None, "tunescope --help lists no commands")
    commands = re.findall(r"^  (\S+)", listed.group(1), re.M) if listed else []
    check({"serve", "help", "version"} <= set(commands),
          "tunescope --help lacks serve, help or version: %s" % commands)

    block = re.search(r"^## Commands\n+```\n(.*?)```", readme, re.M | re.S)
    check(block is not None, "README has no ## Commands block")
    block = block.group(1) if block else ""
    documented = re.findall(r"^tunescope (\S+)", block, re.M)
    for cmd in commands:
        if cmd in ("help", "version"):
            check("--" + cmd in block, "README's Commands block lacks --%s" % cmd)
        else:
            check(cmd in documented, "README's Commands block lacks `tunescope %s`" % cmd)
    for cmd in documented:
        check(cmd.startswith("--") or cmd in commands,
              "README documents `tunescope %s`, which tunescope --help does not list" % cmd)

    version = run(tunescope, "--version")
    check(re.match(r"^tunescope \d+\.\d+\.\d+", version) is not None,
          "tunescope --version prints %r" % version)

    # Every command line in the README's code blocks, continuation lines joined.
    code = "\n".join(re.findall(r"^```[a-z]*\n(.*?)^```", readme, re.M | re.S))
    code = code.replace("\\\n", " ")
    flags_of = {}
    for line in code.splitlines():
        line = line.split("#")[0] if not line.lstrip().startswith("tunescope --help") else ""
        m = re.match(r"\s*(?:tunescope (\w+)|scripts/run\.sh)\b(.*)", line)
        if not m:
            continue
        cmd = m.group(1) or "serve"
        if cmd not in commands:
            continue
        # Quoted arguments (--load "wrk ...") may hold other programs' flags.
        args = re.sub(r'"[^"]*"', '""', m.group(2))
        flags_of.setdefault(cmd, set()).update(re.findall(r"(--[a-z0-9][a-z0-9.-]*)", args))
    check(flags_of.get("serve") is not None, "README shows no serve flags (scripts/run.sh ...)")
    for cmd, flags in sorted(flags_of.items()):
        known = help_flags(tunescope, cmd) | {"--help"}
        for flag in sorted(flags - known):
            problems.append("README gives `tunescope %s %s`, which `tunescope %s --help` lacks"
                            % (cmd, flag, cmd))
    if problems:
        for p in problems:
            print("FAIL:", p)
        return 1
    print("PASS: commands %s; README flags of %s checked"
          % (", ".join(commands), ", ".join(sorted(flags_of))))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[2])
    sys.exit(main(sys.argv[1], sys.argv[2]))
