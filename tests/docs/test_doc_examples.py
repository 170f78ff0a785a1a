#!/usr/bin/env python3
"""Docs that cannot drift (issue 18): every `$ csm-metrics ...` example in README.md and docs/*.md
is run from the checkout's root, and the output the doc shows under it (stdout and stderr as a
the output, then stderr) is compared line by line, as doctest does. In shown output a line
`...` stands for any number of lines and a line ending in `...` for any line with that beginning;
`$ echo $?` shows the previous example's exit status. A plain command line of a block without `$ `
(```sh) that names shipped files is run too, and must exit 0.

Examples are skipped, and listed as skipped, when they name a file the checkout does not ship
(customers.csv, ../shared data) or when the line before their block is the marker
`<!-- doc-test: skip -->` (with a reason after it). The test lists what it ran."""
import argparse
import glob
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

FENCE = re.compile(r"^```")
MARKER = "<!-- doc-test: skip"


def examples(path):
    """(line number, command, shown output lines, skip reason) of each `$ ` example in `path`."""
    lines = open(path, encoding="utf-8").read().split("\n")
    found = []
    i = 0
    while i < len(lines):
        if not FENCE.match(lines[i]):
            i += 1
            continue
        skip = None
        before = lines[i - 1] if i > 0 else ""
        if before.startswith(MARKER):
            skip = before[len(MARKER):].strip(" ->:") or "marked"
        j = i + 1
        block = []
        while j < len(lines) and not FENCE.match(lines[j]):
            block.append((j + 1, lines[j]))
            j += 1
        k = 0
        while k < len(block):
            number, line = block[k]
            if line.startswith("csm-metrics ") and not any(l.startswith("$ ") for _, l in block):
                # A plain command line (```sh): run it, its output is not shown.
                command = line
                while command.rstrip().endswith("\\") and k + 1 < len(block):
                    k += 1
                    command = command.rstrip()[:-1] + " " + block[k][1].strip()
                found.append((number, command.split(" #")[0].strip(), None, skip))
                k += 1
                continue
            if not line.startswith("$ "):
                k += 1
                continue
            command = line[2:]
            while command.endswith("\\") and k + 1 < len(block):
                k += 1
                command = command[:-1] + " " + block[k][1].strip()
            k += 1
            shown = []
            while k < len(block) and not block[k][1].startswith("$ "):
                shown.append(block[k][1])
                k += 1
            found.append((number, command, shown, skip))
        i = j + 1
    return found


def missing_file(command, root):
    """A file argument the checkout does not have, or None."""
    for word in shlex.split(command):
        if word in ("|", "||", "&&", ";") or word.startswith(">") or word.startswith("2>"):
            break
        if word.startswith("-") or "=" in word or " " in word:
            continue
        if re.search(r"\.(csv|tsv|json|jsonl|ndjson|csmstate)$", word) or "/" in word:
            if not os.path.exists(os.path.join(root, word)):
                return word
    return None


def has_file(command):
    words = shlex.split(command)
    return any(re.search(r"\.(csv|tsv|json|jsonl|ndjson|csmstate)$", w) for w in words if not w.startswith("-"))


def matches(shown, actual):
    """doctest-like: '...' alone is any run of lines, 'text...' any line starting with text."""
    if not shown:
        return not actual
    head = shown[0]
    if head.strip() == "...":
        return any(matches(shown[1:], actual[n:]) for n in range(len(actual) + 1))
    if not actual:
        return False
    if head.endswith("...") and actual[0].startswith(head[:-3]) or head == actual[0]:
        return matches(shown[1:], actual[1:])
    return False


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--root", required=True)
    args = parser.parse_args()
    bin_dir = tempfile.mkdtemp()
    os.symlink(os.path.abspath(args.binary), os.path.join(bin_dir, "csm-metrics"))
    env = dict(os.environ, PATH=bin_dir + os.pathsep + os.environ.get("PATH", ""), NO_COLOR="1", COLUMNS="80")
    docs = [os.path.join(args.root, "README.md")] + sorted(glob.glob(os.path.join(args.root, "docs", "*.md")))
    ran = skipped = failed = 0
    for path in docs:
        name = os.path.relpath(path, args.root)
        status = 0
        for number, command, shown, skip in examples(path):
            where = f"{name}:{number}"
            if command.strip() == "echo $?":
                actual = [str(status)]
            elif not command.startswith("csm-metrics"):
                continue
            else:
                reason = skip
                if shown is None and not reason and ("[" in command or " <" in command or "..." in command):
                    reason = "a synopsis, not a command"
                if not reason and missing_file(command, args.root):
                    reason = f"needs {missing_file(command, args.root)}, not shipped"
                if shown is None and not reason:
                    # Plain commands run only on named shipped files (or calc, which reads none),
                    # never on standard input, and write nowhere but the scratch folder.
                    if not has_file(command) and not (command.startswith("csm-metrics calc ")
                                                      or command == "csm-metrics --version"):
                        reason = "reads standard input or names no file"
                    elif "| jq" in command and shutil.which("jq") is None:
                        reason = "needs jq"
                if reason and shown is None:
                    skipped += 1
                    print(f"skip {where}: {command[:70]} ({reason})")
                    continue
                if reason:
                    skipped += 1
                    print(f"skip {where}: {command[:70]} ({reason})")
                    continue
                with tempfile.TemporaryDirectory() as work:
                    # From a scratch folder that sees the checkout's examples/ and tests/, so that the
                    # doc's relative paths work and its outputs (-o report.html) stay out of the checkout.
                    for folder in ("examples", "tests"):
                        os.symlink(os.path.join(os.path.abspath(args.root), folder), os.path.join(work, folder))
                    result = subprocess.run(["bash", "-c", command], cwd=work, env=dict(env, TMPDIR=work),
                                            capture_output=True, stdin=subprocess.DEVNULL)
                status = result.returncode
                actual = []
                for stream in (result.stdout, result.stderr):  # the notes after the output, as the docs show them
                    text = stream.decode("utf-8", "replace").rstrip("\n")
                    actual += [line.rstrip() for line in text.split("\n")] if text else []
            ran += 1
            if shown is None:
                if status == 0:
                    print(f"ran  {where}: {command[:70]} (exit 0; a plain command, output not shown)")
                else:
                    failed += 1
                    print(f"FAIL {where}: {command}: exit {status}: {result.stderr[:300]!r}", file=sys.stderr)
                continue
            want = [line.rstrip() for line in shown]
            while want and want[-1] == "":
                want.pop()
            if not want and command.strip() != "echo $?":
                print(f"ran  {where}: {command[:70]} (exit {status}; no output shown)")
                continue
            if matches(want, actual):
                print(f"ok   {where}: {command[:70]}")
            else:
                failed += 1
                print(f"FAIL {where}: {command}\n  shown:\n    " + "\n    ".join(want) +
                      "\n  got:\n    " + "\n    ".join(actual), file=sys.stderr)
    print(f"{ran - failed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
