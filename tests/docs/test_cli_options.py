#!/usr/bin/env python3
"""docs/cli.md against the binary (issue 18): the option table between the markers
<!-- options-table --> and <!-- /options-table --> must list every visible option of every
command with the commands that have it, and where --help shows a default (CLI11's "=VALUE", or
the description's "(default VALUE)" / "VALUE (default)"), the table's default column must say the
same. Prints what it compared. --print-table writes the table rows as the help has them (a start
for editing the doc; meanings are written by hand)."""
import argparse
import re
import subprocess
import sys

WIDTH = 30  # CLI11's column of descriptions


def help_entries(text):
    """(names, head, description) of each option in a CLI11 --help text."""
    body = text.split("Options:\n", 1)[1].split("\n\n", 1)[0]
    entries = []
    lines = body.split("\n")
    for i, line in enumerate(lines):
        if line.startswith("  -"):
            # CLI11 2.1 does not wrap: the description is on the next line when the head is too
            # wide for the column, else on this line from column WIDTH.
            below = i + 1 < len(lines) and lines[i + 1].startswith(" " * WIDTH)
            if below:
                entries.append([line[2:].strip(), ""])
            else:
                entries.append([line[2:WIDTH].strip(), line[WIDTH:].strip()])
        elif entries:
            entries[-1][1] = (entries[-1][1] + " " + line.strip()).strip()
    result = []
    for head, description in entries:
        m = re.match(r"((?:-\w,)?--[\w-]+(?:,--[\w-]+)*)\s*(.*)", head)
        result.append((m.group(1), m.group(2), description))
    return result


def help_default(typ, description):
    """The default --help shows, normalised: '=4' -> '4'; '(default 0: one per core)' -> '0';
    'table (default)' -> 'table'; an enumeration's default is one of its values."""
    if not typ.startswith("NAME="):
        m = re.search(r"=([^\s=]+)(?:\s|$)", typ)
        if m:
            return m.group(1)
    values = re.search(r"\{([^}]*)\}", typ)
    at = description.find("(default")
    if at < 0:
        m = re.search(r"\bdefault ([^);,]+)\)", description)
        return m.group(1).strip() if m else None
    if values:
        clause = re.split(r"[:,]", description[:at])[-1]
        for value in values.group(1).split(","):
            if re.search(r"\b" + re.escape(value), clause):
                return value
    m = re.match(r"\(default:? ([^);,]+)", description[at:])
    if not m:
        return None
    value = m.group(1).split(":")[0].strip().strip("'")
    return value or None


def subcommands(binary, *command):
    """The visible subcommands --help lists (a new command is checked as soon as it exists)."""
    text = subprocess.run([binary, *command, "--help"], capture_output=True, text=True, check=True).stdout
    section = text.split("Subcommands:\n", 1)[1].split("\n\n", 1)[0]
    return [line.split()[0] for line in section.split("\n") if line.startswith("  ") and line.strip()]


def all_commands(binary):
    commands = []
    for command in subcommands(binary):
        if command == "calc":
            commands += [["calc", metric] for metric in subcommands(binary, "calc")]
        else:
            commands.append([command])
    return commands


def binary_options(binary):
    """{option names: {command: default or None}} over every command."""
    options = {}
    for command in all_commands(binary):
        text = subprocess.run([binary, *command, "--help"], capture_output=True, text=True, check=True).stdout
        for names, typ, description in help_entries(text):
            if names == "-h,--help":
                continue
            options.setdefault(names, {})[" ".join(command)] = help_default(typ, description)
    return options


def doc_options(path, command_names):
    text = open(path, encoding="utf-8").read()
    table = text.split("<!-- options-table -->", 1)[1].split("<!-- /options-table -->", 1)[0]
    rows = {}
    for line in table.strip().split("\n")[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        names = cells[0].strip("`")
        commands = [c.strip() for c in cells[2].split(",")]
        defaults = {}
        if cells[3] not in ("", "-"):
            for part in cells[3].split(";"):
                if ":" in part and part.split(":")[0].strip().split(",")[0].strip() in command_names:
                    where, value = part.split(":", 1)
                    for command in where.split(","):
                        defaults[command.strip()] = value.strip().strip("`")
                else:
                    for command in commands:
                        defaults[command] = part.strip().strip("`")
        rows[names] = (commands, defaults)
    return rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--doc")
    parser.add_argument("--print-table", action="store_true")
    args = parser.parse_args()
    options = binary_options(args.binary)
    if args.print_table:
        for names, by_command in options.items():
            values = {}
            for command, value in by_command.items():
                values.setdefault(value, []).append(command)
            shown = "; ".join((", ".join(c) + ": " if len(values) > 1 else "") + v
                              for v, c in values.items() if v) or "-"
            print(f"| `{names}` |  | {', '.join(by_command)} | {shown} |")
        return 0
    rows = doc_options(args.doc, [" ".join(c) for c in all_commands(args.binary)])
    failures, compared = [], 0
    for names, by_command in options.items():
        if names not in rows:
            failures.append(f"{names}: in --help, not in the table of docs/cli.md")
            continue
        commands, defaults = rows[names]
        if sorted(commands) != sorted(by_command):
            failures.append(f"{names}: commands {', '.join(commands)} in the doc, {', '.join(by_command)} in --help")
        for command, value in by_command.items():
            if value is None:
                continue
            compared += 1
            if defaults.get(command) != value:
                failures.append(f"{command} {names}: default {value!r} in --help, {defaults.get(command)!r} in docs/cli.md")
    for names in rows:
        if names not in options:
            failures.append(f"{names}: in docs/cli.md, not in any --help")
    for failure in failures:
        print("FAIL:", failure, file=sys.stderr)
    print(f"compared {len(options)} options and {compared} defaults shown by --help with docs/cli.md")
    print(f"{len(options) + compared - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
