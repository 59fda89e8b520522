#!/usr/bin/env python3
"""test_lwip_e2e.py - crto over lwIP, through a TAP device, to the real fake
Criteo server over TLS.

    python3 tests/lwip/test_lwip_e2e.py build/lwip-host-tap/e2e_tap

As root, in a network namespace of its own (crto-lwip-<pid>, deleted at the
end whatever happens):
  - a TAP device tap0 at 10.77.0.1/24 and lo up;
  - tests/fake_criteo/fake_criteo.py (HTTPS, its own CA), unchanged: it
    listens on 127.0.0.1 only, so a byte-for-byte TCP relay on
    10.77.0.1:PORT passes the lwIP side's connection to it (TLS runs end to
    end, the relay sees ciphertext);
  - e2e_tap (lwIP at 10.77.0.2 with crto's sockets port) uploads 10,000
    mixed-case, padded e-mails to https://localhost:PORT in chunks of 2,500;
    lwIP's local host list maps localhost to 10.77.0.1, so the certificate
    check is the real one against the name in the fake's certificate.
Then the fake's admin API must show one token request, 4 PATCHes, one
connection, one TLS handshake with SNI "localhost", and the segment must
hold exactly sha256 of the normalised e-mails.

Without root, /dev/net/tun or the ip command it prints "skipped: <why>" and
"0 passed, 0 failed". Standard library only; last line "N passed, N failed".
"""

import hashlib
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "fake_criteo"))
from tap import check, run_group, summary  # noqa: E402

N_EMAILS = 10000
CHUNK = 2500
SEGMENT = 7707
TAP_DEV = "tap0"
HOST_IP = "10.77.0.1"
RUN_TIMEOUT = 300
SUMMARY_RE = re.compile(r"^([0-9]+) passed, ([0-9]+) failed")


def sha(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def make_emails(n, seed):
    """n distinct e-mail lines with mixed case and stray white space; returns
    (raw lines, normalised forms)."""
    rnd = random.Random(seed)
    pads = ["", "", "", " ", "  ", "\t", " \t "]
    raw, clean = [], []
    for i in range(n):
        base = "lwip.%d.%s@kiosk-%d.example" % (i, rnd.choice(["Ann", "BOB", "ceCil"]), i % 97)
        mixed = "".join(c.upper() if rnd.random() < 0.3 else c for c in base)
        raw.append(rnd.choice(pads) + mixed + rnd.choice(pads))
        clean.append(base.lower())
    return raw, clean


def delta(before, after):
    return {k: after.get(k, 0) - before.get(k, 0) for k in after if isinstance(after.get(k), int)}


def run(cmd, **kw):
    return subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=60, check=False, **kw)


# --------------------------------------------------------------------------
# Inside the namespace


