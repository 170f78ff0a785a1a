"""What the interval coverage scripts of tests/predictive share (Python 3 standard library only)."""


def report(lines, table):
    """Prints the coverage table `lines` (a list of lines of markdown) and, when `table` names a
    file (the scripts' --table), writes it there too."""
    text = "\n".join(lines)
    print(text)
    if table:
        with open(table, "w") as f:
            f.write(text + "\n")
