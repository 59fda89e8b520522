#!/usr/bin/env python3
"""test_queue.py - the store-and-forward commands (crto queue add|flush|
status|verify) from the outside, against the bundled fake Criteo server.

    python3 tests/integration/test_queue.py build/host/bin/crto

Standard library only.  The groups:
  1. crash safety: 20,000 e-mails; rounds of `queue add` and `queue flush`,
     each SIGKILLed at a random moment (seeded; the seed is printed, and
     CRTO_QUEUE_SEED=N replays it); `queue verify` after every kill; at the
     end the server holds exactly the hashes of the acknowledged lines, and
     every line was acknowledged
  2. offline: flush to a closed port exits 4, loses nothing, records the
     error; the next flush to the server delivers everything
  3. 429 / 503 / 401 in the middle of a flush: everything delivered, and the
     request log shows the retries
  4. no clear text anywhere in the journal directory
  5. status / verify output and exit codes, "journal busy", "journal full",
     usage errors
  6. examples/kiosk (argv[2], or "kiosk" next to crto, when built)
  7. one flush of two groups in five chunks: one token request, one TLS
     handshake, one connection
Each check prints "ok - name" or "not ok - name: details"; the last line is
exactly "N passed, N failed" and the exit status is 1 if anything failed.
"""

import hashlib
import json
import os
import random
import re
import select
import signal
import socket
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
RUN_TIMEOUT = 60
CRASH_EMAILS = 20000
CRASH_ROUNDS = 60             # alternately add and flush, each killed
CRASH_MAX_DELAY = 0.300       # seconds before the SIGKILL
QUEUED_RE = re.compile(r"^queued (\d+)$")


