#!/usr/bin/env python3
"""bench.py - `make bench`: crto beside the two costs no client can avoid.

    python3 tools/bench/bench.py --crto build/host/bin/crto \
        --sha-only build/bench/sha_only [--count 1000000] [--runs 3] \
        [--write docs/bench.md] [--instr build/bench/instr.txt]

In one run on one machine it measures, against tests/fake_criteo in --sink
mode (it accepts and counts identifiers but stores none):

  crto      `crto ms contacts add` of COUNT e-mails (mixed case, stray
            spaces): normalise, hash, CHUNK-sized requests over one TLS
            connection. Wall, user+sys CPU, peak RSS (wait4's rusage),
            TLS handshakes and requests (the server's counts).
  curl      the same request bodies, as crto sent them (recorded by the
            server in an untimed first run), pre-built on disk and sent by
            one curl over one keep-alive TLS connection (--next), with the
            cipher suite crto negotiated, plus one token request as crto
            makes: the transfer limit.
  sha-only  mbedTLS SHA-256 of the same normalised lines in a tight loop:
            the hash limit (tools/bench/sha_only.c).
  server    the fake server's own CPU time and the time from each body's
            last byte to its answer, per request: what the server adds to
            both crto's and curl's wall time.

Each timed measurement is taken --runs times, alternating crto and curl;
the table shows the median. A benchmark, not a test: it only fails when a
run goes wrong (a non-zero exit, a wrong identifier count, a lost hash),
never on time. Standard library only.
"""

import argparse
import datetime
import glob
import hashlib
import json
import os
import platform
import random
import re
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests", "fake_criteo"))
from fake_server import FakeCriteo  # noqa: E402

SEGMENT = "424242"
CHUNK = 50000
CLIENT_ID, CLIENT_SECRET = "demo-client", "demo-secret"
DOMAINS = ["Example.COM", "mail.example.org", "Shop.Example.net", "example.fr",
           "Retail.example", "loyalty.example.co.uk"]
FIRST = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
         "ivan", "judy", "mallory", "niaj", "olivia", "peggy", "rupert", "sybil"]


RUSAGE = None   # tools/bench/rusage.c, built by make bench
WORK = None
RECORDED = {}   # what the untimed run delivered (record_bodies)


class BenchError(RuntimeError):
    pass


def generate(raw_path, norm_path, count):
    """COUNT distinct e-mails in mixed case with stray spaces and tabs, and
    the same e-mails normalised as crto normalises them (trimmed, lower
    case). Deterministic: the same files every time."""
    rnd = random.Random(20261123)
    with open(raw_path, "w", encoding="ascii", newline="\n") as raw, \
            open(norm_path, "w", encoding="ascii", newline="\n") as norm:
        for i in range(count):
            email = "%s.%s%d@%s" % (rnd.choice(FIRST), rnd.choice(FIRST)[:3], i,
                                    rnd.choice(DOMAINS))
            mixed = "".join(c.upper() if rnd.random() < 0.3 else c for c in email)
            k = i % 10
            if k == 3:
                mixed = "  " + mixed
            elif k == 7:
                mixed = mixed + " \t"
            elif k == 8:
                mixed = "\t" + mixed + " "
            raw.write(mixed + "\n")
            norm.write(email.lower() + "\n")


def env_for_crto():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CRTO_", "CRITEO_"))}
    env.update(CRITEO_CLIENT_ID=CLIENT_ID, CRITEO_CLIENT_SECRET=CLIENT_SECRET)
    return env


def timed(cmd, env=None, stdout_path=None):
    """Runs cmd under tools/bench/rusage.c; returns (wall s, user+sys CPU s,
    peak RSS KiB, exit status, stderr)."""
    cost = os.path.join(WORK, "rusage.out")
    out = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL
    with tempfile.TemporaryFile() as err:
        p = subprocess.run([RUSAGE, cost] + cmd, env=env, stdin=subprocess.DEVNULL,
                           stdout=out, stderr=err, check=False)
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
    if stdout_path:
        out.close()
    with open(cost) as f:
        m = re.match(r"wall_s ([0-9.]+) cpu_s ([0-9.]+) maxrss_kib (\d+) status (\d+)", f.read())
    if not m:
        raise BenchError("rusage gave no figures for %s" % cmd[0])
    return float(m.group(1)), float(m.group(2)), int(m.group(3)), p.returncode, text


