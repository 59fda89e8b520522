#!/usr/bin/env python3
"""instr.py - instruction counts of crto's upload path, under callgrind.

    python3 tools/bench/instr.py --instr build/bench/instr [--count 50000]
        [--suites aes256,aes128,chacha20] [--out build/bench/instr.md] [--check]

Runs tools/bench/instr.c (a deterministic upload: seeded DRBG, in-memory
transport, in-process server whose work is not counted) under
`valgrind --tool=callgrind` and reads the dump of each measured region:

  per identifier   (upload-plain - token-plain) / COUNT: read the line,
                   normalise and check it (sizing pass), normalise, hash
                   and JSON-encode it (sending pass), HTTP framing, the
                   answer; the token call's fixed cost taken out.
  SHA-256 alone    sha / COUNT: mbedtls_sha256_ret of the same normalised
                   e-mails in a tight loop.
  TLS write path   ((upload-tls - token-tls) - (upload-plain - token-plain))
                   / request bytes: what TLS adds per byte sent, for each
                   cipher suite asked for.
  handshake        token-tls - token-plain: a full TLS 1.2 handshake
                   (ECDHE-ECDSA P-256), client side.

Instruction counts do not depend on the machine's load, so --check turns
the budget "per identifier <= 1.3 x SHA-256 alone" into a test (make check
runs it); it fails only on that budget or a broken run.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile

BUDGET = 1.3


def make_certs(d):
    """A P-256 CA and a server certificate for DNS:localhost, once."""
    names = [os.path.join(d, n) for n in ("ca.pem", "server.pem", "server.key")]
    if all(os.path.exists(n) for n in names):
        return names
    os.makedirs(d, exist_ok=True)

    def run(*args):
        subprocess.run(["openssl"] + list(args), check=True, cwd=d,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key")
    run("req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=crto bench CA", "-days", "3650",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign",
        "-out", "ca.pem")
    run("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "server.key")
    run("req", "-new", "-key", "server.key", "-subj", "/CN=localhost", "-out", "server.csr")
    with open(os.path.join(d, "ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "3650", "-extfile", "ext", "-out", "server.pem")
    return names


def measure(instr, count, certs, suite, work):
    """One callgrind run; returns ({region: Ir}, {region: bytes sent}, cipher)."""
    with tempfile.TemporaryDirectory(dir=work) as tmp:
        out = os.path.join(tmp, "cg.out")
        env = dict(os.environ, INSTR_SUITE=suite)
        p = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
                            instr, str(count)] + certs, env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, check=False, timeout=900)
        text = p.stdout.decode()
        if p.returncode != 0:
            raise RuntimeError("instr failed (%d): %s%s" % (p.returncode, text,
                                                            p.stderr.decode()[-2000:]))
        ir = {}
        for name in os.listdir(tmp):
            if not re.fullmatch(r"cg\.out\.\d+", name):
                continue
            desc = summary = None
            with open(os.path.join(tmp, name)) as f:
                for line in f:
                    if line.startswith("desc: Trigger: Client Request: "):
                        desc = line.split(": ", 3)[3].strip()
                    elif line.startswith("summary: "):
                        summary = int(line.split()[1])
            if desc is not None and summary is not None:
                ir[desc] = summary
    sent = {m.group(1): int(m.group(2)) for m in re.finditer(r"^(\S+) sent_bytes (\d+)$", text, re.M)}
    cipher = re.search(r"^cipher (\S+)$", text, re.M)
    want = {"sha", "token-plain", "upload-plain", "token-tls", "upload-tls"}
    if set(ir) != want or set(sent) != want - {"sha"}:
        raise RuntimeError("instr: regions %s, sent %s" % (sorted(ir), sorted(sent)))
    return ir, sent, cipher.group(1) if cipher else "?"


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--instr", required=True)
    ap.add_argument("--count", type=int, default=50000)
    ap.add_argument("--suites", default="aes256")
    ap.add_argument("--work", default=os.path.join("build", "bench"))
    ap.add_argument("--out")
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args(argv[1:])

    os.makedirs(args.work, exist_ok=True)
    certs = make_certs(os.path.join(args.work, "certs"))
    n = args.count
    rows, per_id, sha = [], None, None
    for suite in args.suites.split(","):
        ir, sent, cipher = measure(os.path.abspath(args.instr), n, certs, suite, args.work)
        plain = ir["upload-plain"] - ir["token-plain"]
        tls_extra = (ir["upload-tls"] - ir["token-tls"]) - plain
        body_bytes = sent["upload-plain"] - sent["token-plain"]
        if per_id is None:
            per_id, sha = plain / n, ir["sha"] / n
            handshake = ir["token-tls"] - ir["token-plain"]
        rows.append((cipher, tls_extra / body_bytes, body_bytes))

    ratio = per_id / sha
    ok = ratio <= BUDGET
    lines = [
        "Instructions (valgrind --tool=callgrind, `python3 tools/bench/instr.py`; "
        "%d e-mails in one request, deterministic run):" % n,
        "",
        "| client work | instructions | per | |",
        "|---|---:|---|---|",
        "| SHA-256 alone (mbedtls_sha256_ret, tight loop) | %.0f | identifier | |" % sha,
        "| crto: read, normalise, check, hash, encode, frame | %.0f | identifier | "
        "%.3f × SHA-256 (budget ≤ %.1f×): %s |" % (per_id, ratio, BUDGET, "met" if ok else "MISSED"),
    ]
    for cipher, per_byte, body_bytes in rows:
        lines.append("| TLS write path, %s | %.1f | request byte (%d bytes) | |"
                     % (cipher, per_byte, body_bytes))
    lines.append("| TLS 1.2 handshake (ECDHE-ECDSA P-256, client side) | %d | connection | |"
                 % handshake)
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    if args.check:
        print("%s - crto instructions per identifier %.0f = %.3f x SHA-256 alone (%.0f), budget %.1f x"
              % ("ok" if ok else "not ok", per_id, ratio, sha, BUDGET))
        print("%d passed, %d failed" % (1 if ok else 0, 0 if ok else 1))
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
