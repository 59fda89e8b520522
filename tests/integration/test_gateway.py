#!/usr/bin/env python3
"""test_gateway.py - end-to-end upload from an emulated gateway build of
crto to the host's fake Criteo server over loopback.

    python3 tests/integration/test_gateway.py qemu-aarch64 -L /usr/aarch64-linux-gnu build/aarch64-linux/bin/crto
    python3 tests/integration/test_gateway.py qemu-arm -L /usr/arm-linux-gnueabihf build/armhf-linux/bin/crto
    python3 tests/integration/test_gateway.py build/host/bin/crto        (the same checks on the host)

The arguments are the command that runs crto (emulator prefix, then the
binary). One HTTPS FakeCriteo (https://localhost, its own CA) takes
`crto ms contacts add` of 10,000 mixed-case, padded e-mails: once with the
default chunk size (one PATCH) and once with --chunk-size 1000 (ten
PATCHes). Each checks exit 0, one token request, ceil(n/chunk) PATCHes on one
connection and one TLS handshake, and that the segment holds exactly
sha256 of the normalised e-mails. Standard library only; the last line is
"N passed, N failed", exit status 1 if anything failed.
"""

import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "fake_criteo"))
from fake_server import FakeCriteo  # noqa: E402
from tap import check, run_group, summary  # noqa: E402

CLIENT_ID, CLIENT_SECRET = "demo-client", "demo-secret"
N_EMAILS = 10000
DEFAULT_CHUNK = 50000        # CRTO_CHUNK_MAX: the API's per-request limit
RUN_TIMEOUT = 300            # emulated, on a slow CI machine


def sha(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def make_emails(n, seed):
    """n distinct e-mail lines with mixed case and stray white space; returns
    (raw lines, normalised forms: trimmed, ASCII-lowercased)."""
    rnd = random.Random(seed)
    pads = ["", "", "", " ", "  ", "\t", " \t "]
    raw, clean = [], []
    for i in range(n):
        base = "gw.%d.%s@Gateway-%d.example" % (i, rnd.choice(["Ann", "BOB", "ceCil"]), i % 89)
        mixed = "".join(c.upper() if rnd.random() < 0.3 else c for c in base)
        raw.append(rnd.choice(pads) + mixed + rnd.choice(pads))
        clean.append(base.lower())
    return raw, clean


def short(x, limit=300):
    s = x if isinstance(x, str) else repr(x)
    return s if len(s) <= limit else s[:limit] + "..."


def delta(before, after):
    return {k: after.get(k, 0) - before.get(k, 0) for k in after}


def set_diff(got, want):
    got, want = set(got), set(want)
    return "got %d, want %d; %d missing, %d unexpected" % (
        len(got), len(want), len(want - got), len(got - want))


class Gateway:
    def __init__(self, prefix, fc, tmp):
        self.prefix = prefix
        self.fc = fc
        self.tmp = tmp
        base = {k: v for k, v in os.environ.items() if not k.startswith(("CRTO_", "CRITEO_"))}
        self.env = dict(base, CRITEO_CLIENT_ID=CLIENT_ID, CRITEO_CLIENT_SECRET=CLIENT_SECRET)
        raw, self.clean = make_emails(N_EMAILS, seed=5)
        self.input = os.path.join(tmp, "emails.txt")
        with open(self.input, "wb") as f:
            f.write("".join(l + "\n" for l in raw).encode("utf-8"))

    def run(self, args):
        cmd = self.prefix + ["--base-url", self.fc.base_url, "--ca-file", self.fc.ca_file,
                             "--json"] + args
        t0 = time.monotonic()
        p = subprocess.run(cmd, env=self.env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=RUN_TIMEOUT)
        return (p.returncode, p.stdout.decode("utf-8", "replace"),
                p.stderr.decode("utf-8", "replace"), time.monotonic() - t0)


def upload(g, segment, chunk):
    fc = g.fc
    fc.reset()
    tag = "chunk %d" % chunk
    args = ["ms", "contacts", "add", "--segment", str(segment), "--type", "email",
            "--input", g.input]
    if chunk != DEFAULT_CHUNK:
        args += ["--chunk-size", str(chunk)]
    n_patch = -(-N_EMAILS // chunk)
    before = fc.stats()
    rc, out, err, secs = g.run(args)
    d = delta(before, fc.stats())
    check("%s: exit 0" % tag, rc == 0, "exit %d; stderr %s" % (rc, short(err.strip())))
    check("%s: 1 token request, %d PATCH(es)" % (tag, n_patch),
          d.get("token_requests") == 1 and d.get("api_requests") == n_patch
          and d.get("requests") == 1 + n_patch, d)
    check("%s: one connection, one TLS handshake" % tag,
          d.get("connections") == 1 and d.get("tls_handshakes") == 1, d)
    patches = [r for r in fc.requests() if r["method"] == "PATCH"]
    counts = [r["identifiers"] for r in patches]
    want_counts = [chunk] * (N_EMAILS // chunk) + ([N_EMAILS % chunk] if N_EMAILS % chunk else [])
    check("%s: PATCH bodies carry %s identifiers" % (tag, short(want_counts, 60)),
          counts == want_counts, counts)
    check("%s: every PATCH answered 200 with a valid bearer" % tag,
          patches and all(r["status"] == 200 and r["authorization"] == "bearer-valid"
                          for r in patches),
          [(r["status"], r["authorization"]) for r in patches])
    got = fc.segment(segment)
    want = {sha(c) for c in g.clean}
    check("%s: segment holds exactly sha256 of the %d normalised e-mails" % (tag, N_EMAILS),
          len(got) == N_EMAILS and set(got) == want, set_diff(got, want))
    try:
        j = json.loads(out)
    except ValueError:
        j = None
    j = j if isinstance(j, dict) else {}
    exp = {"sent": N_EMAILS, "accepted": N_EMAILS, "rejected": 0, "chunks": n_patch,
           "tokenRequests": 1, "tlsHandshakes": 1, "connections": 1, "exitCode": 0}
    bad = {k: (j.get(k), v) for k, v in exp.items() if j.get(k, "absent") != v}
    check("%s: --json report agrees with the server" % tag, not bad,
          "got/want %s; stdout %s" % (bad, short(out)))
    print("# %s: %d e-mails, %d PATCH(es), %.2f s" % (tag, N_EMAILS, len(patches), secs))


def main():
    prefix = sys.argv[1:]
    if not prefix:
        print("usage: test_gateway.py [emulator args...] path/to/crto", file=sys.stderr)
        print("0 passed, 1 failed")
        return 1
    print("# crto command: %s" % " ".join(prefix))
    if not check("the crto binary exists", os.path.isfile(prefix[-1]),
                 "%s is missing: did the build fail?" % prefix[-1]):
        return summary()
    with tempfile.TemporaryDirectory(prefix="crto_gateway_") as tmp:
        fc = FakeCriteo(dir=os.path.join(tmp, "fake"))
        try:
            g = Gateway(prefix, fc, tmp)
            run_group(upload, g, 2001, DEFAULT_CHUNK)
            run_group(upload, g, 2002, 1000)
        finally:
            fc.stop()
    return summary()


if __name__ == "__main__":
    sys.exit(main())
