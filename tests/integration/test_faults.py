#!/usr/bin/env python3
"""test_faults.py - the network faults of docs/faults.md that need real
sockets and a real TLS peer, driven through the crto command's store and
forward path (queue add, queue flush, queue status):

    python3 tests/integration/test_faults.py build/host/bin/crto

For each scenario: the flush exits with the documented status and prints
the exact reason; `queue status` still shows every record pending with the
error recorded (nothing lost); a flush to the healthy fake server then
delivers exactly the queued set.

  1 connection refused          a closed port on localhost
  2 name resolution failure     a host under .invalid (RFC 6761)
  3 TLS with an unknown CA      the fake server, trusted through wrong_ca.pem
  4 wrong host name             a TLS peer serving wronghost.pem (DNS:wrong.example)
  5 expired certificate         a TLS peer serving a certificate that expired in 2020
                                (made here with `openssl ca -startdate/-enddate`)
  6 handshake timeout           a TCP peer that accepts and never answers,
                                bounded by `queue flush --max-seconds`
 18 500 until attempts run out  the fake's server_error fault, during a flush

Standard library only, plus the `openssl` command (a dependency of the
fake server).  Each check prints "ok - name" or "not ok - name: details";
the last line is exactly "N passed, N failed" and the exit status is 1 if
anything failed.
"""

import hashlib
import json
import os
import random
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "fake_criteo"))
from fake_server import FakeCriteo  # noqa: E402
from tap import check, run_group, summary  # noqa: E402

CLIENT_ID, CLIENT_SECRET = "demo-client", "demo-secret"
RUN_TIMEOUT = 120
RETRY_ATTEMPTS = 4           # CRTO_RETRY_ATTEMPTS in include/crto/crto_config.h
# Full jitter under 1, 2, 4 and 8 s: the most a refused or unresolvable
# flush may wait between its five attempts, plus slack for the attempts.
RETRY_WAIT_MAX = 1 + 2 + 4 + 8 + 5
N_EMAILS = 25


