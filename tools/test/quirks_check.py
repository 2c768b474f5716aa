# SPDX-License-Identifier: GPL-2.0
"""Every kernel quirk names its source: quirks_check.py [ROOT]

The kernel quirks live in bpf/quirks.bpf.h, user/quirks.c and user/arch.h
(under ROOT, the tree's top by default). A vendor kernel is checked by the
commit that made a change, not by the release it claims, so a comment
there that cites a release, "(6.4" or "(5.15; ...", must also name the
commit (a 12-hex id) or say the fact is "build-dependent" (inlining and
compiler clones, detected at load). And no quirk may be left at "not
found". Prints one PASS or FAIL line per file.
"""
import os
import re
import sys

FILES = ("bpf/quirks.bpf.h", "user/quirks.c", "user/arch.h")
RELEASE = re.compile(r"\(\s*\d+\.\d+")
COMMIT = re.compile(r"\b[0-9a-f]{12}\b")
COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)


def comments(text):
    """(line, text) of each comment, a block's lines joined by spaces."""
    for m in COMMENT.finditer(text):
        body = re.sub(r"^\s*(/\*+|\*+/?|//)", "", m.group(0), flags=re.M)
        body = " ".join(body.replace("*/", "").split())
        yield text.count("\n", 0, m.start()) + 1, body


def problems(text):
    for line, body in comments(text):
        if "not found" in body.lower():
            yield f"line {line}: says \"not found\": {body[:60]}..."
        elif (RELEASE.search(body) and not COMMIT.search(body)
              and "build-dependent" not in body):
            rel = RELEASE.search(body).group(0)
            yield (f"line {line}: cites release \"{rel}\" with neither a "
                   f"commit id nor \"build-dependent\": {body[:60]}...")


def main(argv):
    root = argv[1] if len(argv) > 1 else "."
    failed = 0
    for rel in FILES:
        path = os.path.join(root, rel)
        with open(path, encoding="utf-8") as f:
            bad = list(problems(f.read()))
        failed += bool(bad)
        print(f"{'FAIL' if bad else 'PASS'} quirks {rel}: "
              + ("; ".join(bad) if bad else "every release has its commit"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
