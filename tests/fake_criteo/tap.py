"""The checks the Python test programs share: one "ok - name" or
"not ok - name: details" line per check, groups that survive an exception,
and the closing "N passed, N failed" line tools/run_tests.sh adds up."""
import sys
import traceback

_counts = {"passed": 0, "failed": 0}


def check(name, cond, details=""):
    """Record one check; details (anything) explain a failure on one line."""
    if cond:
        _counts["passed"] += 1
        print("ok - " + name)
    else:
        _counts["failed"] += 1
        text = str(details).strip() or "assertion failed"
        print("not ok - %s: %s" % (name, " | ".join(text.splitlines())))
    sys.stdout.flush()
    return cond


def run_group(fn, *args):
    """Run one group of checks; an exception counts as one failed check."""
    try:
        fn(*args)
    except Exception as e:     # one broken group must not hide the others
        check("%s ran without an exception" % fn.__name__, False,
              "%s: %s %s" % (type(e).__name__, e, traceback.format_exc(limit=3)))


def summary():
    """Print the closing line; return the exit status (1 if anything failed)."""
    print("%d passed, %d failed" % (_counts["passed"], _counts["failed"]))
    sys.stdout.flush()
    return 1 if _counts["failed"] else 0
