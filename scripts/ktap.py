#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Parse KTAP results as KUnit's debugfs files and our integration runner
write them, and print one line per test case, tagged with the kernel.

    scripts/ktap.py --kernel NAME FILE

Input is one or more KTAP version 1 documents, each holding suites:

    KTAP version 1
    1..1
        KTAP version 1
        # Subtest: SUITE
        1..N
        ok 1 CASE
        not ok 2 CASE
        ...
    ok 1 SUITE

Strict where it matters: every document and suite must open with its
version line and plan, results must be numbered 1..N with no gap, the
count must match the plan, the suite's closing line must name the suite
and agree with its cases, and nothing may be cut short.  Lines nested
deeper than a suite's cases (parameter results, failure messages) and
"#" diagnostics are a case's log and are passed over.  Malformed input is
reported as a failure of its own, never as a pass.

Output, one line per case, then a summary:

    PASS KERNEL SUITE.CASE
    FAIL KERNEL SUITE.CASE
    SKIP KERNEL SUITE.CASE
    ktap: passed=P failed=F skipped=S

Exit status: 0 when every case passed (or was skipped) and the input was
well formed, 1 otherwise.
"""
import argparse
import re
import sys

RESULT = re.compile(r'^(ok|not ok) (\d+)(?: -)? ?([^#]*?)\s*(?:#\s*(SKIP|TODO)\b.*)?$')
PLAN = re.compile(r'^1\.\.(\d+)$')
VERSION = re.compile(r'^KTAP version 1$')
SUBTEST = re.compile(r'^# Subtest: (\S+)$')


class Malformed(Exception):
    pass


def split(line):
    """Return (indent, text) of a line; KTAP indents by four spaces."""
    text = line.lstrip(' ')
    indent = len(line) - len(text)
    return indent, text


def parse(lines):
    """Yield (suite, case, verdict) for every case; raise Malformed."""
    pos = 0
    docs = 0

    def at(i):
        return split(lines[i]) if i < len(lines) else (None, None)

    while pos < len(lines):
        indent, text = at(pos)
        if indent != 0 or not VERSION.match(text):
            raise Malformed(f'line {pos + 1}: expected "KTAP version 1", got {lines[pos]!r}')
        docs += 1
        pos += 1
        indent, text = at(pos)
        m = PLAN.match(text or '') if indent == 0 else None
        if not m:
            raise Malformed(f'line {pos + 1}: document has no plan')
        nsuites = int(m.group(1))
        pos += 1
        for snum in range(1, nsuites + 1):
            pos = yield from parse_suite(lines, pos, snum)
        # Trailing top-level diagnostics belong to this document.
        while pos < len(lines):
            indent, text = at(pos)
            if indent == 0 and text.startswith('#'):
                pos += 1
                continue
            break
    if docs == 0:
        raise Malformed('no KTAP document at all')


def parse_suite(lines, pos, snum):
    def at(i):
        if i >= len(lines):
            raise Malformed(f'suite {snum}: input ends inside it')
        return split(lines[i])

    # Top-level diagnostics may come before the suite.
    while True:
        indent, text = at(pos)
        if indent == 0 and text.startswith('#'):
            pos += 1
            continue
        break
    if indent != 4 or not VERSION.match(text):
        raise Malformed(f'line {pos + 1}: suite {snum} does not open with "    KTAP version 1"')
    pos += 1
    indent, text = at(pos)
    m = SUBTEST.match(text) if indent == 4 else None
    if not m:
        raise Malformed(f'line {pos + 1}: suite {snum} has no "# Subtest:" name')
    suite = m.group(1)
    pos += 1
    indent, text = at(pos)
    m = PLAN.match(text) if indent == 4 else None
    if not m:
        raise Malformed(f'line {pos + 1}: suite {suite} has no plan')
    ncases = int(m.group(1))
    pos += 1

    cases = []
    while True:
        indent, text = at(pos)
        if indent == 0 and text.startswith('#'):
            pos += 1
            continue
        if indent == 0:
            break
        if indent == 4:
            r = RESULT.match(text)
            if r:
                num = int(r.group(2))
                if num != len(cases) + 1:
                    raise Malformed(f'line {pos + 1}: {suite}: result {num} out of order')
                verdict = 'SKIP' if r.group(4) == 'SKIP' else (
                    'PASS' if r.group(1) == 'ok' else 'FAIL')
                cases.append((r.group(3).strip(), verdict))
            elif VERSION.match(text) or PLAN.match(text) or SUBTEST.match(text):
                raise Malformed(f'line {pos + 1}: {suite}: {text!r} out of place')
        # Deeper lines and diagnostics: a case's log.
        pos += 1

    r = RESULT.match(text)
    if not r or r.group(3).strip() != suite or int(r.group(2)) != snum:
        raise Malformed(f'line {pos + 1}: expected "ok {snum} {suite}", got {lines[pos]!r}')
    if len(cases) != ncases:
        raise Malformed(f'{suite}: plan says {ncases} cases, {len(cases)} reported')
    suite_ok = r.group(1) == 'ok'
    if suite_ok and any(v == 'FAIL' for _, v in cases):
        raise Malformed(f'{suite}: suite says ok but a case failed')
    if not suite_ok and not any(v == 'FAIL' for _, v in cases) and cases:
        # A suite can fail with no failing case only when its init failed,
        # which KUnit reports on every case; say so rather than hide it.
        cases.append(('<suite>', 'FAIL'))
    for name, verdict in cases:
        yield suite, name, verdict
    return pos + 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--kernel', required=True)
    ap.add_argument('file')
    args = ap.parse_args()

    try:
        with open(args.file, errors='replace') as f:
            lines = [l.rstrip('\r\n').rstrip('\r') for l in f]
    except OSError as e:
        # A guest that never got as far as handing over its results.
        print(f'FAIL {args.kernel} ktap: no results: {e.strerror}: {args.file}')
        print('ktap: passed=0 failed=1 skipped=0')
        return 1
    lines = [l.replace('\t', '        ') for l in lines if l.strip()]

    counts = {'PASS': 0, 'FAIL': 0, 'SKIP': 0}
    try:
        for suite, case, verdict in parse(lines):
            counts[verdict] += 1
            print(f'{verdict} {args.kernel} {suite}.{case}')
    except Malformed as e:
        counts['FAIL'] += 1
        print(f'FAIL {args.kernel} ktap: malformed results: {e}')
    print(f"ktap: passed={counts['PASS']} failed={counts['FAIL']} skipped={counts['SKIP']}")
    return 0 if counts['FAIL'] == 0 else 1


if __name__ == '__main__':
    sys.exit(main())