def crto_cmd(crto, fc, emails):
    return [crto, "--json", "--base-url", fc.base_url, "--ca-file", fc.ca_file,
            "ms", "contacts", "add", "--segment", SEGMENT, "--type", "email",
            "--input", emails]


def server_figures(fc):
    st = fc.stats()
    return {"requests": st["requests"], "token_requests": st["token_requests"],
            "api_requests": st["api_requests"], "handshakes": st["tls_handshakes"],
            "connections": st["connections"], "bytes": st["bytes_received"],
            "server_cpu": st["server_cpu_seconds"], "server_answer": st["server_answer_seconds"],
            "ciphers": fc.ciphers()}


def record_bodies(crto, emails, norm, work):
    """Untimed first run: crto uploads everything to a recording server.
    Returns (body files in order, the PATCH path, the cipher [protocol,
    name]) after checking that the server got exactly the SHA-256 of every
    normalised line."""
    body_dir = os.path.join(work, "bodies")
    for old in glob.glob(os.path.join(body_dir, "*")):
        os.remove(old)
    os.makedirs(body_dir, exist_ok=True)
    with FakeCriteo(dir=os.path.join(work, "server-rec"), sink=True,
                    record_bodies=body_dir) as fc:
        wall, _, _, rc, err = timed(crto_cmd(crto, fc, emails), env_for_crto())
        if rc != 0:
            raise BenchError("recording run: crto exited %d: %s" % (rc, err.strip()[-400:]))
        records = fc.requests()
        ciphers = fc.ciphers()
    paths = {r["path"] for r in records if r["method"] == "PATCH"}
    if len(paths) != 1:
        raise BenchError("recording run: expected one PATCH path, got %r" % sorted(paths))
    bodies = sorted(glob.glob(os.path.join(body_dir, "*.json")))
    # Every recorded identifier must be the SHA-256 of a normalised line,
    # each exactly once: the benchmark then moves the right bytes.
    want = set()
    with open(norm, "rb") as f:
        for line in f:
            want.add(hashlib.sha256(line.rstrip(b"\n")).hexdigest())
    got = []
    for b in bodies:
        with open(b, "rb") as f:
            got.extend(json.load(f)["data"]["attributes"]["identifiers"])
    RECORDED.update(received=len(got), distinct_right=len(set(got) & want), lines=len(want))
    if len(got) != len(want) or set(got) != want:
        raise BenchError("recording run: the server received %d identifiers, %d expected, "
                         "%d of them right" % (len(got), len(want), len(set(got) & want)))
    return bodies, paths.pop(), ciphers[0], wall


def fetch_token(fc):
    data = ("grant_type=client_credentials&client_id=%s&client_secret=%s"
            % (CLIENT_ID, CLIENT_SECRET)).encode()
    req = urllib.request.Request(fc.base_url + "/oauth2/token", data=data, method="POST",
                                 headers={"Content-Type": "application/x-www-form-urlencoded"})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}),
                                         urllib.request.HTTPSHandler(context=fc.ssl_context()))
    with opener.open(req, timeout=30) as r:
        return json.load(r)["access_token"]


def curl_config(path, fc, token, bodies, patch_path, cipher):
    """A curl config (-K) of 1 + len(bodies) transfers joined by `next`: the
    token request, then each body as a PATCH, all on one connection."""
    common = ['silent', 'show-error', 'fail', 'cacert = "%s"' % fc.ca_file,
              'tlsv1.2', 'tls-max = "1.2"', 'ciphers = "%s"' % cipher,
              'output = "/dev/null"', 'noproxy = "*"']
    lines = common + ['data = "grant_type=client_credentials&client_id=%s&client_secret=%s"'
                      % (CLIENT_ID, CLIENT_SECRET),
                      'url = "%s/oauth2/token"' % fc.base_url]
    for b in bodies:
        lines += ["next"] + common + [
            'request = "PATCH"',
            'header = "Authorization: Bearer %s"' % token,
            'header = "Content-Type: application/json"',
            'header = "Expect:"',          # no 100-continue round trip; crto waits for none
            'data-binary = "@%s"' % b,
            'url = "%s%s"' % (fc.base_url, patch_path)]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def run_crto(crto, emails, work, count):
    with FakeCriteo(dir=os.path.join(work, "server-crto"), sink=True) as fc:
        wall, cpu, rss, rc, err = timed(crto_cmd(crto, fc, emails), env_for_crto(),
                                        os.path.join(work, "crto.json"))
        srv = server_figures(fc)
        srv["ids"] = sum(r.get("identifiers") or 0 for r in fc.requests() if r["method"] == "PATCH")
    if rc != 0:
        raise BenchError("crto exited %d: %s" % (rc, err.strip()[-400:]))
    with open(os.path.join(work, "crto.json")) as f:
        result = json.load(f)
    sent = result.get("sent", result.get("accepted"))
    if sent is not None and sent != count:
        raise BenchError("crto reported %r identifiers sent, %d expected" % (sent, count))
    return {"wall": wall, "cpu": cpu, "rss_kib": rss, **srv}


