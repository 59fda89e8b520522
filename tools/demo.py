#!/usr/bin/env python3
"""demo.py - `make demo`: upload 200,000 e-mails with crto to the bundled
fake Criteo server and show what it took.

    python3 tools/demo.py build/host/bin/crto

Standard library only.  Exits non-zero if crto fails or the server did not
end up with all 200,000 identifiers.
"""

import json
import os
import random
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "fake_criteo"))
from fake_server import FakeCriteo  # noqa: E402

COUNT = 200000
SEGMENT = "424242"
CLIENT_ID, CLIENT_SECRET = "demo-client", "demo-secret"


def sample_emails(path, count):
    """Deterministic, distinct e-mails in mixed case, some with stray spaces."""
    rnd = random.Random(424242)
    first = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"]
    domains = ["Example.COM", "mail.example.org", "Shop.Example.net", "example.fr"]
    with open(path, "w", encoding="ascii", newline="\n") as f:
        for i in range(count):
            email = "%s.%d@%s" % (rnd.choice(first), i, rnd.choice(domains))
            email = "".join(c.upper() if rnd.random() < 0.25 else c for c in email)
            if i % 10 == 3:
                email = "  " + email
            elif i % 10 == 7:
                email = email + " \t"
            f.write(email + "\n")


def fail(message):
    print("demo FAILED: " + message)
    return 1


def main(argv):
    if len(argv) != 2:
        print("usage: python3 tools/demo.py path/to/crto")
        return 2
    crto = os.path.abspath(argv[1])
    if not os.access(crto, os.X_OK):
        return fail("%s is not an executable (run `make all` first)" % crto)

    with tempfile.TemporaryDirectory(prefix="crto_demo_") as tmp:
        path = os.path.join(tmp, "emails.txt")
        sample_emails(path, COUNT)
        with FakeCriteo(dir=os.path.join(tmp, "server")) as fc:
            print("fake Criteo server on %s (its own CA; admin port %d)" % (fc.base_url, fc.admin_port))
            print("uploading %d sample e-mails from %s to segment %s ..." % (COUNT, path, SEGMENT))
            env = {k: v for k, v in os.environ.items() if not k.startswith(("CRTO_", "CRITEO_"))}
            env.update(CRITEO_CLIENT_ID=CLIENT_ID, CRITEO_CLIENT_SECRET=CLIENT_SECRET)
            cmd = [crto, "--json", "--base-url", fc.base_url, "--ca-file", fc.ca_file,
                   "ms", "contacts", "add", "--segment", SEGMENT, "--type", "email", "--input", path]
            t0 = time.monotonic()
            try:
                p = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, timeout=300)
            except subprocess.TimeoutExpired:
                return fail("crto did not finish within 300 s")
            seconds = time.monotonic() - t0
            stats = fc.stats()
            stored = len(fc.segment(SEGMENT))

        err = p.stderr.decode("utf-8", "replace").strip()
        try:
            result = json.loads(p.stdout.decode("utf-8"))
        except ValueError:
            result = {}
        if p.returncode != 0:
            return fail("crto exited %d%s" % (p.returncode, ": " + err if err else ""))

        rows = [
            ("identifiers sent", "{:,}".format(result.get("sent", 0))),
            ("chunks", str(result.get("chunks"))),
            ("requests", "%d (%d token + %d PATCH)" % (stats["requests"], stats["token_requests"],
                                                      stats["api_requests"])),
            ("TLS handshakes", str(stats["tls_handshakes"])),
            ("seconds", "%.2f" % seconds),
            ("rejected lines", str(result.get("rejected"))),
            ("stored on the server", "{:,}".format(stored)),
        ]
        print()
        width = max(len(name) for name, _ in rows)
        for name, value in rows:
            print("  %-*s  %s" % (width, name, value))
        print()
        if stored != COUNT:
            return fail("the server holds %d identifiers for segment %s, expected %d"
                        % (stored, SEGMENT, COUNT))
        print("demo OK: all %s e-mails were hashed on the client and stored." % "{:,}".format(COUNT))
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
