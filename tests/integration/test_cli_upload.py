#!/usr/bin/env python3
"""test_cli_upload.py - end-to-end checks of the crto command against the
bundled fake Criteo server (tests/fake_criteo).

    python3 tests/integration/test_cli_upload.py build/host/bin/crto

Standard library only.  One HTTPS FakeCriteo serves every check (its state
is reset between groups); a second, plain-HTTP one is started for the
loopback-http check.  Each check prints "ok - name" or "not ok - name:
details"; the last line is exactly "N passed, N failed" and the exit status
is 1 if anything failed.
"""

import hashlib
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "fake_criteo"))
from fake_server import FakeCriteo  # noqa: E402
from tap import check, run_group, summary  # noqa: E402

CLIENT_ID, CLIENT_SECRET = "demo-client", "demo-secret"
RUN_TIMEOUT = 120
CHUNK_MAX = 50000
RETRY_ATTEMPTS = 4          # CRTO_RETRY_ATTEMPTS in include/crto/crto_config.h
REJECT_RE = re.compile(r"^crto: line (\d+) rejected: (.*)$", re.M)



def sha(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def norm(line):
    """What the client must do to an e-mail line: trim ASCII white space,
    lowercase ASCII (e-mails here are ASCII)."""
    return line.strip(" \t\r\n\v\f").lower()


def why(rc, err):
    """Failure details: the exit status and, if any, stderr."""
    return "exit %s%s" % (rc, "; stderr: " + short(err.strip()) if err.strip() else "")


def short(x, limit=300):
    s = x if isinstance(x, str) else repr(x)
    return s if len(s) <= limit else s[:limit] + "..."


def set_diff(got, want):
    got, want = set(got), set(want)
    return "got %d, want %d; %d missing, %d unexpected (e.g. %s / %s)" % (
        len(got), len(want), len(want - got), len(got - want),
        short(sorted(want - got)[:2]), short(sorted(got - want)[:2]))


def make_emails(n, seed, prefix="user"):
    """n distinct e-mail lines with mixed case and stray white space; returns
    (raw lines, normalised forms)."""
    rnd = random.Random(seed)
    raw, clean = [], []
    pads = ["", "", "", " ", "  ", "\t", " \t "]
    for i in range(n):
        base = "%s.%d.%s@Example-%d.COM" % (prefix, i, rnd.choice(["Ann", "BOB", "ceCil"]), i % 97)
        mixed = "".join(c.upper() if rnd.random() < 0.3 else c for c in base)
        line = rnd.choice(pads) + mixed + rnd.choice(pads)
        raw.append(line)
        clean.append(base.lower())
    return raw, clean


class Env:
    """The crto binary, the servers and a scratch directory."""

    def __init__(self, crto, fc, tmp):
        self.crto = os.path.abspath(crto)
        self.fc = fc
        self.tmp = tmp
        base = {k: v for k, v in os.environ.items()
                if not k.startswith(("CRTO_", "CRITEO_"))}
        self.bare_env = base
        self.env = dict(base, CRITEO_CLIENT_ID=CLIENT_ID, CRITEO_CLIENT_SECRET=CLIENT_SECRET)
        self.counter = 0

    def write(self, lines, name=None, raw=None):
        self.counter += 1
        path = os.path.join(self.tmp, name or "input%d.txt" % self.counter)
        with open(path, "wb") as f:
            if raw is not None:
                f.write(raw)
            else:
                f.write("".join(l + "\n" for l in lines).encode("utf-8"))
        return path

    def run(self, args, env=None, stdin_bytes=None, server=None, ca_file=None, base_url=None,
            globals_=()):
        """Runs crto with --base-url/--ca-file for the server; returns
        (exit status, stdout text, stderr text, seconds)."""
        fc = server or self.fc
        cmd = [self.crto, "--base-url", base_url or fc.base_url]
        if not fc.plain or ca_file:
            cmd += ["--ca-file", ca_file or fc.ca_file]
        cmd += list(globals_) + list(args)
        t0 = time.monotonic()
        p = subprocess.run(cmd, env=self.env if env is None else env,
                           input=stdin_bytes,
                           stdin=subprocess.DEVNULL if stdin_bytes is None else None,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=RUN_TIMEOUT)
        return (p.returncode, p.stdout.decode("utf-8", "replace"),
                p.stderr.decode("utf-8", "replace"), time.monotonic() - t0)


def add_args(segment, path, *extra, op="add", itype="email"):
    return ["ms", "contacts", op, "--segment", str(segment), "--type", itype,
            "--input", path] + list(extra)


def delta(before, after):
    return {k: after.get(k, 0) - before.get(k, 0) for k in after}


def patches(fc):
    return [r for r in fc.requests() if r["method"] == "PATCH"]


def parse_json(out):
    try:
        return json.loads(out)
    except ValueError:
        return None


def quiet_traffic(d):
    return all(d.get(k, 0) == 0 for k in ("connections", "tls_handshakes", "requests",
                                           "token_requests", "api_requests"))


# --------------------------------------------------------------------------
# a. acceptance: 120,001 e-mails


def test_acceptance(t):
    fc = t.fc
    fc.reset()
    raw, clean = make_emails(120001, seed=1)
    # a few lines with CRLF endings, as exported from a spreadsheet
    text = "".join(l + ("\r\n" if i % 1000 == 7 else "\n") for i, l in enumerate(raw))
    path = t.write(None, raw=text.encode("utf-8"))
    want = {sha(c) for c in clean}
    before = fc.stats()
    rc, out, err, secs = t.run(add_args(1001, path), globals_=["--json"])
    d = delta(before, fc.stats())
    check("a. 120,001 e-mails: exit 0", rc == 0, "exit %d, stderr %s" % (rc, short(err)))
    check("a. exactly 1 token request, 3 API requests",
          d["token_requests"] == 1 and d["api_requests"] == 3 and d["requests"] == 4, d)
    check("a. one connection, one TLS handshake",
          d["connections"] == 1 and d["tls_handshakes"] == 1, d)
    counts = [r["identifiers"] for r in patches(fc)]
    check("a. PATCH bodies carry 50,000 / 50,000 / 20,001 identifiers",
          counts == [50000, 50000, 20001], counts)
    check("a. every PATCH was answered 200 with a valid bearer",
          all(r["status"] == 200 and r["authorization"] == "bearer-valid" for r in patches(fc)),
          [(r["status"], r["authorization"]) for r in patches(fc)])
    got = fc.segment(1001)
    check("a. segment holds exactly sha256(normalised) of the 120,001 lines",
          len(got) == 120001 and set(got) == want, set_diff(got, want))
    j = parse_json(out)
    check("a. --json prints one JSON object", isinstance(j, dict), short(out))
    j = j or {}
    exp = {"sent": 120001, "accepted": 120001, "rejected": 0, "chunks": 3,
           "tokenRequests": 1, "tlsHandshakes": 1, "connections": 1, "requests": 4,
           "retries": 0, "nbValidIdentifiers": 120001, "nbInvalidIdentifiers": 0,
           "exitCode": 0, "error": None, "rejectedLines": []}
    bad = {k: (j.get(k), v) for k, v in exp.items() if j.get(k, "absent") != v}
    check("a. --json figures agree with the server", not bad, "got/want %s" % bad)
    chunks = [c.get("identifiers") for c in j.get("chunkResults", [])]
    check("a. --json chunkResults list 50,000 / 50,000 / 20,001",
          chunks == [50000, 50000, 20001], chunks)
    print("# acceptance upload took %.2f s" % secs)


# --------------------------------------------------------------------------
# b. --chunk-size


def test_chunk_size(t):
    fc = t.fc
    fc.reset()
    raw, clean = make_emails(2500, seed=2, prefix="chunk")
    path = t.write(raw)
    rc, out, err, _ = t.run(add_args(1002, path, "--chunk-size", "1000"))
    check("b. --chunk-size 1000: exit 0", rc == 0, why(rc, err))
    counts = [r["identifiers"] for r in patches(fc)]
    check("b. --chunk-size 1000 with 2,500 ids: requests of 1000/1000/500",
          counts == [1000, 1000, 500], counts)
    got = fc.segment(1002)
    want = {sha(c) for c in clean}
    check("b. all 2,500 stored", set(got) == want and len(got) == 2500, set_diff(got, want))
    # a chunk boundary that falls exactly on the end of the input
    fc.reset()
    path = t.write(raw[:2000])
    rc, _, err, _ = t.run(add_args(1003, path, "--chunk-size", "1000"))
    counts = [r["identifiers"] for r in patches(fc)]
    check("b. 2,000 ids in chunks of 1000: exactly 2 requests, no empty third",
          rc == 0 and counts == [1000, 1000], "exit %d, counts %s, %s" % (rc, counts, short(err)))


# --------------------------------------------------------------------------
# c. bad segment ids


def test_bad_segments(t):
    fc = t.fc
    fc.reset()
    path = t.write(["someone@example.com"])
    for seg in ("abc", "", "123456789012345678901", "-5"):
        before = fc.stats()
        rc, out, err, _ = t.run(add_args(seg, path))
        after = fc.stats()
        check("c. segment %r: exit 1" % seg, rc == 1, why(rc, err))
        check("c. segment %r: no request reached the server" % seg, before == after,
              delta(before, after))
        check("c. segment %r: stderr names the segment id" % seg,
              "segment" in err.lower(), short(err))
    # 20 digits is the documented maximum and must be accepted
    fc.reset()
    rc, _, err, _ = t.run(add_args("12345678901234567890", path))
    check("c. a 20-digit segment id is accepted", rc == 0 and
          fc.segment("12345678901234567890") == [sha("someone@example.com")],
          why(rc, err))


# --------------------------------------------------------------------------
# d. rejected lines -> partial success


def test_rejects(t):
    fc = t.fc
    fc.reset()
    lines = [
        b"Alice@Example.com",            # 1 valid
        b"",                             # 2 blank: skipped, not reported
        b"a\x01b@x.com",                 # 3 control character
        b"   \t ",                       # 4 blank
        b"\xff@x.com",                   # 5 invalid UTF-8
        b"no-at-sign",                   # 6 no '@'
        b"  Bob@Example.ORG  ",          # 7 valid
        b"\r",                           # 8 blank (CR only)
        b"carol@example.net",            # 9 valid
        b"@x.com",                       # 10 empty local part
        b"dave@",                        # 11 empty domain
        b"e ve@x.com",                   # 12 white space inside
        b"x" * 251 + b"@x.com",          # 13 257 bytes: too long
        b"y" * 250 + b"@x.com",          # 14 exactly 256 bytes: valid
        b"\tErin@Example.COM\r",         # 15 valid (CRLF-ish, tab)
    ]
    path = t.write(None, raw=b"\n".join(lines) + b"\n")
    valid = ["alice@example.com", "bob@example.org", "carol@example.net",
             "y" * 250 + "@x.com", "erin@example.com"]
    want_lines = [3, 5, 6, 10, 11, 12, 13]
    rc, out, err, _ = t.run(add_args(1004, path), globals_=["--json"])
    check("d. some invalid lines: exit 2", rc == 2, why(rc, err))
    reported = [int(m.group(1)) for m in REJECT_RE.finditer(err)]
    check("d. stderr names each bad line by number", reported == want_lines,
          "got %s, want %s" % (reported, want_lines))
    check("d. blank lines 2, 4, 8 are not reported",
          not re.search(r"\bline (2|4|8)\b", err), short(err))
    reasons = {int(m.group(1)): m.group(2).lower() for m in REJECT_RE.finditer(err)}
    expect_words = {3: "control", 5: "utf-8", 13: "longer"}
    bad = {n: reasons.get(n) for n, w in expect_words.items() if w not in (reasons.get(n) or "")}
    check("d. reasons say control character / UTF-8 / too long", not bad, bad)
    got = fc.segment(1004)
    want = {sha(v) for v in valid}
    check("d. the 5 valid lines are on the server, nothing else",
          set(got) == want and len(got) == 5, set_diff(got, want))
    j = parse_json(out) or {}
    jl = [r.get("line") for r in j.get("rejectedLines", [])]
    check("d. --json rejectedLines lists the same line numbers", jl == want_lines,
          "got %s" % jl)
    check("d. --json counts: accepted 5, rejected 7, sent 5, exitCode 2",
          (j.get("accepted"), j.get("rejected"), j.get("sent"), j.get("exitCode")) == (5, 7, 5, 2),
          short(out))


def test_line_edges(t):
    """Lines the 258-byte fgets() window of the file source must not
    misread: an embedded NUL, and lines longer than the window."""
    fc = t.fc
    fc.reset()
    data = (b"nul@x.com\x00junk\n"                   # 1 control character 0x00
            + b" " * 300 + b"lost@x.com\n"            # 2 valid after trimming
            + b"in@x.com" + b" " * 300 + b"side\n"    # 3 white space inside
            + b"ok@x.com\n")                          # 4 valid
    path = t.write(None, raw=data)
    rc, out, err, _ = t.run(add_args(1019, path))
    reported = [int(m.group(1)) for m in REJECT_RE.finditer(err)]
    got = set(fc.segment(1019))
    check("d. a NUL byte inside a line is rejected as a control character",
          1 in reported and sha("nul@x.com") not in got,
          "reported %s; nul@x.com %s" % (reported, "stored" if sha("nul@x.com") in got else "not stored"))
    check("d. a valid e-mail after 300 bytes of leading blanks is uploaded, not dropped",
          sha("lost@x.com") in got and 2 not in reported,
          "reported %s; lost@x.com %s" % (reported, "stored" if sha("lost@x.com") in got else "missing"))
    check("d. an e-mail with 300 blanks inside is rejected, not cut at the blanks",
          3 in reported and sha("in@x.com") not in got,
          "reported %s; in@x.com %s" % (reported, "stored" if sha("in@x.com") in got else "not stored"))
    check("d. line edge cases: exit 2, ok@x.com stored", rc == 2 and sha("ok@x.com") in got,
          why(rc, err))


# --------------------------------------------------------------------------
# e. nothing valid -> usage error, no traffic


def test_all_invalid(t):
    fc = t.fc
    fc.reset()
    path = t.write(None, raw=b"no-at-sign\n\nbad\x02@x.com\n\xfe\xff@y\n@\n")
    before = fc.stats()
    rc, out, err, _ = t.run(add_args(1005, path))
    d = delta(before, fc.stats())
    check("e. all lines invalid: exit 1", rc == 1, why(rc, err))
    check("e. all lines invalid: zero network traffic (no token request)", quiet_traffic(d), d)
    check("e. all lines invalid: 4 lines reported",
          [int(m.group(1)) for m in REJECT_RE.finditer(err)] == [1, 3, 4, 5], short(err))
    # an empty input: nothing to do, nothing sent
    fc.reset()
    path = t.write(None, raw=b"")
    before = fc.stats()
    rc, out, err, _ = t.run(add_args(1005, path))
    d = delta(before, fc.stats())
    check("e. empty input: exit 0 and zero network traffic", rc == 0 and quiet_traffic(d),
          "exit %d, %s, %s" % (rc, d, short(err)))


# --------------------------------------------------------------------------
# f. stdin


def test_stdin(t):
    fc = t.fc
    fc.reset()
    raw, clean = make_emails(2500, seed=6, prefix="pipe")
    data = "".join(l + "\n" for l in raw).encode("utf-8")
    rc, out, err, _ = t.run(["ms", "contacts", "add", "--segment", "1006", "--type", "email",
                             "--input", "-", "--chunk-size", "1000"], stdin_bytes=data)
    check("f. --input - from a pipe: exit 0", rc == 0, why(rc, err))
    got = fc.segment(1006)
    want = {sha(c) for c in clean}
    check("f. pipe: segment holds exactly the hashed input", set(got) == want and len(got) == 2500,
          set_diff(got, want))
    counts = [r["identifiers"] for r in patches(fc)]
    check("f. pipe: chunked 1000/1000/500 (the pipe is re-read per chunk)",
          counts == [1000, 1000, 500], counts)


# --------------------------------------------------------------------------
# g. pre-hashed, h. --no-hash, i. remove


def test_prehashed(t):
    fc = t.fc
    fc.reset()
    emails = ["hashed%d@example.com" % i for i in range(10)]
    hashes = [sha(e) for e in emails]
    lines = [("  " if i % 2 else "") + h.upper() for i, h in enumerate(hashes)]
    lines.append("Plain@Example.com")
    path = t.write(lines)
    rc, _, err, _ = t.run(add_args(1007, path))
    got = fc.segment(1007)
    want = set(hashes) | {sha("plain@example.com")}
    check("g. pre-hashed input: exit 0", rc == 0, why(rc, err))
    check("g. 64-hex lines pass through lowercased, not re-hashed",
          set(got) == want and len(got) == 11, set_diff(got, want))
    check("g. no hash-of-a-hash reached the server",
          not any(sha(h) in got or sha(h.upper()) in got for h in hashes), "")


def test_no_hash(t):
    fc = t.fc
    fc.reset()
    lines = ["  Foo.Bar@Example.COM\t", "ZOE@example.org", "\tmixed.Case@Sub.Example.net  "]
    path = t.write(lines)
    rc, _, err, _ = t.run(add_args(1008, path, "--no-hash"))
    got = fc.segment(1008)
    want = {"foo.bar@example.com", "zoe@example.org", "mixed.case@sub.example.net"}
    check("h. --no-hash: exit 0", rc == 0, why(rc, err))
    check("h. --no-hash: e-mails arrive normalised in clear", set(got) == want, set_diff(got, want))


def test_remove(t):
    fc = t.fc
    fc.reset()
    raw, clean = make_emails(5, seed=9, prefix="rm")
    rc1, _, err1, _ = t.run(add_args(1009, t.write(raw)))
    # remove two of them, written with different case and padding
    gone = [" " + clean[1].upper() + " ", "\t" + clean[3]]
    rc2, out, err2, _ = t.run(add_args(1009, t.write(gone), op="remove"))
    got = fc.segment(1009)
    want = {sha(clean[i]) for i in (0, 2, 4)}
    check("i. remove: exit 0", rc1 == 0 and rc2 == 0,
          "exit %d/%d, %s %s" % (rc1, rc2, short(err1), short(err2)))
    check("i. remove: the identifiers left the segment", set(got) == want and len(got) == 3,
          set_diff(got, want))
    ops = [r["operation"] for r in patches(fc)]
    check("i. remove: the second PATCH said operation=remove", ops == ["add", "remove"], ops)


# --------------------------------------------------------------------------
# j. faults


def test_rate_limit(t):
    fc = t.fc
    fc.reset()
    raw, clean = make_emails(10, seed=10, prefix="rl")
    path = t.write(raw)
    fc.fault(mode="rate_limit", count=1, retry_after=1)
    rc, out, err, secs = t.run(add_args(1010, path), globals_=["--json"])
    statuses = [r["status"] for r in patches(fc)]
    check("j. rate_limit once: exit 0", rc == 0, why(rc, err))
    check("j. rate_limit once: the chunk got 429 then 200", statuses == [429, 200], statuses)
    check("j. rate_limit once: Retry-After: 1 was honoured (>= 0.9 s)", secs >= 0.9, "%.2f s" % secs)
    got = fc.segment(1010)
    want = {sha(c) for c in clean}
    check("j. rate_limit once: everything stored once", set(got) == want and len(got) == 10,
          set_diff(got, want))
    j = parse_json(out) or {}
    att = [c.get("attempts") for c in j.get("chunkResults", [])]
    check("j. rate_limit once: --json retries 1, attempts [2]",
          j.get("retries") == 1 and att == [2], "retries %s attempts %s" % (j.get("retries"), att))


def test_unavailable(t):
    fc = t.fc
    fc.reset()
    raw, clean = make_emails(10, seed=11, prefix="ua")
    path = t.write(raw)
    fc.fault(mode="unavailable", count=2)
    rc, _, err, _ = t.run(add_args(1011, path))
    statuses = [r["status"] for r in patches(fc)]
    check("j. unavailable twice: exit 0 after retries", rc == 0, why(rc, err))
    check("j. unavailable twice: 503, 503, 200", statuses == [503, 503, 200], statuses)
    got = fc.segment(1011)
    want = {sha(c) for c in clean}
    check("j. unavailable twice: everything stored", set(got) == want, set_diff(got, want))


def test_server_error(t):
    fc = t.fc
    fc.reset()
    path = t.write(["se@example.com"])
    fc.fault(mode="server_error", count=10)
    rc, out, err, _ = t.run(add_args(1012, path), globals_=["--json"])
    fc.fault(mode="clear")
    statuses = [r["status"] for r in patches(fc)]
    check("j. server_error beyond the retries: exit 5", rc == 5, why(rc, err))
    check("j. server_error: stderr mentions HTTP 500", "HTTP 500" in err, short(err))
    check("j. server_error: 1 + %d attempts, all 500" % RETRY_ATTEMPTS,
          statuses == [500] * (1 + RETRY_ATTEMPTS), statuses)
    j = parse_json(out) or {}
    check("j. server_error: --json exitCode 5 with an error object",
          j.get("exitCode") == 5 and isinstance(j.get("error"), dict), short(out))


def test_bogus_token(t):
    fc = t.fc
    fc.reset()
    path = t.write(["tok@example.com"])
    env = dict(t.bare_env, CRTO_ACCESS_TOKEN="bogus")
    before = fc.stats()
    rc, _, err, _ = t.run(add_args(1013, path), env=env)
    d = delta(before, fc.stats())
    check("j. invalid static bearer: exit 3", rc == 3, why(rc, err))
    check("j. invalid static bearer: stderr mentions 401", "401" in err, short(err))
    check("j. invalid static bearer: no token request, one PATCH (a static token cannot be refreshed)",
          d["token_requests"] == 0 and d["api_requests"] == 1, d)
    check("j. invalid static bearer: nothing stored", fc.segment(1013) == [], "")


def test_expired_token(t):
    """The token expires between two chunks of one run: the client must
    fetch a fresh one once and resend the chunk."""
    fc = t.fc
    fc.reset()
    raw, clean = make_emails(3000, seed=14, prefix="exp")
    path = t.write(raw)
    fc.fault(mode="slow", count=1, seconds=1.5)       # holds the first PATCH
    result = {}

    def go():
        result["r"] = t.run(add_args(1014, path, "--chunk-size", "1000"))

    th = threading.Thread(target=go)
    th.start()
    armed = False
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and th.is_alive():
        recs = patches(fc)
        # authorization is classified before the slow sleep starts
        if recs and recs[0]["authorization"] == "bearer-valid":
            fc.fault(mode="expire_tokens")
            armed = True
            break
        time.sleep(0.02)
    th.join(RUN_TIMEOUT + 5)
    rc, _, err, _ = result.get("r", (None, "", "no result", 0))
    check("j. expire_tokens mid-upload: armed during the first chunk", armed, "")
    check("j. expire_tokens mid-upload: exit 0", rc == 0, "exit %s, %s" % (rc, short(err)))
    statuses = [r["status"] for r in patches(fc)]
    check("j. expire_tokens mid-upload: 200, 401, then 200, 200",
          statuses == [200, 401, 200, 200], statuses)
    st = fc.stats()
    check("j. expire_tokens mid-upload: exactly 2 token requests",
          st["token_requests"] == 2, st)
    got = fc.segment(1014)
    want = {sha(c) for c in clean}
    check("j. expire_tokens mid-upload: all 3,000 stored", set(got) == want, set_diff(got, want))


def test_close_mid_response(t):
    fc = t.fc
    fc.reset()
    raw, clean = make_emails(3000, seed=15, prefix="cmr")
    path = t.write(raw)
    fc.fault(mode="close_mid_response", count=1)
    rc, out, err, _ = t.run(add_args(1015, path, "--chunk-size", "1000"), globals_=["--json"])
    st = fc.stats()
    recs = patches(fc)
    check("j. close_mid_response once: exit 0 (the idempotent chunk is resent)",
          rc == 0, why(rc, err))
    check("j. close_mid_response once: 4 PATCHes, the first resent on a new connection",
          len(recs) == 4 and recs[0]["conn"] != recs[1]["conn"]
          and recs[0]["identifiers"] == recs[1]["identifiers"] == 1000,
          [(r["conn"], r["identifiers"], r["fault"]) for r in recs])
    check("j. close_mid_response once: 2 connections, 1 token request",
          st["connections"] == 2 and st["token_requests"] == 1, st)
    # the second connection resumes the first TLS session (abbreviated handshake)
    try:
        doc = json.loads(out)
    except ValueError:
        doc = {}
    check("j. every handshake sent SNI \"localhost\"",
          fc.server_names() == ["localhost", "localhost"], fc.server_names())
    check("j. reconnect resumes the TLS session (server and client agree)",
          st["tls_handshakes"] == 2 and st["resumed_sessions"] == 1
          and doc.get("tlsHandshakes") == 2 and doc.get("tlsResumed") == 1,
          (st, {k: doc.get(k) for k in ("tlsHandshakes", "tlsResumed")}))
    got = fc.segment(1015)
    want = {sha(c) for c in clean}
    check("j. close_mid_response once: the full set is stored",
          set(got) == want and len(got) == 3000, set_diff(got, want))


# --------------------------------------------------------------------------
# k. token


LONG_B64 = re.compile(r"[A-Za-z0-9_\-+=]{40,}")   # no "/": URL paths are long


def leaks(text):
    found = []
    if "eyJ" in text:
        found.append("eyJ")
    if CLIENT_SECRET in text:
        found.append(CLIENT_SECRET)
    found += LONG_B64.findall(text)[:2]
    return found


def test_token(t):
    fc = t.fc
    fc.reset()
    rc, out, err, _ = t.run(["token"])
    check("k. crto token: exit 0", rc == 0, why(rc, err))
    check("k. crto token prints the lifetime 900", re.search(r"\b900\b", out) is not None, short(out))
    check("k. crto token shows no token or secret", not leaks(out + err), leaks(out + err))
    check("k. crto token: exactly one token request",
          fc.stats()["token_requests"] == 1, fc.stats())
    rc, out, err, _ = t.run(["token"], globals_=["--json"])
    j = parse_json(out) or {}
    check("k. crto --json token: expiresIn 900", rc == 0 and j.get("expiresIn") == 900, short(out))
    check("k. crto --json token shows no token or secret", not leaks(out + err), leaks(out + err))
    rc, out, err, _ = t.run(["token"], globals_=["--verbose"])
    check("k. crto --verbose token shows no token or secret",
          rc == 0 and not leaks(out + err), "exit %d, %s" % (rc, leaks(out + err)))
    env = dict(t.env, CRITEO_CLIENT_SECRET="wrong-secret")
    rc, out, err, _ = t.run(["token"], env=env)
    check("k. wrong secret: exit 3", rc == 3, why(rc, err))
    check("k. wrong secret: not echoed", "wrong-secret" not in out + err, short(err))


# --------------------------------------------------------------------------
# l. TLS and URLs, m. credentials


def test_tls(t, plain):
    fc = t.fc
    fc.reset()
    path = t.write(["tls@example.com"])
    wrong = os.path.join(fc.dir, "wrong_ca.pem")
    before = fc.stats()
    rc, _, err, _ = t.run(add_args(1016, path), ca_file=wrong)
    d = delta(before, fc.stats())
    check("l. --ca-file wrong_ca.pem: exit 4", rc == 4, why(rc, err))
    check("l. wrong CA: message about the certificate", "certificate" in err.lower(), short(err))
    check("l. wrong CA: the exact reason, as mbedTLS words it",
          err.splitlines()[:1] == ["crto: certificate of localhost not trusted: The certificate is not correctly "
                                   "signed by the trusted CA"], short(err))
    check("l. wrong CA: no HTTP request was sent", d["requests"] == 0, d)
    rc, _, err, _ = t.run(add_args(1016, path), base_url="http://example.com")
    check("l. http://example.com: exit 1 (plain http only to loopback)", rc == 1,
          why(rc, err))
    rc, _, err, _ = t.run(add_args(1016, path), server=plain)
    got = plain.segment(1016)
    check("l. plain fake server over http://127.0.0.1: exit 0", rc == 0,
          why(rc, err))
    check("l. plain: stored, no TLS handshake",
          got == [sha("tls@example.com")] and plain.stats()["tls_handshakes"] == 0,
          "%s %s" % (got, plain.stats()))


def test_no_credentials(t):
    fc = t.fc
    fc.reset()
    path = t.write(["cred@example.com"])
    before = fc.stats()
    rc, _, err, _ = t.run(add_args(1017, path), env=t.bare_env)
    d = delta(before, fc.stats())
    check("m. no credentials: exit 3", rc == 3, why(rc, err))
    check("m. no credentials: says so", "credential" in err.lower(), short(err))
    check("m. no credentials: zero network traffic", quiet_traffic(d), d)
    env = dict(t.bare_env, CRITEO_CLIENT_ID=CLIENT_ID)      # secret missing
    rc, _, err, _ = t.run(["token"], env=env)
    check("m. client id without secret: exit 3", rc == 3, why(rc, err))


# --------------------------------------------------------------------------
# n. usage errors


def test_usage(t):
    fc = t.fc
    fc.reset()
    path = t.write(["usage@example.com"])
    cases = [
        ("unknown command", ["frobnicate"]),
        ("missing --type", ["ms", "contacts", "add", "--segment", "1", "--input", path]),
        ("--type Email for ms", add_args(1, path, itype="Email")),
        ("--type email for rm", ["rm", "contacts", "add", "--segment", "1", "--type", "email",
                                 "--input", path]),
        ("gum without --gum-caller-id", add_args(1, path, itype="gum")),
        ("--gum-caller-id with email", add_args(1, path, "--gum-caller-id", "7")),
        ("--chunk-size 50001", add_args(1, path, "--chunk-size", "50001")),
        ("--chunk-size 0", add_args(1, path, "--chunk-size", "0")),
        ("missing --segment", ["ms", "contacts", "add", "--type", "email", "--input", path]),
        ("unknown option", add_args(1, path, "--frob")),
        ("missing input file", add_args(1, os.path.join(t.tmp, "does-not-exist"))),
    ]
    for name, args in cases:
        before = fc.stats()
        rc, _, err, _ = t.run(args)
        d = delta(before, fc.stats())
        check("n. usage: %s: exit 1, nothing sent" % name, rc == 1 and quiet_traffic(d),
              "exit %d, %s, %s" % (rc, d, short(err)))


# --------------------------------------------------------------------------
# o. verbose logging never shows secrets or identifiers


def test_verbose(t):
    fc = t.fc
    fc.reset()
    lines = ["Secret.Person@Example.com", " another.one@example.org ", "third@Example.net",
             "not-an-email-zzqq"]
    path = t.write(lines)
    rc, out, err, _ = t.run(add_args(1018, path, "--chunk-size", "2"), globals_=["--verbose"])
    text = out + err
    check("o. --verbose upload: exit 2 (one bad line)", rc == 2, why(rc, err))
    check("o. --verbose really logs", "crto debug" in err or "crto info" in err, short(err))
    forbidden = []
    for l in lines[:3]:
        for form in (l, l.strip(), norm(l), norm(l).split("@")[0], sha(norm(l))):
            if form.lower() in text.lower():
                forbidden.append(form)
    if "zzqq" in text:
        forbidden.append("zzqq")
    forbidden += leaks(text)
    check("o. --verbose shows no secret, token, e-mail or hash", not forbidden,
          "found %s" % short(forbidden))


# --------------------------------------------------------------------------


def test_progress_bar(t):
    """On a terminal the upload draws a progress line on stderr; with --json
    (or when stderr is no terminal, as in every other test) it does not."""
    fc = t.fc
    fc.reset()
    raw, _ = make_emails(20000, seed=21, prefix="tty")
    path = t.write(raw)

    def run_on_tty(extra_globals):
        master, slave = os.openpty()
        try:
            cmd = [t.crto, "--base-url", fc.base_url, "--ca-file", fc.ca_file] + extra_globals + \
                add_args(1021, path, "--chunk-size", "5000")
            p = subprocess.Popen(cmd, env=t.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=slave)
            os.close(slave)
            slave = None
            chunks = []
            while True:
                try:
                    data = os.read(master, 4096)
                except OSError:          # EIO: the terminal's last writer closed
                    break
                if not data:
                    break
                chunks.append(data)
            out = p.stdout.read()
            p.wait(timeout=RUN_TIMEOUT)
            return p.returncode, out.decode(), b"".join(chunks).decode("utf-8", "replace")
        finally:
            if slave is not None:
                os.close(slave)
            os.close(master)

    rc, out, tty = run_on_tty([])
    check("progress: exit 0 on a terminal", rc == 0, (rc, tty[-300:]))
    check("progress: the terminal shows identifiers sent, rate and chunks",
          "identifiers sent" in tty and "/s" in tty and "chunk" in tty, tty[-300:])
    rc, out, tty = run_on_tty(["--json"])
    check("progress: --json draws no bar, even on a terminal",
          rc == 0 and "identifiers sent" not in tty and parse_json(out) is not None, (rc, tty[-300:]))



def test_bodies_conform(record_dir):
    """Every contact-list body crto sent in this suite validates against the
    request schema of its operation in Criteo's 2026-07 OpenAPI file."""
    validator = os.path.join(ROOT, "tests", "conformance", "validate.py")
    spec = os.path.join(ROOT, "..", "shared", "criteo-api", "spec", "full", "marketingsolutions_2026-07.json")
    bodies = len(os.listdir(record_dir))
    p = subprocess.run([sys.executable, validator, "--strict", "--spec", spec, "--dir", record_dir],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300)
    out = p.stdout.decode("utf-8", "replace")
    last = out.strip().splitlines()[-1] if out.strip() else ""
    check("conformance: all %d recorded request bodies validate (%s)" % (bodies, last),
          bodies > 10 and p.returncode == 0 and last == "%d passed, 0 failed" % bodies, out[-2000:])


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
        with tempfile.TemporaryDirectory(prefix="crto_it_") as tmp, \
                FakeCriteo(dir=os.path.join(tmp, "server"),
                           record_bodies=os.makedirs(os.path.join(tmp, "bodies")) or
                           os.path.join(tmp, "bodies")) as fc:
            t = Env(crto, fc, tmp)
            for fn in (test_acceptance, test_chunk_size, test_bad_segments, test_rejects,
                       test_line_edges, test_all_invalid, test_stdin, test_prehashed, test_no_hash, test_remove,
                       test_rate_limit, test_unavailable, test_server_error, test_bogus_token,
                       test_expired_token, test_close_mid_response, test_token):
                run_group(fn, t)
            with FakeCriteo(dir=os.path.join(tmp, "plain"), plain=True) as plain:
                run_group(test_tls, t, plain)
            for fn in (test_no_credentials, test_usage, test_verbose, test_progress_bar):
                run_group(fn, t)
            run_group(test_bodies_conform, os.path.join(tmp, "bodies"))
    except Exception as e:
        check("the fake servers started and stopped", False, "%s: %s" % (type(e).__name__, e))
    print("# %.1f s" % (time.monotonic() - t0))
    return summary()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