def run_curl(work, bodies, patch_path, cipher):
    with FakeCriteo(dir=os.path.join(work, "server-curl"), sink=True) as fc:
        token = fetch_token(fc)
        base = server_figures(fc)
        cfg = os.path.join(work, "curl.cfg")
        curl_config(cfg, fc, token, bodies, patch_path, cipher)
        wall, cpu, rss, rc, err = timed(["curl", "-K", cfg])
        srv = server_figures(fc)
    if rc != 0:
        raise BenchError("curl exited %d: %s" % (rc, err.strip()[-400:]))
    for k in ("requests", "token_requests", "api_requests", "handshakes", "connections",
              "bytes", "server_cpu", "server_answer"):
        srv[k] -= base[k]
    srv["ciphers"] = srv["ciphers"][len(base["ciphers"]):]
    if srv["api_requests"] != len(bodies):
        raise BenchError("curl made %d API requests, %d expected" % (srv["api_requests"], len(bodies)))
    return {"wall": wall, "cpu": cpu, "rss_kib": rss, **srv}


def run_sha(sha_only, norm, count):
    p = subprocess.run([sha_only, norm], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       check=False, timeout=600)
    m = re.match(r"ids (\d+) bytes (\d+) cpu_s ([0-9.]+)", p.stdout.decode())
    if p.returncode != 0 or not m or int(m.group(1)) != count:
        raise BenchError("sha_only failed: %s%s" % (p.stdout.decode(), p.stderr.decode()))
    return float(m.group(3))


def median(runs, key):
    return statistics.median(r[key] for r in runs)


def machine():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    osname = platform.platform()
    try:
        with open("/etc/debian_version") as f:
            osname = "Debian %s, Linux %s" % (f.read().strip(), platform.release())
    except OSError:
        pass
    return "%s, %d CPUs, %s, %s" % (model, os.cpu_count() or 0, osname, platform.machine())


def commit():
    try:
        head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              check=True).stdout.decode().strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                               stdout=subprocess.PIPE, check=True).stdout.decode().strip()
        return head + (" (with uncommitted changes)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def tool_version(cmd):
    try:
        return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              check=False).stdout.decode().splitlines()[0].strip()
    except (OSError, IndexError):
        return "unknown"


def verdict(ok):
    return "met" if ok else "MISSED"


