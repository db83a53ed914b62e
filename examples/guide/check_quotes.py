#!/usr/bin/env python3
"""Checks that the guide quotes every program in this folder whole and exactly.

A quote is a link to the file on a line of its own, a blank line, then a ```cpp block holding the
file byte for byte:

    [examples/guide/pipe.cpp](../examples/guide/pipe.cpp)

    ```cpp
    ...
    ```

Usage: check_quotes.py GUIDE.md FOLDER. Exits 1 naming each file whose quote differs or is missing.
"""

import difflib
import re
import sys
from pathlib import Path

QUOTE = re.compile(r"^\[(examples/guide/[\w.-]+\.cpp)\]\([^)\n]*\)\n\n```cpp\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def main() -> int:
    guide, folder = Path(sys.argv[1]), Path(sys.argv[2])
    quotes = {}
    for match in QUOTE.finditer(guide.read_text(encoding="utf-8")):
        name = Path(match.group(1)).name
        if name in quotes:
            print(f"{guide}: {match.group(1)} is quoted twice")
            return 1
        quotes[name] = match.group(2)
    failures = 0
    for program in sorted(folder.glob("*.cpp")):
        quote = quotes.pop(program.name, None)
        if quote is None:
            print(f"{guide}: does not quote {program}")
            failures += 1
            continue
        text = program.read_text(encoding="utf-8")
        if quote != text:
            print(f"{guide}: the quote of {program.name} differs from the file:")
            diff = difflib.unified_diff(text.splitlines(keepends=True), quote.splitlines(keepends=True),
                                        str(program), f"{guide} (quote)")
            sys.stdout.writelines(diff)
            failures += 1
    for name in quotes:
        print(f"{guide}: quotes examples/guide/{name}, which does not exist")
        failures += 1
    if failures == 0:
        print(f"{guide}: every program in {folder} quoted exactly")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