class Relay:
    """Accepts on (HOST_IP, port) and copies bytes both ways to 127.0.0.1:port."""

    def __init__(self, port):
        self.port = port
        self.connections = 0
        self.lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind((HOST_IP, port))
        self.lsock.listen(8)
        self.lsock.settimeout(0.2)
        self.stopping = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @staticmethod
    def _pump(src, dst):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s, how in ((dst, socket.SHUT_WR), (src, socket.SHUT_RD)):
            try:
                s.shutdown(how)
            except OSError:
                pass

    def _serve(self):
        while not self.stopping:
            try:
                c, _ = self.lsock.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            self.connections += 1
            u = socket.create_connection(("127.0.0.1", self.port))
            for a, b in ((c, u), (u, c)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def stop(self):
        self.stopping = True
        self.thread.join(timeout=2)
        self.lsock.close()


def upload(binary, fc, relay, tmp):
    raw, clean = make_emails(N_EMAILS, seed=77)
    path = os.path.join(tmp, "emails.txt")
    with open(path, "wb") as f:
        f.write("".join(line + "\n" for line in raw).encode("utf-8"))
    base_url = "https://localhost:%d" % fc.port
    before = fc.stats()
    t0 = time.monotonic()
    try:
        p = subprocess.run([binary, TAP_DEV, fc.ca_file, base_url, str(SEGMENT), str(CHUNK), path],
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=RUN_TIMEOUT, check=False)
        rc, out = p.returncode, p.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired as e:
        rc, out = "timeout", (e.stdout or b"").decode("utf-8", "replace")
    secs = time.monotonic() - t0
    # e2e_tap's own lines, indented so its summary is not taken for ours
    for line in out.splitlines():
        print("  | " + line)
    m = [SUMMARY_RE.match(line) for line in out.splitlines()]
    m = [x for x in m if x]
    check("e2e_tap (crto + lwIP sockets port + TAP) exits 0 with its checks passing",
          rc == 0 and m and m[-1].group(2) == "0", "exit %s" % rc)
    n_patch = -(-N_EMAILS // CHUNK)
    d = delta(before, fc.stats())
    check("1 token request and %d PATCHes reached the server" % n_patch,
          d.get("token_requests") == 1 and d.get("api_requests") == n_patch, d)
    check("one TCP connection (through the relay) and one TLS handshake",
          d.get("connections") == 1 and d.get("tls_handshakes") == 1 and relay.connections == 1,
          "%s; relay saw %d" % (d, relay.connections))
    names = fc.server_names()
    check("the handshake carried SNI localhost", names[-1:] == ["localhost"], names)
    patches = [r for r in fc.requests() if r["method"] == "PATCH"]
    check("every PATCH answered 200 with a valid bearer, %d identifiers each" % CHUNK,
          len(patches) == n_patch and all(r["status"] == 200 and r["authorization"] == "bearer-valid"
                                          and r["identifiers"] == CHUNK for r in patches),
          [(r["status"], r["authorization"], r["identifiers"]) for r in patches])
    got = fc.segment(SEGMENT)
    want = {sha(c) for c in clean}
    check("the segment holds exactly sha256 of the %d normalised e-mails" % N_EMAILS,
          len(got) == N_EMAILS and set(got) == want,
          "got %d, want %d; %d missing, %d unexpected" % (len(got), len(want), len(want - set(got)),
                                                          len(set(got) - want)))
    print("# %d e-mails through lwIP + TAP + TLS in %.2f s (process start to exit)" % (N_EMAILS, secs))


def inner(binary):
    from fake_server import FakeCriteo
    for cmd in (["ip", "link", "set", "lo", "up"],
                ["ip", "tuntap", "add", "dev", TAP_DEV, "mode", "tap"],
                ["ip", "addr", "add", HOST_IP + "/24", "dev", TAP_DEV],
                ["ip", "link", "set", TAP_DEV, "up"]):
        p = run(cmd)
        if not check("namespace set-up: %s" % " ".join(cmd), p.returncode == 0,
                     p.stdout.decode("utf-8", "replace")):
            return summary()
    with tempfile.TemporaryDirectory(prefix="crto_lwip_e2e_") as tmp:
        fc = FakeCriteo(dir=os.path.join(tmp, "fake"))
        relay = None
        try:
            relay = Relay(fc.port)
            run_group(upload, binary, fc, relay, tmp)
        finally:
            if relay is not None:
                relay.stop()
            fc.stop()
    return summary()


# --------------------------------------------------------------------------
# Outside: the namespace's life


def skipped(why):
    print("skipped: %s" % why)
    print("0 passed, 0 failed")
    return 0


def main():
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "--inner":
        return inner(args[1])
    if len(args) != 1:
        print("usage: test_lwip_e2e.py path/to/e2e_tap", file=sys.stderr)
        print("0 passed, 1 failed")
        return 1
    binary = os.path.abspath(args[0])
    if os.geteuid() != 0:
        return skipped("needs root to create a network namespace and a TAP device")
    if not os.path.exists("/dev/net/tun"):
        return skipped("/dev/net/tun is missing")
    if shutil.which("ip") is None:
        return skipped("the ip command (iproute2) is missing")
    if not os.path.isfile(binary):
        check("e2e_tap exists", False, "%s is missing: did the build fail?" % binary)
        return summary()

    ns = "crto-lwip-%d" % os.getpid()
    p = run(["ip", "netns", "add", ns])
    if p.returncode != 0:
        return skipped("cannot create a network namespace: %s"
                       % p.stdout.decode("utf-8", "replace").strip())
    passed = failed = 0
    try:
        try:
            q = subprocess.run(["ip", "netns", "exec", ns, sys.executable, os.path.abspath(__file__),
                                "--inner", binary], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=RUN_TIMEOUT + 60, check=False)
            out = q.stdout.decode("utf-8", "replace")
        except subprocess.TimeoutExpired as e:
            out = (e.stdout or b"").decode("utf-8", "replace") + "\nnot ok - the test timed out\n"
        lines = out.splitlines()
        totals = [SUMMARY_RE.match(line) for line in lines]
        totals = [m for m in totals if m]
        for line in lines:
            if not SUMMARY_RE.match(line):
                print(line)
        if totals:
            passed, failed = int(totals[-1].group(1)), int(totals[-1].group(2))
        else:
            print("not ok - the namespace part printed no summary")
            failed = 1
    finally:
        d = run(["ip", "netns", "del", ns])
    if d.returncode == 0 and ns not in run(["ip", "netns", "list"]).stdout.decode():
        print("ok - network namespace %s deleted" % ns)
        passed += 1
    else:
        print("not ok - network namespace %s deleted: %s" % (ns, d.stdout.decode("utf-8", "replace")))
        failed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