def report(args, count, crto_runs, curl_runs, sha_runs, cipher, instr_text):
    n_chunks = -(-count // CHUNK)
    c_wall, c_cpu = median(crto_runs, "wall"), median(crto_runs, "cpu")
    c_rss = max(r["rss_kib"] for r in crto_runs)
    u_wall, u_cpu = median(curl_runs, "wall"), median(curl_runs, "cpu")
    sha = statistics.median(sha_runs)
    limit = u_wall + sha
    last = crto_runs[-1]
    srv_cpu_c = median(crto_runs, "server_cpu") / max(1, last["requests"])
    srv_ans_c = median(crto_runs, "server_answer") / max(1, last["requests"])
    srv_cpu_u = median(curl_runs, "server_cpu") / max(1, curl_runs[-1]["requests"])
    srv_ans_u = median(curl_runs, "server_answer") / max(1, curl_runs[-1]["requests"])
    handshakes = max(r["handshakes"] for r in crto_runs)
    requests_ok = all(r["api_requests"] == n_chunks and r["token_requests"] == 1 for r in crto_runs)
    ciphers = sorted({tuple(c) for r in crto_runs + curl_runs for c in r["ciphers"]})

    def per_run(runs, key, fmt="%.2f"):
        return ", ".join(fmt % r[key] for r in runs)

    rows = [
        ("crto (normalise + hash + upload)", "%.2f s" % c_wall, "%.2f s" % c_cpu,
         "%.1f MiB" % (c_rss / 1024.0), per_run(crto_runs, "wall")),
        ("curl (same bodies, one connection)", "%.2f s" % u_wall, "%.2f s" % u_cpu,
         "%.1f MiB" % (max(r["rss_kib"] for r in curl_runs) / 1024.0), per_run(curl_runs, "wall")),
        ("SHA-256 only (mbedTLS, tight loop)", "-", "%.2f s" % sha, "-",
         ", ".join("%.2f" % s for s in sha_runs)),
    ]
    lines = []
    lines.append("| measurement | wall (median) | user+sys CPU | peak RSS | wall of each run (s) |")
    lines.append("|---|---:|---:|---:|---|")
    for r in rows:
        lines.append("| %s | %s | %s | %s | %s |" % r)
    lines.append("")
    lines.append("| target | measured | limit | |")
    lines.append("|---|---:|---:|---|")
    lines.append("| crto wall ≤ 1.10 × (curl wall + SHA-256 CPU) | %.2f s = %.3f × (%.2f + %.2f s) | %.2f s "
                 "| %s |" % (c_wall, c_wall / limit, u_wall, sha, 1.10 * limit,
                             verdict(c_wall <= 1.10 * limit)))
    lines.append("| crto ÷ curl (wall) | %.3f | (reported) | |" % (c_wall / u_wall))
    lines.append("| crto peak RSS ≤ 4 MiB | %.2f MiB (%d KiB) | 4 MiB | %s |"
                 % (c_rss / 1024.0, c_rss, verdict(c_rss <= 4096)))
    lines.append("| requests = ceil(N / 50,000) + 1 token | %d + %d (each run) | %d + 1 | %s |"
                 % (last["api_requests"], last["token_requests"], n_chunks, verdict(requests_ok)))
    lines.append("| TLS handshakes = 1 | %d | 1 | %s |" % (handshakes, verdict(handshakes == 1)))
    lines.append("")
    lines.append("The server (fake_criteo.py --sink, Python, on the other core), per request:")
    lines.append("")
    lines.append("| server, per request | during crto | during curl |")
    lines.append("|---|---:|---:|")
    lines.append("| its CPU time (reading, parsing, answering) | %.1f ms | %.1f ms |"
                 % (srv_cpu_c * 1e3, srv_cpu_u * 1e3))
    lines.append("| body's last byte to answer sent | %.1f ms | %.1f ms |"
                 % (srv_ans_c * 1e3, srv_ans_u * 1e3))
    lines.append("| client wall per request | %.1f ms | %.1f ms |"
                 % (c_wall / last["requests"] * 1e3, u_wall / curl_runs[-1]["requests"] * 1e3))
    lines.append("")
    lines.append("TLS as the server saw it: %s." % "; ".join("%s %s" % c for c in ciphers))
    table = "\n".join(lines)

    head = [
        "- Command: `%s`" % " ".join(["make bench"] + (["BENCH_COUNT=%d" % count] if count != 1000000 else [])),
        "- Machine: %s" % machine(),
        "- Date: %s" % datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "- Commit: %s" % commit(),
        "- %d e-mails (%s), %d requests of up to %d, %d timed runs each (median shown)"
        % (count, "mixed case, stray spaces and tabs", n_chunks, CHUNK, len(crto_runs)),
        "- Tools: %s; %s; %s" % (tool_version(["curl", "--version"]),
                                 tool_version([sys.executable, "--version"]), cipher[1]),
    ]
    text = "\n".join(head) + "\n\n" + table + "\n"
    if instr_text:
        text += "\n" + instr_text.rstrip() + "\n"
    return text


def check(count, crto_runs, curl_runs):
    """The targets that do not depend on time, as tests (make check)."""
    chunks = -(-count // CHUNK)
    results = []
    for r in crto_runs:
        results.append(("%d identifiers arrived in %d requests, plus 1 token request (got %d in %d + %d)"
                        % (count, chunks, r["ids"], r["api_requests"], r["token_requests"]),
                        r["ids"] == count and r["api_requests"] == chunks and r["token_requests"] == 1))
        results.append(("one TLS handshake, one connection",
                        r["handshakes"] == 1 and r["connections"] == 1))
        results.append(("peak RSS %d KiB <= 4 MiB" % r["rss_kib"], r["rss_kib"] <= 4096))
    suites = {tuple(c) for r in crto_runs + curl_runs for c in r["ciphers"]}
    results.append(("crto and curl used one cipher suite: %s" % sorted(suites), len(suites) == 1))
    rec = RECORDED
    results.insert(0, ("the untimed run delivered the SHA-256 of each of the %d normalised lines "
                       "once (%d received, %d right)" % (count, rec.get("received", 0),
                                                         rec.get("distinct_right", 0)),
                       rec.get("received") == count == rec.get("distinct_right") == rec.get("lines")))
    failed = 0
    for name, ok in results:
        print("%s - %s" % ("ok" if ok else "not ok", name))
        failed += 0 if ok else 1
    print("%d passed, %d failed" % (len(results) - failed, failed))
    return 1 if failed else 0


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--crto", required=True)
    ap.add_argument("--sha-only", required=True)
    ap.add_argument("--rusage", required=True, help="the tools/bench/rusage.c launcher")
    ap.add_argument("--count", type=int, default=1000000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--work", default=os.path.join(ROOT, "build", "bench"))
    ap.add_argument("--write", help="also write the report into this Markdown file, "
                                    "between its BENCH markers")
    ap.add_argument("--instr", help="a file with the instruction-count table to include")
    ap.add_argument("--check", action="store_true",
                    help="check what does not depend on time (requests, handshakes, peak "
                         "RSS, the cipher) and end with \"N passed, N failed\"")
    args = ap.parse_args(argv[1:])

    global RUSAGE, WORK
    RUSAGE, WORK = os.path.abspath(args.rusage), os.path.abspath(args.work)
    os.makedirs(args.work, exist_ok=True)
    emails = os.path.join(args.work, "emails-%d.txt" % args.count)
    norm = os.path.join(args.work, "emails-%d.norm" % args.count)
    if not (os.path.exists(emails) and os.path.exists(norm)):
        print("generating %d e-mails ..." % args.count, flush=True)
        generate(emails + ".tmp", norm + ".tmp", args.count)
        os.replace(norm + ".tmp", norm)
        os.replace(emails + ".tmp", emails)

    try:
        print("untimed run: recording crto's request bodies for curl ...", flush=True)
        bodies, patch_path, cipher, _ = record_bodies(os.path.abspath(args.crto), emails, norm,
                                                      args.work)
        print("  %d bodies, %d bytes, cipher %s %s" % (
            len(bodies), sum(os.path.getsize(b) for b in bodies), cipher[0], cipher[1]), flush=True)
        crto_runs, curl_runs, sha_runs = [], [], []
        for i in range(args.runs):
            crto_runs.append(run_crto(os.path.abspath(args.crto), emails, args.work, args.count))
            curl_runs.append(run_curl(args.work, bodies, patch_path, cipher[1]))
            sha_runs.append(run_sha(args.sha_only, norm, args.count))
            print("run %d: crto %.2f s, curl %.2f s, sha-only %.2f s" % (
                i + 1, crto_runs[-1]["wall"], curl_runs[-1]["wall"], sha_runs[-1]), flush=True)
    except BenchError as e:
        print("bench FAILED: %s" % e)
        if args.check:
            print("0 passed, 1 failed")
        return 1

    instr_text = None
    if args.instr and os.path.exists(args.instr):
        with open(args.instr) as f:
            instr_text = f.read()
    text = report(args, args.count, crto_runs, curl_runs, sha_runs, cipher, instr_text)
    print()
    print(text)
    if args.check:
        return check(args.count, crto_runs, curl_runs)
    if args.write:
        begin, end = "<!-- BENCH BEGIN -->", "<!-- BENCH END -->"
        with open(args.write) as f:
            doc = f.read()
        if begin not in doc or end not in doc:
            print("bench: %s has no %s ... %s markers; not written" % (args.write, begin, end))
            return 1
        pre, rest = doc.split(begin, 1)
        post = rest.split(end, 1)[1]
        with open(args.write, "w") as f:
            f.write(pre + begin + "\n" + text + end + post)
        print("written to %s" % args.write)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
