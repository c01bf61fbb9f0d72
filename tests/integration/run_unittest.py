#!/usr/bin/env python3
"""Runs test modules like `python3 -m unittest -v`, but a skipped test fails the run.

    run_unittest.py MODULE [MODULE...]     (CTest runs it from the module's directory)

`make test` installs every tool the tests use (scripts/setup), so a test that skips because
ffmpeg, curl or node is missing hides a broken setup: CTest would count it as passed. Here
the run exits 1 when any test was skipped, unless that test (or its class) is declared
optional with a reason (harness.optional), e.g. one that needs root for network namespaces.
Optional skips are listed at the end with both reasons. A run in which no test ran fails
too (a module whose tests were all filtered or misnamed).

Exit codes: 0 passed, 1 failed, errored, skipped without being optional, or ran nothing.
"""

import os
import sys
import unittest

# harness.py lives beside this script; the modules under test are in the working directory.
sys.path.insert(0, os.getcwd())
sys.path.insert(1, os.path.dirname(os.path.abspath(__file__)))

from harness import optional_reason  # noqa: E402  (after the path is set)


def _describe(test):
    return test.id() if isinstance(test, unittest.TestCase) else str(test)


def _optional_reason(test):
    """Why `test` may skip (harness.optional), or None. setUpClass/setUpModule skips arrive as
    placeholders without a test method: they count as required."""
    if not isinstance(test, unittest.TestCase):
        return None
    method = getattr(test, test._testMethodName, None)
    return optional_reason(method) or optional_reason(type(test))


def check_skips(result):
    """(required, optional): lists of (test id, skip reason[, optional reason])."""
    required, allowed = [], []
    for test, reason in result.skipped:
        why_optional = _optional_reason(test)
        if why_optional is None:
            required.append((_describe(test), reason))
        else:
            allowed.append((_describe(test), reason, why_optional))
    return required, allowed


def report(line):
    print(line, file=sys.stderr)  # after unittest's own report, on the same stream


def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    suite = unittest.defaultTestLoader.loadTestsFromNames(argv[1:])
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    required, allowed = check_skips(result)
    for name, reason, why_optional in allowed:
        report(f"optional test skipped: {name}: {reason} (optional: {why_optional})")
    for name, reason in required:
        report(f"FAIL: {name} was skipped ({reason}); a skip fails this run unless the test is "
              f"declared optional (harness.optional)")
    ran = result.testsRun - len(result.skipped)
    if result.testsRun == 0:
        report("FAIL: no test ran")
    ok = result.wasSuccessful() and not required and result.testsRun > 0
    if ok and ran == 0:
        report("note: every test was an optional skip")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
