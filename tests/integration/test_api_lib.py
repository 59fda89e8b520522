#!/usr/bin/env python3
"""The whole Audience API through the library (build/host/tests/itest_api),
over TLS, against the fake Criteo server; then the server's own view of what
happened, and every request body checked against Criteo's OpenAPI schemas.

usage: test_api_lib.py BUILD_DIR      (e.g. build/host)
The last line is "N passed, N failed"; exit 1 if anything failed."""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "fake_criteo"))
from fake_server import FakeCriteo  # noqa: E402
from tap import check, run_group, summary  # noqa: E402

SPECS = [os.path.join(ROOT, "..", "shared", "criteo-api", "spec", "full", name)
         for name in ("marketingsolutions_2026-07.json", "retailmedia_2026-07.json")]
SEEDED_ADVERTISER = "7007"
RM_ACCOUNT = "4242"
RM_RETAILER = "314"


def relay(output):
    """Count the C program's own checks here, one by one."""
    for line in output.splitlines():
        if line.startswith("ok - "):
            check("library: " + line[5:], True)
        elif line.startswith("not ok - "):
            check("library: " + line[9:], False, output[-3000:])
        elif line.startswith("  "):
            print("#" + line)


def run_library(fc, build):
    fc.seed_segments("ms", 1234, prefix="seeded", advertiserId=SEEDED_ADVERTISER)
    fc.rm_audience(RM_ACCOUNT, RM_RETAILER, "seeded audience", {"audienceSegmentId": "920472839000000001"})
    env = dict(os.environ, CRITEO_CLIENT_ID="demo-client", CRITEO_CLIENT_SECRET="demo-secret")
    p = subprocess.run([os.path.join(build, "tests", "itest_api"), fc.base_url, fc.ca_file, SEEDED_ADVERTISER,
                        RM_ACCOUNT, RM_RETAILER], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=120, stdin=subprocess.DEVNULL)
    out = p.stdout.decode("utf-8", "replace")
    relay(out)
    check("library: itest_api exited 0", p.returncode == 0, out[-2000:])
    st = fc.stats()
    check("library: one token for the whole run", st["token_requests"] == 1, st)
    check("library: one TLS handshake for the whole run", st["tls_handshakes"] == 1, st)
    ent = fc.entities()
    names = sorted(s.get("name") for s in ent["ms_segments"].values()
                   if str(s.get("advertiserId")) == "5001")
    check("server: the MS segments the library left behind",
          names == sorted(["kiosk opt-in (2026)", "in-market FR", "near store 12", "lookalike", "prospects"]),
          names)
    check("server: no MS audience left (created, then deleted)", len(ent["ms_audiences"]) == 0, ent["ms_audiences"])


def check_bodies(record_dir):
    validator = os.path.join(ROOT, "tests", "conformance", "validate.py")
    args = [sys.executable, validator]
    for spec in SPECS:
        args += ["--spec", spec]
    p = subprocess.run(args + ["--dir", record_dir], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    out = p.stdout.decode("utf-8", "replace")
    last = out.strip().splitlines()[-1] if out.strip() else ""
    bodies = len([f for f in os.listdir(record_dir) if f.endswith(".json")])
    check("conformance: %d request bodies recorded" % bodies, bodies >= 20, bodies)
    check("conformance: every body the library sent validates against Criteo's 2026-07 schemas (%s)" % last,
          p.returncode == 0 and last.endswith(" 0 failed"), out[-3000:])


def check_examples(build, tmp):
    validator = os.path.join(ROOT, "tests", "conformance", "validate.py")
    exdir = os.path.join(tmp, "examples")
    args = [sys.executable, validator]
    for spec in SPECS:
        args += ["--spec", spec]
    p = subprocess.run(args + ["--examples", exdir], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
    files = sorted(os.path.join(exdir, f) for f in os.listdir(exdir)) if os.path.isdir(exdir) else []
    check("examples: extracted from the specs", p.returncode == 0 and len(files) > 0,
          p.stdout.decode("utf-8", "replace")[-2000:])
    if not files:
        return
    q = subprocess.run([os.path.join(build, "tests", "itest_examples")] + files, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=60)
    out = q.stdout.decode("utf-8", "replace")
    last = out.strip().splitlines()[-1] if out.strip() else ""
    check("examples: all %d example responses parse with crto's parsers (%s)" % (len(files), last),
          q.returncode == 0, out[-3000:])


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: %s BUILD_DIR\n" % argv[0])
        print("0 passed, 1 failed")
        return 1
    build = argv[1]
    with tempfile.TemporaryDirectory(prefix="crto_api_") as tmp:
        record = os.path.join(tmp, "bodies")
        os.makedirs(record)
        try:
            with FakeCriteo(dir=os.path.join(tmp, "server"), record_bodies=record) as fc:
                run_group(run_library, fc, build)
        except Exception as e:  # the server itself failed: say so and count it
            check("the fake server started and stopped", False, "%s: %s" % (type(e).__name__, e))
        run_group(check_bodies, record)
        run_group(check_examples, build, tmp)
    return summary()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