def sha(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def short(x, limit=400):
    s = x if isinstance(x, str) else repr(x)
    return s if len(s) <= limit else s[:limit] + "..."


def why(rc, err):
    return "exit %s; stderr: %s" % (rc, short(err.strip()))


def set_diff(got, want):
    got, want = set(got), set(want)
    return "got %d, want %d; %d missing, %d unexpected" % (
        len(got), len(want), len(want - got), len(got - want))


def make_emails(n, tag):
    rnd = random.Random(tag)
    local = "".join(c if c.isalnum() else "-" for c in tag).strip("-")
    raw = []
    for i in range(n):
        base = "%s.%d@Shop-%d.example" % (local, i, rnd.randrange(1000))
        raw.append(rnd.choice(["", " ", "\t"]) + base + rnd.choice(["", "  "]))
    return raw, {sha(r.strip().lower()) for r in raw}


def closed_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def parse_json(text):
    try:
        return json.loads(text.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None


# --------------------------------------------------------------------------
# peers


class TlsPeer:
    """A TLS server on 127.0.0.1 with a chosen certificate. It records every
    connection, the SNI each ClientHello carried, whether the handshake
    completed and any application byte it received (there must be none when
    the client refuses the certificate). silent=True: a plain TCP peer that
    accepts and never sends a byte (a hung TLS server)."""

    def __init__(self, cert=None, key=None, silent=False):
        self.silent = silent
        self.accepted = 0
        self.handshakes_ok = 0
        self.handshake_errors = []
        self.app_bytes = 0
        self.sni = []
        self.held = []
        self.ctx = None
        if not silent:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
            ctx.load_cert_chain(cert, key)
            ctx.sni_callback = self._on_sni
            self.ctx = ctx
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.stopping = False
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _on_sni(self, sslsock, name, ctx):
        self.sni.append(name)

    def _loop(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.accepted += 1
            if self.silent:
                self.held.append(conn)      # keep it open, say nothing
                continue
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        conn.settimeout(10)
        try:
            tls = self.ctx.wrap_socket(conn, server_side=True, do_handshake_on_connect=False)
            try:
                tls.do_handshake()
            except (ssl.SSLError, OSError) as e:
                self.handshake_errors.append(str(e))
                return
            self.handshakes_ok += 1
            data = tls.recv(65536)
            self.app_bytes += len(data)
            tls.close()
        finally:
            conn.close()

    def close(self):
        self.stopping = True
        self.sock.close()
        self.thread.join(5)
        for c in self.held:
            c.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def run_openssl(args):
    p = subprocess.run(["openssl"] + args, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=60, check=False)
    if p.returncode != 0:
        raise RuntimeError("openssl %s failed: %s" % (" ".join(args[:2]),
                                                      p.stderr.decode("utf-8", "replace").strip()))


def make_expired_cert(d, ca_pem, ca_key):
    """A leaf for DNS:localhost, signed by the fake's CA, valid only in
    January 2020 (`openssl x509 -days` cannot go back in time; `openssl ca`
    takes explicit dates)."""
    key = os.path.join(d, "expired.key")
    csr = os.path.join(d, "expired.csr")
    pem = os.path.join(d, "expired.pem")
    cnf = os.path.join(d, "ca.cnf")
    db = os.path.join(d, "ca-db")
    os.makedirs(db, exist_ok=True)
    open(os.path.join(db, "index.txt"), "w").close()
    with open(os.path.join(db, "serial"), "w") as f:
        f.write("%016X\n" % random.SystemRandom().getrandbits(62))
    with open(cnf, "w") as f:
        f.write("""[ca]
default_ca = CA_default
[CA_default]
database = %(db)s/index.txt
new_certs_dir = %(db)s
serial = %(db)s/serial
default_md = sha256
policy = policy_any
unique_subject = no
[policy_any]
commonName = supplied
[req]
distinguished_name = dn
[dn]
[v3_leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost
""" % {"db": db})
    env_cnf = ["-config", cnf]
    run_openssl(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", key])
    run_openssl(["req", "-new"] + env_cnf + ["-key", key, "-subj", "/CN=localhost", "-out", csr])
    run_openssl(["ca", "-batch"] + env_cnf + ["-cert", ca_pem, "-keyfile", ca_key, "-in", csr,
                                                "-out", pem, "-notext", "-extensions", "v3_leaf",
                                                "-startdate", "20200101000000Z",
                                                "-enddate", "20200201000000Z"])
    return pem, key


# --------------------------------------------------------------------------
# the crto command


class Env:
    def __init__(self, crto, fc, tmp):
        self.crto = os.path.abspath(crto)
        self.fc = fc
        self.tmp = tmp
        base = {k: v for k, v in os.environ.items() if not k.startswith(("CRTO_", "CRITEO_"))}
        self.env = dict(base, CRITEO_CLIENT_ID=CLIENT_ID, CRITEO_CLIENT_SECRET=CLIENT_SECRET)
        self.n = 0

    def path(self, name):
        self.n += 1
        return os.path.join(self.tmp, "%s.%d" % (name, self.n))

    def run(self, args, base_url=None, ca_file=None, globals_=()):
        cmd = [self.crto, "--base-url", base_url or self.fc.base_url,
               "--ca-file", ca_file or self.fc.ca_file] + list(globals_) + list(args)
        t0 = time.monotonic()
        p = subprocess.run(cmd, env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=RUN_TIMEOUT)
        return (p.returncode, p.stdout.decode("utf-8", "replace"),
                p.stderr.decode("utf-8", "replace"), time.monotonic() - t0)

    def status(self, jdir):
        rc, out, err, _ = self.run(["queue", "status", "--journal", jdir], globals_=["--json"])
        j = parse_json(out)
        if rc != 0 or not isinstance(j, dict):
            raise AssertionError("queue status failed: exit %d %s %s" % (rc, short(out), short(err)))
        return j

    def queue(self, name, segment):
        """A journal holding N_EMAILS e-mails for segment; returns (dir, hashes)."""
        raw, want = make_emails(N_EMAILS, name)
        jdir = self.path("journal-" + "".join(c if c.isalnum() else "-" for c in name))
        inp = self.path("input")
        with open(inp, "w", encoding="utf-8") as f:
            f.write("".join(l + "\n" for l in raw))
        rc, _, err, _ = self.run(["queue", "add", "--journal", jdir, "--api", "ms", "--segment", str(segment),
                                  "--type", "email", "--input", inp])
        if rc != 0:
            raise AssertionError("queue add failed: %s" % why(rc, err))
        return jdir, want


def flush_fails(t, name, segment, base_url, want_rc, want_line, want_code, ca_file=None, extra=(),
                max_secs=None, before_retry=None):
    """Queue N_EMAILS e-mails, flush them into a fault, check the exact
    reason and that nothing was lost, then deliver them to the fake server.
    Returns (stderr, seconds) of the failed flush."""
    fc = t.fc
    fc.reset()
    jdir, want = t.queue(name, segment)
    before = fc.stats()
    rc, out, err, secs = t.run(["queue", "flush", "--journal", jdir] + list(extra), base_url=base_url,
                               ca_file=ca_file)
    lines = err.strip().splitlines()
    check("%s: flush exits %d" % (name, want_rc), rc == want_rc, why(rc, err))
    check("%s: stderr says %r" % (name, want_line), lines[:1] == [want_line], short(err))
    check("%s: stderr says nothing was lost" % name,
          "crto: 0 identifiers delivered before the failure; %d still pending (nothing lost)" % N_EMAILS in lines,
          short(err))
    if max_secs is not None:
        check("%s: the flush gave up within %d s" % (name, max_secs), secs < max_secs, "%.1f s" % secs)
    after = fc.stats()
    if base_url == fc.base_url:
        # the fault is the fake itself (distrusted): one refused handshake
        check("%s: one TLS handshake, refused by the client, and no HTTP request" % name,
              after["connections"] - before["connections"] == 1 and after["tls_handshakes"] == before["tls_handshakes"]
              and after["tls_handshake_failures"] - before["tls_handshake_failures"] == 1
              and after["requests"] == before["requests"], (before, after))
    else:
        check("%s: the healthy server saw no traffic" % name,
              after["requests"] == before["requests"] and after["connections"] == before["connections"],
              (before, after))
    st = t.status(jdir)
    le = st.get("lastError") or {}
    check("%s: queue status: all %d still pending, last error %s (exit %d)" % (name, N_EMAILS, want_code, want_rc),
          st["pending"] == N_EMAILS and le.get("code") == want_code and le.get("exitCode") == want_rc
          and le.get("message") == want_line[len("crto: "):],
          (st["pending"], le))
    if before_retry is not None:
        before_retry()
    rc, _, err, _ = t.run(["queue", "flush", "--journal", jdir])
    got = fc.segment(segment)
    check("%s: the next flush to the server exits 0" % name, rc == 0, why(rc, err))
    check("%s: the server holds exactly the queued set" % name, set(got) == want and len(got) == N_EMAILS,
          set_diff(got, want))
    st = t.status(jdir)
    check("%s: then nothing pending and no last error" % name,
          st["pending"] == 0 and st.get("lastError") is None, (st["pending"], st.get("lastError")))
    return err, secs


# --------------------------------------------------------------------------
# the scenarios


def test_01_connection_refused(t):
    port = closed_port()
    _, secs = flush_fails(t, "01 connection refused", 8101, "https://localhost:%d" % port, 4,
                          "crto: cannot connect to localhost:%d: connection failed" % port, "CRTO_ERR_CONNECT",
                          max_secs=RETRY_WAIT_MAX)
    print("# refused: %d attempts with backoff took %.1f s" % (1 + RETRY_ATTEMPTS, secs))


def test_02_name_resolution_failure(t):
    host = "crto-fault-test.invalid"     # RFC 6761: never resolves
    t0 = time.monotonic()
    try:
        socket.getaddrinfo(host, 443)
        resolved = True
    except socket.gaierror:
        resolved = False
    lookup = time.monotonic() - t0
    check("02 name resolution: %s does not resolve on this host (%.2f s)" % (host, lookup), not resolved, "")
    _, secs = flush_fails(t, "02 name resolution", 8102, "https://%s" % host, 4,
                          "crto: cannot connect to %s:443: host name not resolved" % host, "CRTO_ERR_RESOLVE",
                          max_secs=RETRY_WAIT_MAX + 5 * lookup)
    print("# name resolution: %d attempts with backoff took %.1f s" % (1 + RETRY_ATTEMPTS, secs))


def test_03_unknown_ca(t):
    wrong_ca = os.path.join(t.fc.dir, "wrong_ca.pem")
    base = t.fc.base_url
    flush_fails(t, "03 unknown CA", 8103, base, 4,
                "crto: certificate of localhost not trusted: The certificate is not correctly signed by the "
                "trusted CA", "CRTO_ERR_CERT", ca_file=wrong_ca, max_secs=10)


def test_04_wrong_host_name(t):
    fc = t.fc
    with TlsPeer(os.path.join(fc.dir, "wronghost.pem"), os.path.join(fc.dir, "wronghost.key")) as peer:
        flush_fails(t, "04 wrong host name", 8104, "https://localhost:%d" % peer.port, 4,
                    "crto: certificate of localhost not trusted: The certificate Common Name (CN) does not match "
                    "with the expected CN", "CRTO_ERR_CERT", max_secs=10)
        check("04 wrong host name: the client sent SNI localhost, one handshake, refused",
              peer.sni == ["localhost"] and peer.accepted == 1 and peer.handshakes_ok == 0,
              (peer.sni, peer.accepted, peer.handshakes_ok, peer.handshake_errors))
        check("04 wrong host name: no HTTP byte reached the peer", peer.app_bytes == 0, peer.app_bytes)


def test_05_expired_certificate(t):
    fc = t.fc
    d = t.path("expired")
    os.makedirs(d)
    pem, key = make_expired_cert(d, fc.ca_file, os.path.join(fc.dir, "ca.key"))
    with TlsPeer(pem, key) as peer:
        flush_fails(t, "05 expired certificate", 8105, "https://localhost:%d" % peer.port, 4,
                    "crto: certificate of localhost not trusted: The certificate validity has expired",
                    "CRTO_ERR_CERT", max_secs=10)
        check("05 expired certificate: one handshake, refused, no HTTP byte",
              peer.accepted == 1 and peer.handshakes_ok == 0 and peer.app_bytes == 0,
              (peer.accepted, peer.handshakes_ok, peer.app_bytes, peer.handshake_errors))


def test_06_handshake_timeout(t):
    with TlsPeer(silent=True) as peer:
        port = peer.port
        _, secs = flush_fails(t, "06 handshake timeout", 8106, "https://localhost:%d" % port, 4,
                              "crto: stopped after --max-seconds 2 (cannot connect to localhost:%d: timed out)" % port,
                              "CRTO_ERR_TIMEOUT", extra=["--max-seconds", "2"],
                              max_secs=6)   # 2 s of budget, plus start-up under valgrind
        check("06 handshake timeout: the silent peer got the connection", peer.accepted >= 1, peer.accepted)
    print("# handshake timeout: gave up after %.1f s" % secs)


def test_18_server_error_until_attempts_run_out(t):
    fc = t.fc
    arm = lambda: fc.fault(mode="server_error", count=1 + RETRY_ATTEMPTS)   # noqa: E731
    fc.reset()
    jdir, want = t.queue("18 server error", 8118)
    arm()
    rc, out, err, secs = t.run(["queue", "flush", "--journal", jdir])
    lines = err.strip().splitlines()
    path = "/2026-07/marketing-solutions/audience-segments/8118/contact-list"
    line = "crto: HTTP 500 from PATCH %s: internal-error - injected server_error fault" % path
    statuses = [r["status"] for r in fc.requests() if r["method"] == "PATCH"]
    check("18 server error: flush exits 5", rc == 5, why(rc, err))
    check("18 server error: stderr says %r" % line, lines[:1] == [line], short(err))
    check("18 server error: 1 + %d attempts, all 500" % RETRY_ATTEMPTS,
          statuses == [500] * (1 + RETRY_ATTEMPTS), statuses)
    check("18 server error: nothing stored (every attempt refused)", fc.segment(8118) == [], "")
    st = t.status(jdir)
    le = st.get("lastError") or {}
    check("18 server error: queue status: all pending, last error CRTO_ERR_SERVER (exit 5)",
          st["pending"] == N_EMAILS and le.get("code") == "CRTO_ERR_SERVER" and le.get("exitCode") == 5,
          (st["pending"], le))
    rc, _, err, _ = t.run(["queue", "flush", "--journal", jdir])
    got = fc.segment(8118)
    check("18 server error: the next flush exits 0 and delivers exactly the queued set",
          rc == 0 and set(got) == want and len(got) == N_EMAILS, "%s; %s" % (why(rc, err), set_diff(got, want)))
    print("# server error: %d attempts took %.1f s" % (1 + RETRY_ATTEMPTS, secs))


# --------------------------------------------------------------------------


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: %s path/to/crto\n" % argv[0])
        print("0 passed, 1 failed")
        return 1
    crto = argv[1]
    if not os.access(crto, os.X_OK):
        sys.stderr.write("not an executable: %s\n" % crto)
        print("0 passed, 1 failed")
        return 1
    t0 = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="crto_faults_") as tmp, \
                FakeCriteo(dir=os.path.join(tmp, "server")) as fc:
            t = Env(crto, fc, tmp)
            for fn in (test_01_connection_refused, test_02_name_resolution_failure, test_03_unknown_ca,
                       test_04_wrong_host_name, test_05_expired_certificate, test_06_handshake_timeout,
                       test_18_server_error_until_attempts_run_out):
                run_group(fn, t)
    except Exception as e:
        check("the fake server started and stopped", False, "%s: %s" % (type(e).__name__, e))
    print("# %.1f s" % (time.monotonic() - t0))
    return summary()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