def sha(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def norm_email(line):
    return line.strip(" \t\r\n\v\f").lower()


def short(x, limit=300):
    s = x if isinstance(x, str) else repr(x)
    return s if len(s) <= limit else s[:limit] + "..."


def set_diff(got, want):
    got, want = set(got), set(want)
    return "got %d, want %d; %d missing, %d unexpected" % (
        len(got), len(want), len(want - got), len(got - want))


def make_emails(n, seed, prefix):
    """n distinct e-mail lines, mixed case and stray white space."""
    rnd = random.Random(seed)
    pads = ["", "", "", " ", "  ", "\t", " \t "]
    out = []
    for i in range(n):
        base = "%s.%d.%s@Example-%d.COM" % (prefix, i, rnd.choice(["Ann", "BOB", "ceCil"]), i % 97)
        mixed = "".join(c.upper() if rnd.random() < 0.3 else c for c in base)
        out.append(rnd.choice(pads) + mixed + rnd.choice(pads))
    return out


def parse_json(text):
    try:
        return json.loads(text.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return None


def queued_lines(out):
    """Line numbers acknowledged in stdout: complete lines only (a kill can
    cut the last one)."""
    got = []
    for line in out.split("\n")[:-1]:
        m = QUEUED_RE.match(line)
        if m:
            got.append(int(m.group(1)))
    return got


def closed_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Env:
    def __init__(self, crto, fc, tmp):
        self.crto = os.path.abspath(crto)
        self.fc = fc
        self.tmp = tmp
        base = {k: v for k, v in os.environ.items() if not k.startswith(("CRTO_", "CRITEO_"))}
        self.bare_env = base
        self.env = dict(base, CRITEO_CLIENT_ID=CLIENT_ID, CRITEO_CLIENT_SECRET=CLIENT_SECRET)
        self.n = 0

    def path(self, name):
        self.n += 1
        return os.path.join(self.tmp, "%s.%d" % (name, self.n))

    def write(self, lines):
        p = self.path("input")
        with open(p, "wb") as f:
            f.write("".join(l + "\n" for l in lines).encode("utf-8"))
        return p

    def cmd(self, args, base_url=None, globals_=()):
        return [self.crto, "--base-url", base_url or self.fc.base_url, "--ca-file", self.fc.ca_file] + \
            list(globals_) + list(args)

    def run(self, args, base_url=None, globals_=(), stdin_bytes=None, env=None):
        t0 = time.monotonic()
        p = subprocess.run(self.cmd(args, base_url, globals_), env=self.env if env is None else env,
                           input=stdin_bytes,
                           stdin=subprocess.DEVNULL if stdin_bytes is None else None,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=RUN_TIMEOUT)
        return (p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace"),
                time.monotonic() - t0)

    def status(self, jdir):
        rc, out, err, _ = self.run(["queue", "status", "--journal", jdir], globals_=["--json"])
        j = parse_json(out)
        if rc != 0 or not isinstance(j, dict):
            raise AssertionError("queue status failed: exit %d %s %s" % (rc, short(out), short(err)))
        return j


def add_args(jdir, segment, path, itype="email", *extra):
    return ["queue", "add", "--journal", jdir, "--api", "ms", "--segment", str(segment),
            "--type", itype, "--input", path] + list(extra)


def flush_args(jdir, *extra):
    return ["queue", "flush", "--journal", jdir] + list(extra)


# --------------------------------------------------------------------------
# 1. crash safety


def test_crash_safety(t):
    fc = t.fc
    fc.reset()
    seed = int(os.environ.get("CRTO_QUEUE_SEED", "0")) or random.SystemRandom().randrange(1, 2 ** 31)
    print("# crash test seed %d (CRTO_QUEUE_SEED=%d replays it)" % (seed, seed))
    rnd = random.Random(seed)
    segment = 7001
    emails = make_emails(CRASH_EMAILS, seed, "crash")
    jdir = t.path("journal-crash")
    acked = set()                 # indexes into emails
    attempts = {"add": 0, "flush": 0}
    mid_work = {"add": 0, "flush": 0}
    finished_bad = []
    verify_bad = []
    invariant_bad = []
    dup_acks = 0
    t0 = time.monotonic()

    for rnd_no in range(CRASH_ROUNDS):
        kind = "add" if rnd_no % 2 == 0 else "flush"
        remaining = [i for i in range(CRASH_EMAILS) if i not in acked]
        if kind == "add" and not remaining:
            kind = "flush"
        if kind == "add":
            path = t.write([emails[i] for i in remaining])
            line_map = {n + 1: i for n, i in enumerate(remaining)}
            cmd = t.cmd(add_args(jdir, segment, path))
        else:
            cmd = t.cmd(flush_args(jdir, "--chunk-size", "500"))
        attempts[kind] += 1
        p = subprocess.Popen(cmd, env=t.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        time.sleep(rnd.uniform(0.0, CRASH_MAX_DELAY))
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            mid_work[kind] += 1
        out, err = p.communicate(timeout=RUN_TIMEOUT)
        if p.returncode != -signal.SIGKILL and p.returncode != 0:
            finished_bad.append((rnd_no, kind, p.returncode, short(err.decode("utf-8", "replace"))))
        if kind == "add":
            for n in queued_lines(out.decode("utf-8", "replace")):
                if line_map[n] in acked:
                    dup_acks += 1
                acked.add(line_map[n])
        if not os.path.isdir(jdir):
            # Killed before the first add created the journal (a slow start,
            # e.g. under valgrind): nothing can have been acknowledged yet.
            if acked:
                invariant_bad.append((rnd_no, kind, "journal gone", len(acked)))
            continue
        rc, vout, verr, _ = t.run(["queue", "verify", "--journal", jdir])
        if rc != 0:
            verify_bad.append((rnd_no, kind, rc, short(verr)))
        # every acknowledged e-mail is either on the server or still pending
        pending = t.status(jdir)["pending"]
        on_server = len(fc.segment(segment))
        if pending + on_server < len(acked):
            invariant_bad.append((rnd_no, kind, pending, on_server, len(acked)))

    check("1. crash: every run that was not killed exited 0", not finished_bad, finished_bad[:3])
    check("1. crash: queue verify exits 0 after every kill (%d rounds)" % CRASH_ROUNDS, not verify_bad,
          verify_bad[:3])
    check("1. crash: pending + delivered >= acknowledged after every kill", not invariant_bad, invariant_bad[:3])
    check("1. crash: no line acknowledged twice by one add", dup_acks == 0, dup_acks)

    # the rest, without kills
    final_adds = 0
    while len(acked) < CRASH_EMAILS and final_adds < 3:
        remaining = [i for i in range(CRASH_EMAILS) if i not in acked]
        path = t.write([emails[i] for i in remaining])
        rc, out, err, _ = t.run(add_args(jdir, segment, path))
        final_adds += 1
        for n in queued_lines(out):
            acked.add(remaining[n - 1])
        check("1. crash: final add exits 0", rc == 0, "exit %d %s" % (rc, short(err)))
    flushes, rc = 0, None
    while rc != 0 and flushes < 3:
        rc, out, err, _ = t.run(flush_args(jdir, "--chunk-size", "500"))
        flushes += 1
    check("1. crash: final flush exits 0", rc == 0, "exit %s %s" % (rc, short(err)))
    check("1. crash: every input line was eventually acknowledged", len(acked) == CRASH_EMAILS,
          "%d of %d" % (len(acked), CRASH_EMAILS))
    want = {sha(norm_email(emails[i])) for i in acked}
    got = fc.segment(segment)
    check("1. crash: the server holds exactly the hashes of the acknowledged e-mails",
          set(got) == want, set_diff(got, want))
    st = t.status(jdir)
    check("1. crash: the journal is empty and reset afterwards", st["pending"] == 0 and st["bytes"] == 0,
          {k: st.get(k) for k in ("pending", "bytes")})
    print("# crash: %d rounds in %.1f s; kills sent to add %d, to flush %d; killed mid-work: add %d, flush %d"
          % (CRASH_ROUNDS, time.monotonic() - t0, attempts["add"], attempts["flush"], mid_work["add"],
             mid_work["flush"]))
    check("1. crash: kills landed mid-work in both add and flush", mid_work["add"] > 0 and mid_work["flush"] > 0,
          mid_work)


# --------------------------------------------------------------------------
# 2. offline


def test_offline(t):
    fc = t.fc
    fc.reset()
    segment = 7002
    emails = make_emails(300, 2, "offline")
    jdir = t.path("journal-offline")
    rc, out, err, _ = t.run(add_args(jdir, segment, t.write(emails)))
    check("2. offline: add exits 0 without any network", rc == 0 and len(queued_lines(out)) == 300,
          "exit %d %s" % (rc, short(err)))
    before = t.status(jdir)
    dead = "https://localhost:%d" % closed_port()
    rc, out, err, secs = t.run(flush_args(jdir), base_url=dead, globals_=["--json"])
    j = parse_json(out) or {}
    check("2. offline: flush to a closed port exits 4", rc == 4, "exit %d %s" % (rc, short(err)))
    check("2. offline: --json says sent 0, pending 300, exitCode 4, an error code",
          j.get("sent") == 0 and j.get("pending") == 300 and j.get("exitCode") == 4 and
          isinstance(j.get("error"), dict) and j["error"].get("code"), short(out))
    print("# offline flush (retries with backoff) took %.1f s" % secs)
    st = t.status(jdir)
    check("2. offline: status shows the same pending count", st["pending"] == before["pending"] == 300,
          (before["pending"], st["pending"]))
    le = st.get("lastError") or {}
    check("2. offline: status shows the last error (code, time, exit 4)",
          le.get("code") and le.get("time", "").endswith("Z") and le.get("exitCode") == 4, le)
    rc, out, err, secs = t.run(flush_args(jdir, "--max-seconds", "2"), base_url=dead)
    check("2. offline: --max-seconds 2 bounds the flush (exit 4 within ~2 s)", rc == 4 and secs < 3.5,
          "exit %d in %.1f s %s" % (rc, secs, short(err)))
    check("2. offline: nothing reached the server", fc.segment(segment) == [], len(fc.segment(segment)))
    rc, text, _, _ = t.run(["queue", "status", "--journal", jdir])
    check("2. offline: text status names the last error", "last error: " in text and "exit 4" in text, short(text))
    rc, out, err, _ = t.run(flush_args(jdir))
    check("2. offline: the next flush to the server exits 0", rc == 0, "exit %d %s" % (rc, short(err)))
    want = {sha(norm_email(e)) for e in emails}
    got = fc.segment(segment)
    check("2. offline: then the server holds every identifier", set(got) == want, set_diff(got, want))
    st = t.status(jdir)
    check("2. offline: after success no last error, nothing pending",
          st.get("lastError") is None and st["pending"] == 0 and not os.path.exists(os.path.join(jdir, "last_error")),
          {k: st.get(k) for k in ("lastError", "pending")})


# --------------------------------------------------------------------------
# 3. faults in the middle of a flush


def fault_run(t, name, segment, arm, n=1000, chunk="100", during=None):
    fc = t.fc
    fc.reset()
    tag = re.sub(r"[^a-z0-9]+", "-", name)
    emails = make_emails(n, segment, tag)
    jdir = t.path("journal-" + tag)
    rc, _, err, _ = t.run(add_args(jdir, segment, t.write(emails)))
    if rc != 0:
        raise AssertionError("add failed: %d %s" % (rc, short(err)))
    arm(fc)
    result = {}

    def go():
        result["r"] = t.run(flush_args(jdir, "--chunk-size", chunk), globals_=["--json"])

    th = threading.Thread(target=go)
    th.start()
    armed = during(fc, th) if during else None
    th.join(RUN_TIMEOUT + 5)
    rc, out, err, secs = result.get("r", (None, "", "no result", 0))
    j = parse_json(out) or {}
    check("3. %s: flush exits 0" % name, rc == 0, "exit %s %s" % (rc, short(err)))
    want = {sha(norm_email(e)) for e in emails}
    got = fc.segment(segment)
    check("3. %s: every identifier delivered" % name, set(got) == want, set_diff(got, want))
    check("3. %s: journal empty afterwards" % name, j.get("pending") == 0, short(out))
    print("# %s flush took %.1f s, %s retries" % (name, secs, j.get("retries")))
    return fc.requests(), j, armed


def test_faults(t):
    api = lambda log: [r for r in log if r["method"] == "PATCH"]

    log, j, _ = fault_run(t, "rate_limit retry_after", 7003,
                          lambda fc: fc.fault(mode="rate_limit", count=2, retry_after=1))
    st = [r["status"] for r in api(log)]
    check("3. rate_limit retry_after: two 429 in the log, then 200s", st.count(429) == 2 and st[-1] == 200, st)
    check("3. rate_limit retry_after: --json counts the retries", (j.get("retries") or 0) >= 2, j)

    log, j, _ = fault_run(t, "rate_limit reset_in", 7004,
                          lambda fc: fc.fault(mode="rate_limit", count=1, reset_in=1))
    st = [r["status"] for r in api(log)]
    check("3. rate_limit reset_in: one 429 in the log, then 200s", st.count(429) == 1 and st[-1] == 200, st)

    log, j, _ = fault_run(t, "unavailable", 7005, lambda fc: fc.fault(mode="unavailable", count=2))
    st = [r["status"] for r in api(log)]
    check("3. unavailable: two 503 in the log, then 200s", st.count(503) == 2 and st[-1] == 200, st)

    def expire_when_slow_in_flight(fc, th):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and th.is_alive():
            recs = api(fc.requests())
            # authorization is classified before the slow sleep starts
            if recs and recs[0]["authorization"] == "bearer-valid" and recs[0]["status"] is None:
                fc.fault(mode="expire_tokens")
                return True
            time.sleep(0.02)
        return False

    log, j, armed = fault_run(t, "expire_tokens", 7006, lambda fc: fc.fault(mode="slow", count=1, seconds=1.0),
                              during=expire_when_slow_in_flight)
    check("3. expire_tokens: armed while the first (slow) chunk was in flight", armed, "")
    st = [r["status"] for r in api(log)]
    tokens = [r for r in log if r["method"] == "POST" and r["path"].endswith("/oauth2/token")]
    check("3. expire_tokens: one 401, then a new token and 200s", st.count(401) == 1 and st[-1] == 200 and
          len(tokens) == 2, (st, len(tokens)))


# --------------------------------------------------------------------------
# 4. no clear text


def test_no_clear_text(t):
    fc = t.fc
    fc.reset()
    jdir = t.path("journal-clear")
    emails = make_emails(200, 4, "secret")
    phones = ["+33 6 12 34 56 78", "+33612345679", " +44 20 7946 0958 ", "+1 (415) 555-0100",
              "0033 6 98 76 54 32", "+49-30-1234567"]
    rc1, _, e1, _ = t.run(add_args(jdir, 7007, t.write(emails)))
    rc2, _, e2, _ = t.run(add_args(jdir, 7008, t.write(phones), "phoneNumber"))
    check("4. clear text: e-mails and phone numbers queued", rc1 == 0 and rc2 == 0, (rc1, e1, rc2, e2))
    # a failed flush too, so last_error exists
    t.run(flush_args(jdir, "--max-seconds", "1"), base_url="https://localhost:%d" % closed_port())
    files = sorted(os.listdir(jdir))
    blob = b""
    for name in files:
        with open(os.path.join(jdir, name), "rb") as f:
            blob += f.read()
    needles = set()
    for line in emails + phones:
        needles.update({line, line.strip(), line.strip().lower(), norm_email(line)})
    for p in phones:
        digits = "+" + "".join(c for c in p if c.isdigit()).lstrip("0")
        needles.update({digits, digits[1:]})
    found = [n for n in needles if n and n.encode("utf-8") in blob]
    check("4. clear text: none of %d forms in %s (%d bytes)" % (len(needles), files, len(blob)),
          not found and "journal.crto" in files and "last_error" in files, short(found[:3]))
    st = t.status(jdir)
    check("4. clear text: status counts the queued items", st["pending"] == 206, st["pending"])


# --------------------------------------------------------------------------
# 5. status, verify, busy, full, usage


def test_status_verify(t):
    fc = t.fc
    fc.reset()
    jdir = t.path("journal-status")
    emails = make_emails(10, 5, "status")
    lines = emails[:3] + ["", "not-an-email", "  "] + emails[3:]
    rc, out, err, _ = t.run(add_args(jdir, 7009, t.write(lines)))
    check("5. add with a bad line: exit 2", rc == 2, "exit %d %s" % (rc, short(err)))
    check("5. add acknowledges each good line by its line number",
          queued_lines(out) == [1, 2, 3] + list(range(7, 14)), short(out))
    check("5. the bad line is named by number, never shown",
          "line 5 rejected" in err and "not-an-email" not in err, short(err))
    rc, out, err, _ = t.run(add_args(jdir, 7009, t.write(["bad1", "bad2"])))
    check("5. add with nothing valid: exit 1", rc == 1 and queued_lines(out) == [], "exit %d %s" % (rc, short(err)))
    rm_segment = fc.seed_segments("rm", 1, accountId="300", retailerId="12")[0]
    rc, out, err, _ = t.run(["queue", "add", "--journal", jdir, "--api", "rm", "--segment", rm_segment,
                             "--type", "Email", "--operation", "remove", "--input", "-"],
                            stdin_bytes=b"someone@example.org\n")
    check("5. add from stdin (rm, remove): exit 0", rc == 0 and queued_lines(out) == [1], (rc, out, err))

    rc, out, err, _ = t.run(["queue", "status", "--journal", jdir])
    check("5. status text: exit 0, one line per group, next planned flush",
          rc == 0 and "ms segment 7009 add email: pending 10, acked 0" in out and
          ("rm segment %s remove Email: pending 1, acked 0" % rm_segment) in out and "next planned flush:" in out,
          short(out))
    st = t.status(jdir)
    groups = {(g["api"], g["segment"], g["operation"], g["type"]): g for g in st["groups"]}
    check("5. status json: pending, bytes, groups, oldest age",
          st["pending"] == 11 and st["bytes"] > 0 and len(groups) == 2 and
          groups[("ms", "7009", "add", "email")]["pending"] == 10 and
          isinstance(st["oldestPendingSeconds"], int) and 0 <= st["oldestPendingSeconds"] < 60, short(st))
    nf = st.get("nextFlush") or {}
    check("5. status json: next planned flush from crto_flush_plan",
          isinstance(nf.get("due"), bool) and isinstance(nf.get("inSeconds"), int) and nf.get("reason"), nf)

    rc, out, err, _ = t.run(["queue", "verify", "--journal", jdir])
    check("5. verify: exit 0, 11 records intact", rc == 0 and "11 records intact" in out, (rc, out, err))
    # a torn write at the end (a power cut mid-append): cut at open, reported
    with open(os.path.join(jdir, "journal.crto"), "ab") as f:
        f.write(b"\xc7\x01\x40\x00torn")
    rc, out, err, _ = t.run(["queue", "verify", "--journal", jdir])
    check("5. verify after a torn tail: exit 0, the cut reported, 11 records",
          rc == 0 and "11 records intact" in out and "8 bytes" in out, (rc, out, err))
    check("5. status after the cut: still 11 pending", t.status(jdir)["pending"] == 11, "")
    rc, out, err, _ = t.run(["queue", "status", "--journal", os.path.join(t.tmp, "no-such-dir")])
    check("5. status of a missing directory: exit 1", rc == 1 and "no journal directory" in err, (rc, err))
    rc, out, err, _ = t.run(["queue", "verify", "--journal", os.path.join(t.tmp, "no-such-dir")])
    check("5. verify of a missing directory: exit 1", rc == 1, (rc, err))

    # flush --if-due follows the plan status printed
    due = t.status(jdir)["nextFlush"]["due"]
    rc, out, err, _ = t.run(flush_args(jdir, "--if-due"))
    after = t.status(jdir)["pending"]
    check("5. flush --if-due: exit 0, flushed only if the plan said so (due=%s)" % due,
          rc == 0 and (after == 0) == due, (rc, out, err, after))

    rc, out, err, _ = t.run(flush_args(jdir), globals_=["--json"])
    j = parse_json(out) or {}
    check("5. flush --json: sent, chunks, pending, error, exitCode",
          rc == 0 and j.get("pending") == 0 and j.get("error") is None and j.get("exitCode") == 0 and
          isinstance(j.get("sent"), int) and isinstance(j.get("chunks"), int), short(out))
    rc, out, err, _ = t.run(flush_args(jdir), env=t.bare_env)
    check("5. flush of an empty journal needs no credentials: exit 0", rc == 0, (rc, err))
    rc, out, err, _ = t.run(flush_args(jdir + "-typo"))
    check("5. flush of a missing directory: exit 1", rc == 1, (rc, err))
    # credentials missing while something is pending: exit 3, recorded
    t.run(add_args(jdir, 7009, t.write(emails[:2])))
    rc, out, err, _ = t.run(flush_args(jdir), env=t.bare_env)
    check("5. flush without credentials: exit 3, recorded as the last error",
          rc == 3 and (t.status(jdir).get("lastError") or {}).get("exitCode") == 3, (rc, err))


def test_api_error(t):
    """A group Criteo refuses for good (a segment that does not exist):
    exit 5, the error recorded, nothing dropped."""
    fc = t.fc
    fc.reset()
    jdir = t.path("journal-404")
    rc, out, err, _ = t.run(["queue", "add", "--journal", jdir, "--api", "rm", "--segment", "999",
                             "--type", "Email", "--input", "-"], stdin_bytes=b"a@example.org\nb@example.org\n")
    check("5. api error: queued for an RM segment that does not exist", rc == 0, (rc, err))
    rc, out, err, _ = t.run(flush_args(jdir), globals_=["--json"])
    j = parse_json(out) or {}
    check("5. api error: flush exits 5 (404), pending 2 kept",
          rc == 5 and j.get("pending") == 2 and (j.get("error") or {}).get("code") == "CRTO_ERR_NOT_FOUND",
          (rc, short(out), short(err)))
    le = t.status(jdir).get("lastError") or {}
    check("5. api error: status shows it", le.get("code") == "CRTO_ERR_NOT_FOUND" and le.get("exitCode") == 5
          and "404" in le.get("message", ""), le)


def test_busy(t):
    jdir = t.path("journal-busy")
    holder = subprocess.Popen(t.cmd(["queue", "add", "--journal", jdir, "--api", "ms", "--segment", "7011",
                                     "--type", "email", "--input", "-"]),
                              env=t.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        holder.stdin.write(b"first@example.com\n")
        holder.stdin.flush()
        ready, _, _ = select.select([holder.stdout], [], [], 10)
        line = holder.stdout.readline().decode() if ready else ""
        check("5. busy: a piped add acknowledges a line while its input stays open", line == "queued 1\n",
              repr(line))
        rc, out, err, _ = t.run(["queue", "status", "--journal", jdir])
        check("5. busy: status while another crto holds the journal: exit 1, journal busy",
              rc == 1 and "journal busy" in err, (rc, err))
        rc, out, err, _ = t.run(flush_args(jdir))
        check("5. busy: flush: exit 1, journal busy", rc == 1 and "journal busy" in err, (rc, err))
        rc, out, err, secs = t.run(add_args(jdir, 7011, t.write(["second@example.com"])))
        check("5. busy: a second add waits ~2 s, then exit 1, journal busy, nothing acknowledged",
              rc == 1 and "journal busy" in err and queued_lines(out) == [] and 1.5 < secs < 5,
              (rc, err, secs))
        out, err = holder.communicate(input=b"third@example.com\n", timeout=RUN_TIMEOUT)
        check("5. busy: the holder finishes normally once its input ends",
              holder.returncode == 0 and out.decode() == "queued 2\n", (holder.returncode, out, err))
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
    check("5. busy: afterwards the journal opens again (2 pending)", t.status(jdir)["pending"] == 2, "")


def test_full(t):
    fc = t.fc
    fc.reset()
    jdir = t.path("journal-full")
    emails = make_emails(500, 6, "full")
    rc, out, err, _ = t.run(add_args(jdir, 7012, t.write(emails), "email", "--max-bytes", "6000"))
    acks = queued_lines(out)
    k = len(acks)
    check("5. full: exit 1 with \"journal full\"", rc == 1 and "journal full" in err, (rc, short(err)))
    check("5. full: the lines before it were acknowledged, in order",
          0 < k < 500 and acks == list(range(1, k + 1)), "%d acks" % k)
    check("5. full: the message names the first line not queued", ("line %d " % (k + 1)) in err, short(err))
    check("5. full: status pending equals the acknowledged lines", t.status(jdir)["pending"] == k, "")
    rc, out, err, _ = t.run(flush_args(jdir))
    want = {sha(norm_email(e)) for e in emails[:k]}
    got = fc.segment(7012)
    check("5. full: a flush delivers exactly them", rc == 0 and set(got) == want, set_diff(got, want))
    rc, out, err, _ = t.run(add_args(jdir, 7012, t.write(emails[k:k + 10]), "email", "--max-bytes", "6000"))
    check("5. full: after the flush there is room again", rc == 0 and len(queued_lines(out)) == 10, (rc, err))


def test_one_connection_per_flush(t):
    """A flush of several groups and chunks costs one token request, one
    TLS handshake and one connection: requests ride the kept-alive
    connection from group to group."""
    fc = t.fc
    fc.reset()
    jdir = t.path("journal")
    groups = {"9101": make_emails(1200, 91, "one"), "9102": make_emails(700, 92, "two")}
    for segment, emails in groups.items():
        rc, _, err, _ = t.run(add_args(jdir, segment, t.write(emails)))
        check("7. one connection: queue add to segment %s exits 0" % segment, rc == 0, short(err))
    before = fc.stats()
    rc, _, err, _ = t.run(flush_args(jdir, "--chunk-size", "500"))
    st = fc.stats()
    check("7. one connection: the flush exits 0", rc == 0, "exit %d %s" % (rc, short(err)))
    chunks = 3 + 2      # 1,200 and 700 e-mails in chunks of 500
    check("7. one connection: %d content requests and 1 token request, 1 TLS handshake, 1 connection"
          % chunks,
          st["api_requests"] - before["api_requests"] == chunks
          and st["token_requests"] - before["token_requests"] == 1
          and st["tls_handshakes"] - before["tls_handshakes"] == 1
          and st["connections"] - before["connections"] == 1, st)
    for segment, emails in groups.items():
        want = {sha(norm_email(e)) for e in emails}
        got = fc.segment(segment)
        check("7. one connection: segment %s holds every identifier" % segment, set(got) == want,
              set_diff(got, want))


def test_usage(t):
    jdir = t.path("journal-usage")
    p = t.write(["a@b.io"])
    cases = [
        ("no --journal", ["queue", "add", "--api", "ms", "--segment", "1", "--type", "email", "--input", p]),
        ("bad --api", add_args(jdir, 1, p)[:4] + ["xx"] + add_args(jdir, 1, p)[5:]),
        ("bad segment", add_args(jdir, "12a", p)),
        ("bad type", add_args(jdir, 1, p, "Email")),
        ("ms gum", add_args(jdir, 1, p, "gum")),
        ("bad --operation", add_args(jdir, 1, p, "email", "--operation", "wipe")),
        ("tiny --max-bytes", add_args(jdir, 1, p, "email", "--max-bytes", "100")),
        ("bad --max-seconds", flush_args(jdir, "--max-seconds", "0")),
        ("bad --chunk-size", flush_args(jdir, "--chunk-size", "50001")),
        ("unknown verb", ["queue", "purge", "--journal", jdir]),
        ("unknown option", ["queue", "status", "--journal", jdir, "--bogus"]),
    ]
    bad = []
    for name, args in cases:
        rc, out, err, _ = t.run(args)
        if rc != 1 or not err.startswith("crto: ") or queued_lines(out):
            bad.append((name, rc, short(err, 80)))
    check("5. usage errors exit 1 with a message (%d cases)" % len(cases), not bad, bad)
    rc, out, _, _ = t.run(["--help"])
    check("5. --help lists the queue commands", rc == 0 and "crto queue add" in out and "crto queue flush" in out, "")


def test_kiosk(t, kiosk):
    """examples/kiosk against the fake server: queues each customer, flushes
    at the threshold and at closing time; its journal is the one crto reads."""
    fc = t.fc
    fc.reset()
    jdir = t.path("journal-kiosk")
    emails = make_emails(10, 7, "kiosk")
    lines = emails[:4] + ["", "nobody"] + emails[4:] + ["+33 6 12 34 56 78"]
    env = dict(t.env, CRTO_BASE_URL=fc.base_url, CRTO_CA_FILE=fc.ca_file, KIOSK_FLUSH_AT="4",
               KIOSK_DEVICE_ID="kiosk-test-1")
    path = t.write(lines)
    # offline first: everything is kept, the kiosk carries on
    off = dict(env, CRTO_BASE_URL="https://localhost:%d" % closed_port())
    p = subprocess.run([kiosk, jdir, "7013", path], env=off, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=RUN_TIMEOUT)
    out = p.stdout.decode()
    check("kiosk: offline, it queues every customer and loses nothing",
          p.returncode == 0 and out.count("queued ") == 11 and "rejected 6" in out and "flush failed" in out,
          short(out))
    st = t.status(jdir)
    check("kiosk: crto queue status reads the kiosk's journal (11 pending)", st["pending"] == 11, st["pending"])
    p = subprocess.run([kiosk, jdir, "7013", "-", "--drain"], env=env, input=b"late@example.com\n",
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=RUN_TIMEOUT)
    out = p.stdout.decode()
    check("kiosk: online again, it flushes what waited and the new one",
          p.returncode == 0 and "11 identifiers waiting" in out and "flushed " in out and
          "0 pending" in out, short(out))
    want = {sha(norm_email(e)) for e in emails + ["late@example.com"]} | {sha("+33612345678")}
    got = fc.segment(7013)
    check("kiosk: the server holds every customer", set(got) == want, set_diff(got, want))


def main(argv):
    if len(argv) not in (2, 3) or not os.access(argv[1], os.X_OK):
        sys.stderr.write("usage: %s path/to/crto [path/to/kiosk]\n" % argv[0])
        print("0 passed, 1 failed")
        return 1
    t0 = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="crto_queue_") as tmp, \
                FakeCriteo(dir=os.path.join(tmp, "server")) as fc:
            t = Env(argv[1], fc, tmp)
            for fn in (test_crash_safety, test_offline, test_faults, test_no_clear_text, test_status_verify,
                       test_api_error, test_busy, test_full, test_one_connection_per_flush, test_usage):
                run_group(fn, t)
            # examples/kiosk, when built (argv[2], or next to crto)
            kiosk = argv[2] if len(argv) == 3 else os.path.join(os.path.dirname(os.path.abspath(argv[1])), "kiosk")
            if os.access(kiosk, os.X_OK):
                run_group(test_kiosk, t, os.path.abspath(kiosk))
            elif len(argv) == 3:
                check("kiosk example built", False, "not an executable: %s" % kiosk)
            else:
                print("# %s not built: the kiosk example is not run" % kiosk)
    except Exception as e:
        check("the fake server started and stopped", False, "%s: %s" % (type(e).__name__, e))
    print("# %.1f s" % (time.monotonic() - t0))
    return summary()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
