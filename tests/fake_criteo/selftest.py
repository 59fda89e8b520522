#!/usr/bin/env python3
"""selftest.py - checks fake_criteo.py with the standard library's own client.

Prints one line per check ("ok - name" / "not ok - name # why") and ends with
exactly "N passed, N failed"; exits 1 if anything failed.

    python3 tests/fake_criteo/selftest.py
"""

import base64
import hashlib
import http.client
import json
import os
import re
import signal
import socket
import ssl
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from fake_server import FakeCriteo  # noqa: E402
from tap import check, run_group, summary  # noqa: E402

CLIENT_ID, CLIENT_SECRET = "demo-client", "demo-secret"
VERSION = "2026-07"
TOKEN_FORM = "client_id=%s&client_secret=%s&grant_type=client_credentials" % (
    CLIENT_ID, CLIENT_SECRET)
PROBLEM_KEYS = {"type", "code", "instance", "title", "detail", "traceId"}




def sha(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def cl_path(segment, version=VERSION):
    return "/%s/marketing-solutions/audience-segments/%s/contact-list" % (version, segment)


def amendment(op, itype, ids, gum=None):
    attrs = {"operation": op, "identifierType": itype, "identifiers": ids}
    if gum is not None:
        attrs["gumCallerId"] = gum
    return json.dumps({"data": {"type": "ContactlistAmendment", "attributes": attrs}},
                      separators=(",", ":")).encode("utf-8")


class Api:
    """One keep-alive connection to the fake's API port."""

    def __init__(self, fc, host=None, context=None):
        if fc.plain:
            self.conn = http.client.HTTPConnection("127.0.0.1", fc.port, timeout=15)
        else:
            self.conn = http.client.HTTPSConnection(host or "localhost", fc.port, timeout=15,
                                                    context=context or fc.ssl_context())
        self.token = None

    def call(self, method, path, body=None, headers=None):
        """Returns (status, headers, parsed JSON or raw bytes)."""
        self.conn.request(method, path, body=body, headers=headers or {})
        resp = self.conn.getresponse()
        data = resp.read()
        try:
            parsed = json.loads(data)
        except ValueError:
            parsed = data
        return resp.status, resp.headers, parsed

    def fetch_token(self):
        status, _, body = self.call("POST", "/oauth2/token", TOKEN_FORM,
                                    {"Content-Type": "application/x-www-form-urlencoded"})
        if status != 200:
            raise RuntimeError("token fetch answered %d: %r" % (status, body))
        self.token = body["access_token"]
        return self.token

    def patch(self, segment, body, token=None, ctype="application/json", extra=None):
        headers = {"Content-Type": ctype}
        tok = token if token is not None else self.token
        if tok:
            headers["Authorization"] = "Bearer " + tok
        headers.update(extra or {})
        return self.call("PATCH", cl_path(segment), body, headers)

    def close(self):
        self.conn.close()


def first_problem(body):
    try:
        return body["errors"][0]
    except (TypeError, KeyError, IndexError):
        return {}


def is_problem(body, ptype, code, path=None):
    p = first_problem(body)
    return (set(p) == PROBLEM_KEYS and p["type"] == ptype and p["code"] == code
            and re.fullmatch(r"[0-9a-f]{32}", p["traceId"] or "") is not None
            and (path is None or p["instance"] == path))


# --------------------------------------------------------------------------

def test_files(fc):
    names = ["ca.pem", "server.pem", "server.key", "wrong_ca.pem", "wronghost.pem",
             "wronghost.key", "pid", "port", "admin_port"]
    missing = [n for n in names if not os.path.isfile(os.path.join(fc.dir, n))]
    check("start-up files written", not missing, missing)
    with open(os.path.join(fc.dir, "pid")) as f:
        check("pid file names the server process", int(f.read()) == fc.proc.pid)


def test_token(fc):
    api = Api(fc)
    status, headers, body = api.call("POST", "/oauth2/token", TOKEN_FORM,
                                     {"Content-Type": "application/x-www-form-urlencoded"})
    check("token: 200", status == 200, status)
    check("token: Bearer, expires_in 900, refresh_token null",
          body.get("token_type") == "Bearer" and body.get("expires_in") == 900
          and "refresh_token" in body and body["refresh_token"] is None, body)
    tok = body.get("access_token", "")
    parts = tok.split(".")
    check("token: JWT-shaped, 700..900 chars",
          700 <= len(tok) <= 900 and len(parts) == 3
          and all(re.fullmatch(r"[A-Za-z0-9_-]+", p) for p in parts), len(tok))
    check("token: header is JSON", json.loads(base64.urlsafe_b64decode(
        parts[0] + "=" * (-len(parts[0]) % 4))).get("typ") == "JWT")
    check("token: each fetch gives a new token", api.fetch_token() != tok)
    form = "application/x-www-form-urlencoded"
    cases = [
        ("wrong content type", TOKEN_FORM, "application/json", 400, "invalid_request"),
        ("wrong secret", TOKEN_FORM.replace(CLIENT_SECRET, "nope"), form, 401,
         "invalid_client"),
        ("wrong client id", TOKEN_FORM.replace(CLIENT_ID, "other"), form, 401,
         "invalid_client"),
        ("wrong grant", TOKEN_FORM.replace("client_credentials", "password"), form, 400,
         "unsupported_grant_type"),
        ("missing field", "client_id=%s" % CLIENT_ID, form, 400, "invalid_request"),
    ]
    for name, body_text, ctype, want_status, want_error in cases:
        status, _, body = api.call("POST", "/oauth2/token", body_text, {"Content-Type": ctype})
        check("token: %s -> %d %s" % (name, want_status, want_error),
              status == want_status and isinstance(body, dict)
              and body.get("error") == want_error and body.get("error_description"),
              (status, body))
    api.close()


def test_keepalive_patch(fc):
    fc.reset()
    api = Api(fc)
    api.fetch_token()
    ids = [sha("user%d@example.com" % i) for i in range(3)]
    status, headers, body = api.patch(101, amendment("add", "email", ids))
    check("patch: 200", status == 200, (status, body))
    attrs = body.get("data", {}).get("attributes", {}) if isinstance(body, dict) else {}
    check("patch: ModifyAudienceResponse fields",
          body.get("data", {}).get("type") == "ContactlistAmendment"
          and attrs.get("contactListId") == 101 and attrs.get("operation") == "add"
          and attrs.get("identifierType") == "email" and attrs.get("nbValidIdentifiers") == 3
          and attrs.get("nbInvalidIdentifiers") == 0
          and attrs.get("sampleInvalidIdentifiers") == []
          and body.get("errors") == [] and body.get("warnings") == [], body)
    check("patch: requestDate is UTC with Z",
          re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z",
                       attrs.get("requestDate", "")) is not None, attrs.get("requestDate"))
    check("patch: JSON and rate-limit headers",
          headers.get("Content-Type") == "application/json"
          and headers.get("x-ratelimit-limit") == "250"
          and headers.get("x-ratelimit-remaining", "").isdigit()
          and int(headers.get("x-ratelimit-reset", "0")) > time.time() - 1, dict(headers))
    check("patch: identifiers stored", fc.segment(101) == sorted(ids), fc.segment(101))
    st = fc.stats()
    check("keep-alive: 1 connection, 1 TLS handshake, 2 requests",
          st["connections"] == 1 and st["tls_handshakes"] == 1 and st["requests"] == 2
          and st["token_requests"] == 1 and st["api_requests"] == 1, st)
    check("stats: bytes_received counted", st["bytes_received"] > len(amendment(
        "add", "email", ids)), st)
    recs = fc.requests()
    check("request log: both requests on connection 1",
          [r["conn"] for r in recs] == [recs[0]["conn"]] * 2 and len(recs) == 2, recs)
    r = recs[-1]
    check("request log: PATCH fields",
          r["method"] == "PATCH" and r["path"] == cl_path(101) and r["status"] == 200
          and r["content_type"] == "application/json"
          and r["content_length"] == len(amendment("add", "email", ids))
          and r["authorization"] == "bearer-valid" and r["identifier_type"] == "email"
          and r["operation"] == "add" and r["identifiers"] == 3
          and r["gum_caller_id"] is None, r)
    check("request log: token request marked n/a", recs[0]["authorization"] == "n/a", recs[0])
    dump = json.dumps(recs)
    check("request log: no token or secret in it",
          api.token not in dump and CLIENT_SECRET not in dump)

    # Remove on the same connection.
    status, _, body = api.patch(101, amendment("remove", "email", ids[:1]))
    check("remove: 200 and set shrinks",
          status == 200 and fc.segment(101) == sorted(ids[1:]), (status, body))
    check("segments view: counts per segment", fc.segments() == {"101": 2}, fc.segments())
    api.close()


def test_identifier_validity(fc):
    api = Api(fc)
    api.fetch_token()
    good = sha("valid@example.com")
    ids = ["not-an-email", good.upper(), good, "plain@example.com"]
    status, _, body = api.patch(102, amendment("add", "email", ids))
    attrs = body["data"]["attributes"]
    check("invalid email identifiers counted",
          status == 200 and attrs["nbValidIdentifiers"] == 2
          and attrs["nbInvalidIdentifiers"] == 2
          and attrs["sampleInvalidIdentifiers"] == ["not-an-email", good.upper()], attrs)
    check("invalid identifiers not stored",
          fc.segment(102) == sorted([good, "plain@example.com"]), fc.segment(102))
    cases = [("madid", ["123e4567-e89b-12d3-a456-426614174000", "not-a-uuid"], 1),
             ("phoneNumber", [sha("+33612345678"), "+33612345678"], 1),
             ("identityLink", ["XY1234abc", ""], 0)]
    for itype, ids, want_invalid in cases:
        status, _, body = api.patch(103, amendment("add", itype, ids))
        check("%s: %d invalid" % (itype, want_invalid),
              status == 200
              and body["data"]["attributes"]["nbInvalidIdentifiers"] == want_invalid, body)
    many = ["bad%d" % i for i in range(15)]
    _, _, body = api.patch(104, amendment("add", "email", many))
    check("sampleInvalidIdentifiers capped at 10",
          body["data"]["attributes"]["sampleInvalidIdentifiers"] == many[:10], body)
    status, _, body = api.patch(105, amendment("add", "gum", ["g1", "g2"], gum=42))
    recs = fc.requests()
    check("gum with gumCallerId accepted and logged",
          status == 200 and recs[-1]["gum_caller_id"] == 42, (status, body))
    status, _, body = api.call("DELETE", cl_path(102),
                               headers={"Authorization": "Bearer " + api.token})
    check("DELETE contact-list wipes the segment",
          status == 200 and fc.segment(102) == [], (status, body))
    api.close()


def test_auth(fc):
    api = Api(fc)
    path = cl_path(106)
    body = amendment("add", "email", [sha("a@b.c")])
    status, _, resp = api.patch(106, body, token="")
    check("401 authorization-token-missing",
          status == 401 and is_problem(resp, "authorization", "authorization-token-missing",
                                       path), (status, resp))
    status, _, resp = api.patch(106, body, token="x" * 800)
    check("401 authorization-token-invalid",
          status == 401 and is_problem(resp, "authorization", "authorization-token-invalid"),
          (status, resp))
    old = api.fetch_token()
    fc.fault(mode="expire_tokens")
    status, _, resp = api.patch(106, body, token=old)
    check("401 authorization-token-expired after expire_tokens",
          status == 401 and is_problem(resp, "authorization", "authorization-token-expired"),
          (status, resp))
    check("request log: bearer-expired", fc.requests()[-1]["authorization"] == "bearer-expired")
    api.fetch_token()
    status, _, resp = api.patch(106, body)
    check("a token fetched after expire_tokens works", status == 200, (status, resp))
    check("401 bodies did not store identifiers", fc.segment(106) == [sha("a@b.c")])
    api.close()


def test_validation(fc):
    api = Api(fc)
    api.fetch_token()
    ok_attrs = {"operation": "add", "identifierType": "email", "identifiers": [sha("x@y.z")]}

    def doc(data=None, **attrs):
        a = dict(ok_attrs)
        a.update(attrs)
        for k in [k for k, v in a.items() if v is Ellipsis]:
            del a[k]
        d = {"type": "ContactlistAmendment", "attributes": a}
        d.update(data or {})
        return json.dumps({"data": d}).encode("utf-8")

    cases = [
        ("missing data", b'{"nodata":1}', "data"),
        ("data.type wrong", doc({"type": "Nope"}), "data.type"),
        ("attributes not an object", doc({"attributes": []}), "data.attributes"),
        ("bad operation", doc(operation="replace"), "data.attributes.operation"),
        ("bad identifierType", doc(identifierType="Email"), "data.attributes.identifierType"),
        ("missing identifiers", doc(identifiers=...), "data.attributes.identifiers"),
        ("empty identifiers", doc(identifiers=[]), "data.attributes.identifiers"),
        ("50001 identifiers", doc(identifiers=["a@b"] * 50001), "data.attributes.identifiers"),
        ("non-string identifier", doc(identifiers=["a@b", 7]),
         "data.attributes.identifiers[1]"),
        ("gum without gumCallerId", doc(identifierType="gum"), "data.attributes.gumCallerId"),
        ("gumCallerId not integer", doc(identifierType="gum", gumCallerId="12"),
         "data.attributes.gumCallerId"),
        ("gumCallerId with email", doc(gumCallerId=5), "data.attributes.gumCallerId"),
        ("invalid JSON", b'{"data":', "body"),
        ("not UTF-8", b'{"data":"\xff"}', "body"),
        ("NaN literal", b'{"data":NaN}', "body"),
        ("empty body", b"", "body"),
        ("very deep nesting", b"[" * 100000 + b"]" * 100000, "body"),
    ]
    for name, body, field in cases:
        status, _, resp = api.patch(107, body)
        detail = first_problem(resp).get("detail") or ""
        check("400 %s names %s" % (name, field),
              status == 400 and is_problem(resp, "validation", "invalid-body", cl_path(107))
              and detail.startswith(field + ":"), (status, detail))
    status, _, resp = api.patch(107, doc(), ctype="text/plain")
    check("400 invalid-content-type", status == 400
          and is_problem(resp, "validation", "invalid-content-type"), (status, resp))
    status, _, resp = api.patch(107, doc(), ctype="application/json; charset=utf-8")
    check("Content-Type with charset accepted", status == 200, (status, resp))
    check("400s kept the connection alive", fc.stats()["connections"] >= 1
          and len({r["conn"] for r in fc.requests()[-len(cases) - 2:]}) == 1)
    check("rejected bodies stored nothing", fc.segment(107) == [sha("x@y.z")],
          fc.segment(107))
    api.close()


def test_not_found(fc):
    api = Api(fc)
    api.fetch_token()
    auth = {"Authorization": "Bearer " + api.token, "Content-Type": "application/json"}
    body = amendment("add", "email", ["a@b"])
    for name, path in (("bad version", cl_path(1, version="2026-7")),
                       ("bad version word", cl_path(1, version="v1")),
                       ("non-digit id", cl_path("12a")),
                       ("21-digit id", cl_path("1" * 21)),
                       # (PATCH .../audiences is a real operation now: UpdateAudiences)
                       ("unknown path", "/2026-07/marketing-solutions/audience-lists")):
        status, _, resp = api.call("PATCH", path, body, auth)
        check("404 not-found: " + name,
              status == 404 and is_problem(resp, "validation", "not-found", path),
              (status, resp))
    status, _, resp = api.call("PATCH", cl_path("1" * 20), body, auth)
    check("20-digit id accepted", status == 200
          and resp["data"]["attributes"]["contactListId"] == int("1" * 20), (status, resp))
    status, headers, resp = api.call("GET", cl_path(1), headers=auth)
    check("405 for GET on contact-list", status == 405 and headers.get("Allow"),
          (status, resp))
    api.close()


def test_chunked(fc):
    api = Api(fc)
    api.fetch_token()
    body = amendment("add", "email", [sha("c%d@x.y" % i) for i in range(100)])
    pieces = [body[i:i + 1000] for i in range(0, len(body), 1000)]
    status, _, resp = api.patch(108, iter(pieces))
    rec = fc.requests()[-1]
    check("chunked request body accepted",
          status == 200 and resp["data"]["attributes"]["nbValidIdentifiers"] == 100
          and rec["chunked"] and rec["content_length"] == len(body), (status, rec))
    api.close()


def test_faults(fc):
    fc.reset()
    api = Api(fc)
    api.fetch_token()
    n = [0]

    def fresh():
        n[0] += 1
        return amendment("add", "email", [sha("fault%d@x.y" % n[0])])

    fc.fault(mode="rate_limit", count=2, reset_in=3, retry_after=1)
    status, _, _ = api.call("POST", "/oauth2/token", TOKEN_FORM,
                            {"Content-Type": "application/x-www-form-urlencoded"})
    check("rate_limit does not touch token requests", status == 200, status)
    results = [api.patch(109, fresh()) for _ in range(3)]
    (s1, h1, b1), (s2, _, _), (s3, _, _) = results
    now = time.time()
    check("rate_limit: 429, 429, then 200", [s1, s2, s3] == [429, 429, 200], [s1, s2, s3])
    check("rate_limit: quota/rate-limited problem", is_problem(b1, "quota", "rate-limited"), b1)
    check("rate_limit: Retry-After 1, remaining 0, reset now+3",
          h1.get("Retry-After") == "1" and h1.get("x-ratelimit-remaining") == "0"
          and abs(int(h1.get("x-ratelimit-reset", "0")) - (now + 3)) <= 2, dict(h1))
    check("rate_limit: only the 200 request stored", len(fc.segment(109)) == 1)

    fc.fault(mode="rate_limit", count=1)
    s, h, _ = api.patch(109, fresh())
    check("rate_limit without retry_after sends no Retry-After",
          s == 429 and h.get("Retry-After") is None, dict(h))

    for mode, want, ptype, code in (("unavailable", 503, "availability", "service-unavailable"),
                                    ("server_error", 500, "availability", "internal-error")):
        fc.fault(mode=mode, count=1)
        s, _, b = api.patch(110, fresh())
        check("%s: %d %s" % (mode, want, code), s == want and is_problem(b, ptype, code), b)
    check("5xx requests stored nothing", fc.segment(110) == [])

    fc.fault(mode="close_mid_response", count=1)
    try:
        api.patch(111, fresh())
        check("close_mid_response: truncated body", False, "read succeeded")
    except http.client.IncompleteRead as e:
        check("close_mid_response: truncated body",
              0 < len(e.partial) and e.expected > 0, e)
    api.close()
    api = Api(fc)
    api.fetch_token()

    fc.fault(mode="close_before_response", count=1)
    try:
        api.patch(112, fresh())
        check("close_before_response: no answer", False, "got an answer")
    except (http.client.RemoteDisconnected, ConnectionError) as e:
        check("close_before_response: no answer", True, e)
    api.close()
    api = Api(fc)
    api.fetch_token()
    check("close_before_response stored nothing", fc.segment(112) == [])

    fc.fault(mode="slow", count=1, seconds=0.5)
    t0 = time.monotonic()
    s, _, _ = api.patch(113, fresh())
    elapsed = time.monotonic() - t0
    check("slow: answered after >= 0.5 s", s == 200 and elapsed >= 0.5, elapsed)

    before = fc.stats()["connections"]
    fc.fault(mode="connection_close", count=1)
    s, h, _ = api.patch(113, fresh())
    check("connection_close: 200 with Connection: close",
          s == 200 and (h.get("Connection") or "").lower() == "close", dict(h))
    s, _, _ = api.patch(113, fresh())     # http.client reconnects by itself
    check("connection_close: server closed, client had to reconnect",
          s == 200 and fc.stats()["connections"] == before + 1, fc.stats())

    fc.fault(mode="token_fail", count=1)
    s, _, b = api.patch(113, fresh())
    check("token_fail leaves API requests alone", s == 200, s)
    s, _, b = api.call("POST", "/oauth2/token", TOKEN_FORM,
                       {"Content-Type": "application/x-www-form-urlencoded"})
    check("token_fail: token request answered 503", s == 503, (s, b))
    s, _, b = api.call("POST", "/oauth2/token", TOKEN_FORM,
                       {"Content-Type": "application/x-www-form-urlencoded"})
    check("token_fail: the next token request works", s == 200, s)

    recs = fc.requests()
    statuses = [(r["status"], r["fault"]) for r in recs if r["fault"]]
    want = [(429, ["rate_limit"]), (429, ["rate_limit"]), (429, ["rate_limit"]),
            (503, ["unavailable"]), (500, ["server_error"]),
            (200, ["close_mid_response"]), (None, ["close_before_response"]),
            (200, ["slow"]), (200, ["connection_close"]), (503, ["token_fail"])]
    check("every faulted request recorded with its status", statuses == want, statuses)

    fc.fault(mode="server_error", count=5)
    fc.fault(mode="clear")
    check("fault mode clear disarms everything", fc.faults() == {}
          and api.patch(113, fresh())[0] == 200)
    api.close()


def test_large_upload(fc):
    """4 x 50,000 SHA-256 ids = 200,000 on one connection, timed."""
    fc.reset()
    api = Api(fc)
    api.fetch_token()
    batches = [[sha("bulk%d@example.com" % (b * 50000 + i)) for i in range(50000)]
               for b in range(4)]
    bodies = [amendment("add", "email", ids) for ids in batches]
    # REFERENCE.md section 9: len = 67*n - 1 + 115 for "add".
    check("add body for 50,000 ids is 3,350,114 bytes", len(bodies[0]) == 3350114,
          len(bodies[0]))
    t0 = time.monotonic()
    statuses = [api.patch(200, body)[0] for body in bodies]
    elapsed = time.monotonic() - t0
    check("200,000 identifiers in 4 requests in %.2f s (< 5 s)" % elapsed,
          statuses == [200] * 4 and elapsed < 5.0, statuses)
    check("segment holds 200,000 identifiers", fc.segments().get("200") == 200000,
          fc.segments())
    remove = amendment("remove", "email", batches[0])
    check("remove body for 50,000 ids is 3,350,117 bytes", len(remove) == 3350117, len(remove))
    s, _, b = api.patch(200, remove)
    check("remove 50,000 leaves 150,000",
          s == 200 and fc.segments().get("200") == 150000, (s, fc.segments()))
    st = fc.stats()
    check("bulk upload used one connection", st["connections"] == 1, st)
    api.close()


def test_tls(fc):
    base = fc.stats()

    def tls12_request(ctx, session=None):
        raw = socket.create_connection(("127.0.0.1", fc.port), timeout=10)
        with ctx.wrap_socket(raw, server_hostname="localhost", session=session) as s:
            version = s.version()
            s.sendall(b"GET /x HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            data = b""
            for _ in range(100):             # bounded: the answer is tiny
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
            return s.session, s.session_reused, version, data

    ctx = fc.ssl_context()
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2       # what mbedTLS 2.28 speaks
    session, _, version, data = tls12_request(ctx)
    check("TLS 1.2 handshake accepted", version == "TLSv1.2"
          and data.startswith(b"HTTP/1.1 404"), (version, data[:40]))
    _, reused, _, _ = tls12_request(ctx, session)
    st = fc.stats()
    check("TLS 1.2 session resumption counted",
          reused and st["resumed_sessions"] == base["resumed_sessions"] + 1
          and st["tls_handshakes"] == base["tls_handshakes"] + 2, st)
    ciphers = fc.ciphers()
    check("admin: protocol and cipher of each handshake",
          len(ciphers) >= 2 and ciphers[-1][0] == "TLSv1.2" and "GCM" in ciphers[-1][1], ciphers)

    api = Api(fc, host="127.0.0.1")
    s, _, _ = api.call("POST", "/oauth2/token", TOKEN_FORM,
                       {"Content-Type": "application/x-www-form-urlencoded"})
    check("certificate valid for host name 127.0.0.1", s == 200, s)
    api.close()

    wrong = Api(fc, context=ssl.create_default_context(
        cafile=os.path.join(fc.dir, "wrong_ca.pem")))
    try:
        wrong.call("GET", "/")
        check("wrong_ca.pem does not verify the server", False, "handshake succeeded")
    except ssl.SSLCertVerificationError:
        check("wrong_ca.pem does not verify the server", True)
    wrong.close()
    time.sleep(0.1)     # the server notes the failed handshake in its own thread
    check("failed handshake counted",
          fc.stats()["tls_handshake_failures"] == base["tls_handshake_failures"] + 1,
          fc.stats())

    # wronghost.pem is not served by the fake; serve it here for one check.
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(os.path.join(fc.dir, "wronghost.pem"),
                               os.path.join(fc.dir, "wronghost.key"))
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(5)

    def serve_two():
        for _ in range(2):
            try:
                conn, _ = listener.accept()
                with server_ctx.wrap_socket(conn, server_side=True) as s:
                    s.recv(1)
            except (OSError, ssl.SSLError):
                pass

    t = threading.Thread(target=serve_two, daemon=True)
    t.start()
    results = []
    for host in ("localhost", "wrong.example"):
        raw = socket.create_connection(listener.getsockname(), timeout=5)
        try:
            with fc.ssl_context().wrap_socket(raw, server_hostname=host):
                results.append(True)
        except ssl.SSLCertVerificationError:
            results.append(False)
    t.join(5)
    listener.close()
    check("wronghost.pem: signed by the CA, valid only for wrong.example",
          results == [False, True], results)


def raw_exchange(fc, payload, hang_up=False):
    """Sends raw bytes over TLS and returns everything the server answers
    (nothing if hang_up: then the client closes right after sending)."""
    raw = socket.create_connection(("127.0.0.1", fc.port), timeout=10)
    with fc.ssl_context().wrap_socket(raw, server_hostname="localhost") as s:
        s.sendall(payload)
        data = b""
        if hang_up:
            return data
        for _ in range(1000):
            try:
                chunk = s.recv(65536)
            except (ssl.SSLError, ConnectionError):
                break
            if not chunk:
                break
            data += chunk
        return data


def test_robustness(fc):
    cases = [
        ("garbage request line", b"GARBAGE\r\n\r\n", b"HTTP/1.1 400"),
        ("non-numeric Content-Length",
         b"PATCH /x HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n", b"HTTP/1.1 400"),
        ("negative Content-Length",
         b"PATCH /x HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", b"HTTP/1.1 400"),
        ("Content-Length and chunked",
         b"PATCH /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n"
         b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", b"HTTP/1.1 400"),
        ("bad chunk size",
         b"PATCH /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
         b"HTTP/1.1 400"),
        ("huge Content-Length",
         b"PATCH /x HTTP/1.1\r\nHost: h\r\nContent-Length: 999999999999\r\n\r\n",
         b"HTTP/1.1 413"),
        ("unknown method", b"BREW /x HTTP/1.1\r\nHost: h\r\n\r\n", b"HTTP/1.1 501"),
    ]
    for name, payload, want in cases:
        data = raw_exchange(fc, payload)
        head, _, body = data.partition(b"\r\n\r\n")
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
        check("bad input -> %s: %s" % (want[9:].decode(), name),
              data.startswith(want) and b"Content-Type: application/json" in head
              and isinstance(parsed, dict), data[:120])
    raw_exchange(fc, b"PATCH /x HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\nab",
                 hang_up=True)
    time.sleep(0.2)     # the server notices the hang-up in its own thread
    rec = fc.requests()[-1]
    check("client hanging up mid-body: logged with status null",
          rec["path"] == "/x" and rec["status"] is None, rec)
    data = raw_exchange(fc, b"POST /oauth2/token HTTP/1.1\r\nHost: h\r\nConnection: close\r\n"
                        b"Content-Type: application/x-www-form-urlencoded\r\n"
                        b"Content-Length: %d\r\n\r\n%s" % (len(TOKEN_FORM), TOKEN_FORM.encode()))
    check("still serving after bad input; Connection: close honoured",
          data.startswith(b"HTTP/1.1 200") and b"Connection: close" in data, data[:80])


def test_second_server():
    """Plain HTTP, --sink, --record-bodies and a 1-second token lifetime, in
    one more process."""
    bodies = tempfile.TemporaryDirectory(prefix="fake_criteo_bodies_")
    with bodies, FakeCriteo(plain=True, sink=True, token_lifetime=1,
                            record_bodies=bodies.name) as fc:
        check("plain: base_url is http://127.0.0.1",
              fc.base_url == "http://127.0.0.1:%d" % fc.port, fc.base_url)
        api = Api(fc)
        api.fetch_token()
        ids = [sha("s%d@x.y" % i) for i in range(10)]
        s, _, b = api.patch(300, amendment("add", "email", ids))
        check("plain HTTP PATCH works", s == 200, (s, b))
        check("sink: counted but not stored",
              b["data"]["attributes"]["nbValidIdentifiers"] == 10 and fc.segment(300) == []
              and fc.requests()[-1]["identifiers"] == 10, b)
        files = sorted(os.listdir(bodies.name))
        body = amendment("add", "email", ids)
        with open(os.path.join(bodies.name, files[0] if files else "none"), "rb") as f:
            recorded = f.read() if files else b""
        check("record-bodies: the PATCH body, byte for byte, named by operationId "
              "(token and admin calls not recorded)",
              files == ["000001-UpdateContactListByAudienceSegment.json"] and recorded == body
              and fc.requests()[-1]["body_file"] == files[0], files)
        # The sink's fast path (compact body, all SHA-256 hex) must count
        # exactly what the full parse would; anything else takes the full path.
        many = [sha("f%d@x.y" % i) for i in range(50000)]
        s, _, b = api.patch(301, amendment("add", "email", many))
        check("sink fast path: 50,000 hashes counted, all valid",
              s == 200 and b["data"]["attributes"]["nbValidIdentifiers"] == 50000
              and b["data"]["attributes"]["nbInvalidIdentifiers"] == 0
              and fc.requests()[-1]["identifiers"] == 50000, b)
        odd = many[:3] + [many[3].upper(), "a@b.c", many[4][:63]]
        s, _, b = api.patch(301, amendment("add", "email", odd))
        check("sink: upper-case hex, a plain e-mail and a short hash take the full path",
              s == 200 and b["data"]["attributes"]["nbValidIdentifiers"] == 4
              and b["data"]["attributes"]["nbInvalidIdentifiers"] == 2, b)
        spaced = json.dumps(json.loads(amendment("add", "email", many[:5]))).encode()
        s, _, b = api.patch(301, spaced)
        check("sink: a body with spaces is parsed and counted the same",
              s == 200 and b["data"]["attributes"]["nbValidIdentifiers"] == 5, b)
        too_many = amendment("add", "email", many + many[:1])
        s, _, b = api.patch(301, too_many)
        check("sink: 50,001 hashes refused as the full path refuses them",
              s == 400 and "at most 50000" in json.dumps(b), b)
        st = fc.stats()
        check("server time is accounted", st["server_cpu_seconds"] > 0
              and st["server_answer_seconds"] > 0, st)
        check("plain: connections counted, no TLS handshakes",
              st["connections"] == 1 and st["tls_handshakes"] == 0, st)
        time.sleep(1.1)
        s, _, b = api.patch(300, amendment("add", "email", ids))
        check("token expires after its lifetime",
              s == 401 and is_problem(b, "authorization", "authorization-token-expired"), b)
        api.close()
        fc.proc.send_signal(signal.SIGTERM)
        try:
            rc = fc.proc.wait(5)
        except Exception as e:
            rc = e
        check("SIGTERM: exit status 0", rc == 0, rc)
        check("SIGTERM: port files removed",
              not os.path.exists(os.path.join(fc.dir, "port")))


def test_admin(fc):
    import urllib.request
    import urllib.error
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    req = urllib.request.Request(fc.admin_url + "/_admin/fault", method="POST",
                                 data=b'{"mode":"explode"}')
    try:
        opener.open(req, timeout=5)
        check("admin: unknown fault mode -> 400", False, "accepted")
    except urllib.error.HTTPError as e:
        check("admin: unknown fault mode -> 400", e.code == 400, e.code)
    before = fc.stats()
    fc.stats(), fc.requests(), fc.segments()
    check("admin calls are not counted", fc.stats() == before)
    fc.reset()
    st = fc.stats()
    check("reset clears stats, requests and segments",
          all(v == 0 for v in st.values()) and fc.requests() == [] and fc.segments() == {},
          st)


# --------------------------------------------------------------------------
# The Audience API beyond contact-list uploads: segments, audiences, both
# products.  Each group resets the server and builds what it needs.

ISO_Z = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z")
MS_SEGMENT_KEYS = {"advertiserId", "name", "description", "type", "createdAt", "updatedAt",
                   "behavioral", "contactList", "inMarket", "location", "lookalike",
                   "prospecting", "retargeting"}
RM_SEGMENT_KEYS = {"accountId", "retailerId", "name", "description", "type", "channels",
                   "createdAt", "updatedAt", "createdById", "contactList", "events"}


def ms(rest):
    return "/%s/marketing-solutions/%s" % (VERSION, rest)


def rm(rest):
    return "/%s/retail-media/%s" % (VERSION, rest)


def send(api, method, path, obj=None, raw=None, query=None):
    """An authorised API call with a JSON body (obj) or raw bytes."""
    headers = {"Authorization": "Bearer " + api.token}
    body = None
    if obj is not None or raw is not None:
        body = raw if raw is not None else json.dumps(obj).encode("utf-8")
        headers["Content-Type"] = "application/json"
    return api.call(method, path + ("?" + query if query else ""), body, headers)


def problems(body, key):
    return [(p.get("code"), p.get("instance")) for p in (body.get(key) or [])] \
        if isinstance(body, dict) else None


def is_envelope(body):
    """errors and warnings always present, as arrays."""
    return isinstance(body, dict) and isinstance(body.get("errors"), list) \
        and isinstance(body.get("warnings"), list) and "data" in body


def bad_request(status, body, field):
    """A 400 validation problem whose detail starts with the field."""
    detail = first_problem(body).get("detail") or ""
    return status == 400 and first_problem(body).get("type") == "validation" \
        and detail.startswith(field + ":")


def seg_create(adv, name, **targeting):
    attrs = {"advertiserId": adv, "name": name}
    attrs.update(targeting or {"contactList": {}})
    return {"type": "AudienceSegment", "attributes": attrs}


def ids_body(ids, rtype="AudienceSegment"):
    return {"data": [{"id": i, "type": rtype, "attributes": {}} for i in ids]}


def search_body(rtype="AudienceSegment", **filters):
    return {"data": {"type": rtype, "attributes": filters}}


def test_ms_segments(fc):
    fc.reset()
    api = Api(fc)
    api.fetch_token()
    s, _, b = send(api, "POST", ms("audience-segments/create"), {"data": [
        dict(seg_create("5001", "kiosk opt-in"), attributes={
            "advertiserId": "5001", "name": "kiosk opt-in", "description": "till",
            "contactList": {}}),
        seg_create("5001", "loyalty card"),
        seg_create("5001", "kiosk opt-in"),
        seg_create("5001", "")]})
    check("ms create: 200 with partial success", s == 200 and is_envelope(b), (s, b))
    data = b.get("data") or []
    check("ms create: the two good items come back",
          [d["attributes"]["name"] for d in data] == ["kiosk opt-in", "loyalty card"], data)
    check("ms create: duplicate name and empty name in errors at @data/2, @data/3",
          problems(b, "errors") == [("name-must-be-unique", "@data/2"),
                                    ("name-must-not-be-empty", "@data/3")]
          and b["warnings"] == [], b)
    check("ms create: item problems carry every problem field",
          all(set(p) == PROBLEM_KEYS and p["type"] == "validation" for p in b["errors"]),
          b["errors"])
    first = data[0] if data else {"attributes": {}}
    a = first["attributes"]
    check("ms create: AudienceSegmentEntityV1 shape",
          first.get("type") == "AudienceSegment" and re.fullmatch(r"[0-9]+", first.get("id", ""))
          and set(a) == MS_SEGMENT_KEYS and a["type"] == "ContactList"
          and a["contactList"] == {"isReadOnly": False} and a["inMarket"] is None
          and a["advertiserId"] == "5001" and a["description"] == "till"
          and ISO_Z.fullmatch(a["createdAt"] or "") and a["updatedAt"] == a["createdAt"], first)
    seg1 = first.get("id")
    seg2 = data[1]["id"] if len(data) > 1 else None

    s, _, b = send(api, "POST", ms("audience-segments/create"), {"data": [
        seg_create("5001", "in-market FR", inMarket={"country": "FR", "brandIds": ["1001"],
                                                     "buyingPower": ["High"]}),
        seg_create("5001", "near store", location={
            "pointsOfInterest": [{"latitude": 48.85, "longitude": 2.35, "name": "s12"}],
            "radiusInKm": 3}),
        seg_create("5001", "lookalike", lookalike={"seedSegmentId": seg1, "targetSize": 10000}),
        seg_create("5001", "prospects", prospecting={"usersType": "Prospects",
                                                     "daysSinceLastVisitMax": 30}),
        seg_create("5001", "buyers", retargeting={"visitorsType": "Buyers",
                                                  "daysSinceLastVisitMin": 0,
                                                  "daysSinceLastVisitMax": 30}),
        seg_create("5002", "kiosk opt-in")]})
    kinds = [(d["attributes"]["type"], d["attributes"]["advertiserId"]) for d in b.get("data", [])]
    check("ms create: type follows the targeting object; names are unique per advertiser",
          s == 200 and kinds == [("InMarket", "5001"), ("Location", "5001"), ("Lookalike", "5001"),
                                 ("Prospecting", "5001"), ("Retargeting", "5001"),
                                 ("ContactList", "5002")] and b["errors"] == [], (s, b))
    im = b["data"][0]["attributes"]["inMarket"] if s == 200 else {}
    check("ms create: inMarket read back in the entity's shape",
          im == {"country": "FR", "brandIds": ["1001"], "interestIds": [], "buyingPower": ["High"],
                 "priceRange": [], "gender": None}, im)

    ok_item = seg_create("5001", "x")
    cases = [
        ("data is an object", {"data": ok_item}, "data"),
        ("data empty", {"data": []}, "data"),
        ("advertiserId missing", {"data": [{"type": "AudienceSegment",
                                            "attributes": {"name": "x", "contactList": {}}}]},
         "data[0].attributes.advertiserId"),
        ("advertiserId as a number", {"data": [seg_create(5001, "x")]},
         "data[0].attributes.advertiserId"),
        ("name missing", {"data": [ok_item, {"attributes": {"advertiserId": "1",
                                                              "contactList": {}}}]},
         "data[1].attributes.name"),
        ("two targeting objects", {"data": [seg_create("1", "x", contactList={},
                                                       inMarket={"country": "FR"})]},
         "data[0].attributes"),
        ("no targeting object", {"data": [{"attributes": {"advertiserId": "1", "name": "x"}}]},
         "data[0].attributes"),
        ("buyingPower enum case", {"data": [seg_create("1", "x", inMarket={
            "country": "FR", "buyingPower": ["high"]})]},
         "data[0].attributes.inMarket.buyingPower[0]"),
        ("retargeting without days", {"data": [seg_create("1", "x", retargeting={
            "visitorsType": "All"})]}, "data[0].attributes.retargeting.daysSinceLastVisitMin"),
        ("radius over int32", {"data": [seg_create("1", "x", location={
            "pointsOfInterest": [{"latitude": 1, "longitude": 2}], "radiusInKm": 2 ** 31})]},
         "data[0].attributes.location.radiusInKm"),
    ]
    for name, body, field in cases:
        s, _, b = send(api, "POST", ms("audience-segments/create"), body)
        check("ms create: 400 %s names %s" % (name, field), bad_request(s, b, field),
              (s, first_problem(b)))
    check("ms create: rejected bodies created nothing",
          len(fc.entities()["ms_segments"]) == 8, fc.entities()["ms_segments"].keys())

    # update: rename + set description, clear it, keep it, unknown id, conflict
    s, _, b = send(api, "PATCH", ms("audience-segments"), {"data": [
        {"id": seg1, "type": "AudienceSegment",
         "attributes": {"name": "kiosk opt-in (2026)", "description": {"value": "new"}}},
        {"id": "99999999", "type": "AudienceSegment", "attributes": {"name": "nobody"}},
        {"id": seg2, "type": "AudienceSegment", "attributes": {"name": "kiosk opt-in (2026)"}}]})
    check("ms update: unknown id is a warning, a taken name an error",
          s == 200 and problems(b, "warnings") == [("segment-not-found", "@data/1")]
          and problems(b, "errors") == [("name-must-be-unique", "@data/2")], (s, b))
    upd = (b.get("data") or [{}])[0]
    check("ms update: data holds the updated entity",
          len(b.get("data", [])) == 1 and upd.get("id") == seg1
          and upd["attributes"]["name"] == "kiosk opt-in (2026)"
          and upd["attributes"]["description"] == "new", b.get("data"))
    s, _, b = send(api, "PATCH", ms("audience-segments"), {"data": [
        {"id": seg1, "attributes": {"name": "renamed again"}}]})
    check("ms update: an absent description is left alone",
          s == 200 and b["data"][0]["attributes"]["description"] == "new", b)
    s, _, b = send(api, "PATCH", ms("audience-segments"), {"data": [
        {"id": seg1, "attributes": {"description": {"value": None}}}]})
    check("ms update: {\"value\": null} clears the description",
          s == 200 and b["data"][0]["attributes"]["description"] is None
          and b["data"][0]["attributes"]["name"] == "renamed again", b)
    for name, attrs, field in (
            ("description as a plain string", {"description": "x"},
             "data[0].attributes.description"),
            ("Nillable without value", {"description": {}}, "data[0].attributes.description.value"),
            ("contactList update", {"contactList": {}}, "data[0].attributes.contactList")):
        s, _, b = send(api, "PATCH", ms("audience-segments"),
                       {"data": [{"id": seg1, "attributes": attrs}]})
        check("ms update: 400 %s names %s" % (name, field), bad_request(s, b, field),
              (s, first_problem(b)))
    s, _, b = send(api, "PATCH", ms("audience-segments"), {"data": [{"attributes": {}}]})
    check("ms update: 400 without an id", bad_request(s, b, "data[0].id"), first_problem(b))
    s, _, b = send(api, "PATCH", ms("audience-segments"), {"data": [
        {"id": seg1, "attributes": {"inMarket": {"country": "DE"}}}]})
    check("ms update: targeting of another segment type is an item error",
          s == 200 and problems(b, "errors") == [("segment-type-mismatch", "@data/0")], b)

    # delete: unknown in warnings; the contact list goes with the segment
    api.patch(seg2, amendment("add", "email", [sha("d@x.y")]))
    s, _, b = send(api, "POST", ms("audience-segments/delete"), ids_body([seg2, "424242"]))
    check("ms delete: data lists the deleted {id, type}; unknown id in warnings",
          s == 200 and b["data"] == [{"id": seg2, "type": "AudienceSegment"}]
          and problems(b, "warnings") == [("segment-not-found", "@data/1")]
          and b["errors"] == [], (s, b))
    check("ms delete: segment and its contact list gone",
          seg2 not in fc.entities()["ms_segments"] and seg2 not in fc.segments())
    s, _, b = send(api, "POST", ms("audience-segments/delete"), {"data": [{"id": 5}]})
    check("ms delete: 400 for a numeric id", bad_request(s, b, "data[0].id"), first_problem(b))
    api.close()


def test_ms_search_paging(fc):
    fc.reset()
    t0 = time.monotonic()
    ids = fc.seed_segments("ms", 1234, advertiserId="7001", prefix="kiosk")
    check("seed: 1,234 MS segments with increasing ids",
          len(ids) == 1234 and [int(i) for i in ids] == sorted(int(i) for i in ids)
          and len(set(ids)) == 1234, ids[:3])
    fc.seed_segments("ms", 5, advertiserId="7002")
    api = Api(fc)
    api.fetch_token()
    seen, pages, metas, offset = [], 0, [], 0
    while True:
        s, _, b = send(api, "POST", ms("audience-segments/search"),
                       search_body(advertiserIds=["7001"]), query="limit=100&offset=%d" % offset)
        if s != 200 or pages > 20:
            break
        pages += 1
        metas.append(b["meta"])
        seen += [d["id"] for d in b["data"]]
        offset += 100
        if offset >= b["meta"]["totalItems"]:
            break
    check("search: 1,234 segments in 13 pages of <= 100", pages == 13 and len(seen) == 1234
          and len(set(seen)) == 1234 and set(seen) == set(ids), (pages, len(seen)))
    check("search: sorted by numeric id", [int(i) for i in seen] == sorted(int(i) for i in seen))
    check("search: meta {limit, offset, totalItems} on every page",
          metas[0] == {"limit": 100, "offset": 0, "totalItems": 1234}
          and metas[-1] == {"limit": 100, "offset": 1200, "totalItems": 1234}, metas[-1:])
    s, _, b = send(api, "POST", ms("audience-segments/search"), search_body(advertiserIds=["7001"]))
    check("search: limit defaults to 50", s == 200 and len(b["data"]) == 50
          and b["meta"]["limit"] == 50 and b["meta"]["offset"] == 0, b.get("meta"))
    s, _, b = send(api, "POST", ms("audience-segments/search"), search_body(), query="offset=5000")
    check("search: past the end -> empty page, totalItems of all segments",
          s == 200 and b["data"] == [] and b["meta"]["totalItems"] == 1239, b.get("meta"))
    s, _, b = send(api, "POST", ms("audience-segments/search"),
                   search_body(advertiserIds=["7001", "7002"], audienceSegmentIds=[ids[0], "1"],
                               audienceSegmentTypes=["ContactList"]))
    check("search: filters AND-ed, values OR-ed",
          s == 200 and [d["id"] for d in b["data"]] == [ids[0]], b)
    s, _, b = send(api, "POST", ms("audience-segments/search"),
                   search_body(advertiserIds=["7001"], audienceSegmentTypes=["InMarket"]))
    check("search: type filter", s == 200 and b["data"] == [] and b["meta"]["totalItems"] == 0, b)
    for query, field in (("limit=101", "limit"), ("limit=x", "limit"), ("offset=-1", "offset"),
                         ("limit=1&limit=2", "limit")):
        s, _, b = send(api, "POST", ms("audience-segments/search"), search_body(), query=query)
        check("search: 400 for %s" % query,
              s == 400 and is_problem(b, "validation", "invalid-query-parameter")
              and first_problem(b)["detail"].startswith(field + ":"), (s, b))
    s, _, b = send(api, "POST", ms("audience-segments/search"), search_body(), query="limit=100")
    check("search: limit 100 is the maximum allowed", s == 200 and len(b["data"]) == 100)
    for name, body, field in (
            ("data as array", {"data": [search_body()["data"]]}, "data"),
            ("type enum case", search_body(audienceSegmentTypes=["contactList"]),
             "data.attributes.audienceSegmentTypes[0]"),
            ("numeric advertiser id", search_body(advertiserIds=[7001]),
             "data.attributes.advertiserIds[0]")):
        s, _, b = send(api, "POST", ms("audience-segments/search"), body)
        check("search: 400 %s names %s" % (name, field), bad_request(s, b, field),
              first_problem(b))

    # Retail Media: limit up to 500
    rm_ids = fc.seed_segments("rm", 600, accountId="300", retailerId="12")
    check("seed: RM ids are int64 above 2^53", all(int(i) > 2 ** 53 for i in rm_ids), rm_ids[:2])
    got, offset = [], 0
    for _ in range(3):
        s, _, b = send(api, "POST", rm("accounts/300/audience-segments/search"),
                       search_body("RetailMediaAudienceSegment"), query="limit=500&offset=%d" % offset)
        got += [d["id"] for d in b.get("data", [])]
        offset += 500
    check("rm search: 600 segments in pages of 500", got == rm_ids, len(got))
    s, _, b = send(api, "POST", rm("accounts/300/audience-segments/search"),
                   search_body("RetailMediaAudienceSegment"), query="limit=501")
    check("rm search: limit 501 -> 400", s == 400
          and is_problem(b, "validation", "invalid-query-parameter"), (s, b))
    s, _, b = send(api, "POST", rm("accounts/301/audience-segments/search"),
                   search_body("RetailMediaAudienceSegment"))
    check("rm search: another account sees none of them",
          s == 200 and b["data"] == [] and b["meta"]["totalItems"] == 0, b)
    recs = [r for r in fc.requests() if r["operation_id"] == "SearchAudienceSegments"]
    check("request log: operationId and query recorded",
          len(recs) >= 13 and recs[0]["query"] == "limit=100&offset=0"
          and recs[0]["path"] == ms("audience-segments/search"), recs[:1])
    check("seeding and 20 searches took %.2f s (< 5 s)" % (time.monotonic() - t0),
          time.monotonic() - t0 < 5)
    api.close()


def test_ms_contact_list_stats_and_sizes(fc):
    fc.reset()
    api = Api(fc)
    api.fetch_token()
    _, _, b = send(api, "POST", ms("audience-segments/create"), {"data": [
        seg_create("5001", "a"), seg_create("5001", "b", inMarket={"country": "FR"})]})
    seg, other = b["data"][0]["id"], b["data"][1]["id"]
    api.patch(seg, amendment("add", "email", [sha("s%d@x.y" % i) for i in range(5)]))
    s, _, b = send(api, "GET", ms("audience-segments/%s/contact-list/statistics" % seg))
    check("ms stats: uploads counted, 60 % matched",
          s == 200 and is_envelope(b) and b["data"] == {
              "id": seg, "type": "ContactListStatistics",
              "attributes": {"numberOfIdentifiers": 5, "numberOfMatches": 3, "matchRate": 0.6}},
          (s, b))
    s, _, b = send(api, "POST", ms("audience-segments/compute-sizes"),
                   ids_body([seg, "777777", other]))
    sizes = {d["id"]: d["attributes"]["size"] for d in b.get("data", [])}
    check("ms compute-sizes: contact list size, a deterministic size for the other, "
          "unknown id in errors",
          s == 200 and sizes.get(seg) == 5 and isinstance(sizes.get(other), int)
          and sizes[other] > 0 and problems(b, "errors") == [("segment-not-found", "@data/1")]
          and b["data"][0]["type"] == "AudienceSegmentSize", (s, b))
    s, _, b = send(api, "DELETE", ms("audience-segments/%s/contact-list" % seg))
    check("ms wipe: spec shape", s == 200 and b == {
        "data": {"id": seg, "type": "AudienceContactlist"}, "errors": [], "warnings": []}, b)
    s, _, b = send(api, "GET", ms("audience-segments/%s/contact-list/statistics" % seg))
    check("ms stats after wipe: 0 identifiers, matchRate 0",
          s == 200 and b["data"]["attributes"] == {"numberOfIdentifiers": 0,
                                                   "numberOfMatches": 0, "matchRate": 0}, b)
    check("ms wipe kept the segment", seg in fc.entities()["ms_segments"])
    s, _, b = send(api, "DELETE", ms("audience-segments/31337/contact-list"))
    check("ms wipe: never-seen segment -> 404", s == 404
          and is_problem(b, "validation", "audience-invalid"), (s, b))
    s, _, b = send(api, "GET", ms("audience-segments/31337/contact-list/statistics"))
    check("ms stats: unknown segment -> 404 segment-not-found", s == 404
          and is_problem(b, "validation", "segment-not-found"), (s, b))
    api.patch(31337, amendment("add", "email", [sha("z@x.y")]))
    s, _, b = send(api, "GET", ms("audience-segments/31337/contact-list/statistics"))
    check("ms stats: an id that only received uploads is known",
          s == 200 and b["data"]["attributes"]["numberOfIdentifiers"] == 1, (s, b))
    s, h, b = send(api, "POST", ms("audience-segments/%s/contact-list/statistics" % seg))
    check("ms stats: POST -> 405 Allow: GET", s == 405 and h.get("Allow") == "GET", (s, b))
    api.close()


def test_ms_estimates_and_in_market(fc):
    api = Api(fc)
    api.fetch_token()
    body = {"data": {"type": "AudienceSegment", "attributes": {
        "advertiserId": "5001", "inMarket": {"country": "FR", "brandIds": ["1001"]}}}}
    s, _, b = send(api, "POST", ms("audience-segments/estimate-size"), body)
    s2, _, b2 = send(api, "POST", ms("audience-segments/estimate-size"), body)
    check("ms estimate-size: {data: {type, attributes: {size}}}, deterministic",
          s == 200 and is_envelope(b) and b["data"]["type"] == "AudienceSegmentSizeEstimation"
          and isinstance(b["data"]["attributes"]["size"], int) and b == b2, b)
    s, _, b = send(api, "POST", ms("audience-segments/estimate-size"),
                   {"data": {"attributes": {"advertiserId": "5001"}}})
    check("ms estimate-size: 400 without inMarket or location",
          bad_request(s, b, "data.attributes"), first_problem(b))
    s, _, b = send(api, "GET", ms("audience-segments/in-market-brands"),
                   query="advertiser-id=5001&country=FR")
    items = b.get("data") or []
    check("in-market-brands: items {id, type, attributes {name, size}}",
          s == 200 and is_envelope(b) and len(items) >= 3
          and all(set(i["attributes"]) == {"name", "size"} and isinstance(i["id"], str)
                  for i in items), b)
    s, _, b = send(api, "GET", ms("audience-segments/in-market-interests"),
                   query="advertiser-id=5001&country=fr")
    items = b.get("data") or []
    check("in-market-interests: items {id, attributes {parentId}}, a tree",
          s == 200 and len(items) >= 3 and all(set(i["attributes"]) == {"parentId"} for i in items)
          and any(i["attributes"]["parentId"] is None for i in items)
          and any(i["attributes"]["parentId"] for i in items), b)
    for path in ("in-market-brands", "in-market-interests"):
        for query, field in (("country=FR", "advertiser-id"), ("advertiser-id=5001", "country"),
                             ("advertiser-id=5001&country=France", "country")):
            s, _, b = send(api, "GET", ms("audience-segments/" + path), query=query)
            check("%s: 400 for %s" % (path, query),
                  s == 400 and is_problem(b, "validation", "invalid-query-parameter")
                  and first_problem(b)["detail"].startswith(field + ":"), (s, b))
    api.close()


def test_ms_audiences(fc):
    fc.reset()
    api = Api(fc)
    api.fetch_token()
    _, _, b = send(api, "POST", ms("audience-segments/create"), {"data": [
        seg_create("5001", "loyal"), seg_create("5001", "lapsed"), seg_create("5001", "spare"),
        seg_create("6001", "elsewhere")]})
    loyal, lapsed, spare, elsewhere = [d["id"] for d in b["data"]]
    api.patch(loyal, amendment("add", "email", [sha("u%d@x.y" % i) for i in range(6)]))
    api.patch(lapsed, amendment("add", "email", [sha("u%d@x.y" % i) for i in range(4, 9)]))
    algebra = {"and": [{"audienceSegmentId": loyal}, {"not": {"audienceSegmentId": lapsed}}]}
    s, _, b = send(api, "POST", ms("audiences/create"), {"data": [
        {"type": "Audience", "attributes": {"advertiserId": "5001", "name": "loyal, not lapsed",
                                            "description": "kiosk", "algebra": algebra}},
        {"type": "Audience", "attributes": {"advertiserId": "5001", "name": "ghost",
                                            "algebra": {"audienceSegmentId": "999999"}}},
        {"type": "Audience", "attributes": {"advertiserId": "5001", "name": "foreign",
                                            "algebra": {"audienceSegmentId": elsewhere}}}]})
    check("ms audiences create: 200, unknown or foreign segments are item errors",
          s == 200 and is_envelope(b) and len(b["data"]) == 1
          and problems(b, "errors") == [("segment-not-found", "@data/1"),
                                        ("segment-not-found", "@data/2")], (s, b))
    aud = b["data"][0] if b.get("data") else {"attributes": {}}
    a = aud["attributes"]
    check("ms audiences create: AudienceEntityV1 shape",
          aud.get("type") == "Audience" and re.fullmatch(r"[0-9]+", aud.get("id", ""))
          and set(a) == {"advertiserId", "name", "description", "algebra", "adSetIds",
                         "createdAt", "updatedAt"}
          and a["algebra"] == algebra and a["adSetIds"] == [] and ISO_Z.fullmatch(a["createdAt"]),
          aud)
    aud_id = aud.get("id")
    for name, alg, field in (
            ("two operators in one node", {"and": [{"audienceSegmentId": loyal}],
                                           "audienceSegmentId": loyal},
             "data[0].attributes.algebra"),
            ("empty or", {"or": []}, "data[0].attributes.algebra.or"),
            ("numeric leaf", {"not": {"audienceSegmentId": 12}},
             "data[0].attributes.algebra.not.audienceSegmentId"),
            ("empty node deep down", {"and": [{"audienceSegmentId": loyal}, {}]},
             "data[0].attributes.algebra.and[1]")):
        s, _, b = send(api, "POST", ms("audiences/create"), {"data": [
            {"attributes": {"advertiserId": "5001", "name": "x", "algebra": alg}}]})
        check("ms audiences create: 400 %s names %s" % (name, field),
              bad_request(s, b, field), first_problem(b))
    s, _, b = send(api, "POST", ms("audiences/create"), {"data": [
        {"attributes": {"advertiserId": "5001", "name": "x"}}]})
    check("ms audiences create: 400 without algebra",
          bad_request(s, b, "data[0].attributes.algebra"), first_problem(b))

    s, _, b = send(api, "POST", ms("audiences/search"), search_body("Audience", advertiserIds=["5001"]),
                   query="limit=10")
    check("ms audiences search: meta and the one audience",
          s == 200 and [d["id"] for d in b["data"]] == [aud_id]
          and b["meta"] == {"limit": 10, "offset": 0, "totalItems": 1}, b)
    s, _, b = send(api, "POST", ms("audiences/search"),
                   search_body("Audience", audienceSegmentIds=[spare]))
    check("ms audiences search: by segment used", s == 200 and b["data"] == [], b)
    s, _, b = send(api, "POST", ms("audiences/search"),
                   search_body("Audience", audienceSegmentIds=[lapsed], audienceIds=[aud_id]))
    check("ms audiences search: by segment and id", s == 200 and len(b["data"]) == 1, b)

    s, _, b = send(api, "POST", ms("audiences/compute-sizes"), ids_body([aud_id, "1"], "Audience"))
    check("ms audiences compute-sizes: set algebra over the lists (6 - 2 = 4); unknown in errors",
          s == 200 and b["data"] == [{"id": aud_id, "type": "AudienceSize",
                                      "attributes": {"size": 4}}]
          and problems(b, "errors") == [("audience-not-found", "@data/1")], b)
    s, _, b = send(api, "POST", ms("audiences/estimate-size"), {"data": {"type": "Audience",
        "attributes": {"advertiserId": "5001", "algebra": {"or": [
            {"audienceSegmentId": loyal}, {"audienceSegmentId": lapsed}]}}}})
    check("ms audiences estimate-size: union of 6 and 5 sharing 2 = 9",
          s == 200 and b["data"] == {"type": "AudienceSizeEstimation", "attributes": {"size": 9}},
          b)

    s, _, b = send(api, "PATCH", ms("audiences"), {"data": [
        {"id": aud_id, "type": "Audience", "attributes": {
            "name": "loyal", "description": {"value": None},
            "algebra": {"or": [{"audienceSegmentId": loyal}, {"audienceSegmentId": lapsed}]}}},
        {"id": "123", "type": "Audience", "attributes": {"name": "nope"}}]})
    check("ms audiences update: updated; unknown id in warnings",
          s == 200 and len(b["data"]) == 1 and b["data"][0]["attributes"]["name"] == "loyal"
          and b["data"][0]["attributes"]["description"] is None
          and "or" in b["data"][0]["attributes"]["algebra"]
          and problems(b, "warnings") == [("audience-not-found", "@data/1")], b)

    # the in-use rule: lapsed is in the audience's algebra, spare is not
    s, _, b = send(api, "POST", ms("audience-segments/delete"), ids_body([spare, lapsed]))
    check("ms delete: a segment used by an audience -> error @data/1, the other deleted",
          s == 200 and b["data"] == [{"id": spare, "type": "AudienceSegment"}]
          and problems(b, "errors") == [("segment-must-not-be-used-in-audience", "@data/1")]
          and b["errors"][0]["title"] == "Segment must not be used in an audience", b)
    s, _, b = send(api, "POST", ms("audiences/delete"), ids_body([aud_id, "55"], "Audience"))
    check("ms audiences delete: deleted; unknown in warnings",
          s == 200 and b["data"] == [{"id": aud_id, "type": "Audience"}]
          and problems(b, "warnings") == [("audience-not-found", "@data/1")], b)
    s, _, b = send(api, "POST", ms("audience-segments/delete"), ids_body([lapsed]))
    check("ms delete: once its audience is gone the segment can go",
          s == 200 and b["data"] == [{"id": lapsed, "type": "AudienceSegment"}]
          and b["errors"] == [], b)
    ents = fc.entities()
    check("admin entities: what is left", set(ents["ms_segments"]) == {loyal, elsewhere}
          and ents["ms_audiences"] == {} and ents["ms_segments"][loyal]["identifiers"] == 6,
          ents)
    api.close()


def test_rm_segments_and_contact_lists(fc):
    fc.reset()
    api = Api(fc)
    api.fetch_token()
    acc = "300"
    create = rm("accounts/%s/audience-segments/create" % acc)

    def rm_item(name, itype="Email", retailer="12", **extra):
        attrs = {"name": name, "retailerId": retailer, "contactList": {"identifierType": itype}}
        attrs.update(extra)
        return {"type": "RetailMediaAudienceSegment", "attributes": attrs}

    s, _, b = send(api, "POST", create, {"data": [
        rm_item("retail opt-in", description="till"), rm_item("retail opt-in", "CustomerId"),
        rm_item(""), rm_item("retail opt-in", retailer="13"), rm_item("phones", "PhoneNumber")]})
    check("rm create: 200; duplicate and empty names are warnings (RM guide)",
          s == 200 and is_envelope(b) and len(b["data"]) == 3 and b["errors"] == []
          and problems(b, "warnings") == [("name-must-be-unique", "@data/1"),
                                          ("name-must-not-be-empty", "@data/2")], (s, b))
    first = b["data"][0] if b.get("data") else {"attributes": {}}
    a = first["attributes"]
    seg = first.get("id", "0")
    check("rm create: ids are int64 strings above 2^53",
          all(re.fullmatch(r"[0-9]+", d["id"]) and int(d["id"]) > 2 ** 53
              for d in b.get("data", [])), [d["id"] for d in b.get("data", [])])
    check("rm create: RmAudienceSegmentEntityV1 shape",
          first.get("type") == "RetailMediaAudienceSegment" and set(a) == RM_SEGMENT_KEYS
          and a["accountId"] == acc and a["retailerId"] == "12" and a["type"] == "ContactList"
          and a["description"] == "till" and a["events"] is None
          and a["contactList"] == {"identifierType": "Email", "isReadOnly": False,
                                   "sharingStatus": "NotShared"}
          and set(a["channels"]) <= {"Onsite", "Offsite"}, first)
    phones = b["data"][2]["id"] if len(b.get("data", [])) > 2 else "0"
    for name, item, field in (
            ("MS-style identifierType", rm_item("x", "email"),
             "data[0].attributes.contactList.identifierType"),
            ("Gum is not a segment type", rm_item("x", "Gum"),
             "data[0].attributes.contactList.identifierType"),
            ("no contactList", {"attributes": {"name": "x", "retailerId": "1"}},
             "data[0].attributes.contactList"),
            ("events (not in stable)", rm_item("x", events={"lookbackDays": "Last7Days",
                                                            "shopperActivity": "Buy"}),
             "data[0].attributes.events"),
            ("no retailerId", {"attributes": {"name": "x", "contactList": {}}},
             "data[0].attributes.retailerId")):
        s, _, b = send(api, "POST", create, {"data": [item]})
        check("rm create: 400 %s names %s" % (name, field), bad_request(s, b, field),
              first_problem(b))

    s, _, b = send(api, "PATCH", rm("accounts/%s/audience-segments" % acc), {"data": [
        {"id": seg, "type": "RetailMediaAudienceSegment",
         "attributes": {"description": {"value": "collected at the till"}, "contactList": {}}},
        {"id": "920472839472539999", "attributes": {"name": "x"}}]})
    check("rm update: description set; unknown id a warning",
          s == 200 and b["data"][0]["attributes"]["description"] == "collected at the till"
          and b["data"][0]["attributes"]["name"] == "retail opt-in"
          and problems(b, "warnings") == [("segment-not-found", "@data/1")], b)
    s, _, b = send(api, "PATCH", rm("accounts/301/audience-segments"),
                   {"data": [{"id": seg, "attributes": {"name": "stolen"}}]})
    check("rm update: another account's segment is not found",
          s == 200 and b["data"] == [] and problems(b, "warnings") == [("segment-not-found",
                                                                        "@data/0")], b)

    # add-remove: the spec's shape, counts directly under data
    good = [sha("shopper%d@example.com" % i) for i in range(3)]
    body = {"data": {"type": "AddRemoveContactlist", "attributes": {
        "operation": "add", "identifierType": "Email", "identifiers": good + ["not-an-email"]}}}
    s, _, b = send(api, "POST", rm("audience-segments/%s/contact-list/add-remove" % seg), body)
    d = b.get("data") or {} if isinstance(b, dict) else {}
    check("rm add-remove: RetailMediaContactlistOperation (counts under data)",
          s == 200 and b.get("type") == "AddRemoveContactlistResult"
          and b.get("errors") == [] and b.get("warnings") == [] and "attributes" not in d
          and d.get("operation") == "add" and d.get("identifierType") == "Email"
          and d.get("nbValidIdentifiers") == 3 and d.get("nbInvalidIdentifiers") == 1
          and d.get("sampleInvalidIdentifiers") == ["not-an-email"]
          and ISO_Z.fullmatch(d.get("requestDate", "")), (s, b))
    check("rm add-remove: contactListId is the exact int64 id (> 2^53)",
          d.get("contactListId") == int(seg) and isinstance(d.get("contactListId"), int), d)
    check("rm add-remove: logged with the operation", fc.requests()[-1]["operation_id"] ==
          "AddRemoveContactListByAudienceSegment" and fc.requests()[-1]["identifiers"] == 4)
    fc.fault(mode="rm_wrapped_counts", count=1)
    body["data"]["attributes"].update(operation="remove", identifiers=good[:1])
    s, _, b = send(api, "POST", rm("audience-segments/%s/contact-list/add-remove" % seg), body)
    attrs = (b.get("data") or {}).get("attributes") or {}
    check("rm add-remove with rm_wrapped_counts: the guide's data {type, attributes}",
          s == 200 and "type" not in b and b["data"].get("type") == "ContactlistAmendment"
          and attrs.get("nbValidIdentifiers") == 1 and attrs.get("operation") == "remove"
          and attrs.get("contactListId") == int(seg) and b["errors"] == [], b)
    s, _, b = send(api, "POST", rm("audience-segments/%s/contact-list/add-remove" % seg),
                   {"data": {"attributes": {"operation": "add", "identifiers": [sha("p")]}}})
    check("rm add-remove: switch used up; identifierType defaults to the segment's",
          s == 200 and b.get("type") == "AddRemoveContactlistResult"
          and b["data"]["identifierType"] == "Email", b)
    s, _, b = send(api, "POST", rm("audience-segments/%s/contact-list/add-remove" % phones),
                   {"data": {"attributes": {"operation": "add", "identifierType": "PhoneNumber",
                                            "identifiers": ["+33612345678", sha("+33612345678")]}}})
    check("rm add-remove: PhoneNumber must be SHA-256", s == 200
          and b["data"]["nbValidIdentifiers"] == 1 and b["data"]["nbInvalidIdentifiers"] == 1, b)
    for name, attrs, field in (
            ("MS-style identifierType", {"operation": "add", "identifierType": "email",
                                         "identifiers": ["a@b"]},
             "data.attributes.identifierType"),
            ("no operation", {"identifiers": ["a@b"]}, "data.attributes.operation"),
            ("no identifiers", {"operation": "add"}, "data.attributes.identifiers"),
            ("number identifier", {"operation": "add", "identifiers": [5]},
             "data.attributes.identifiers[0]")):
        s, _, b = send(api, "POST", rm("audience-segments/%s/contact-list/add-remove" % seg),
                       {"data": {"attributes": attrs}})
        check("rm add-remove: 400 %s names %s" % (name, field), bad_request(s, b, field),
              first_problem(b))
    s, _, b = send(api, "POST", rm("audience-segments/1234/contact-list/add-remove"), body)
    check("rm add-remove: unknown segment -> 404", s == 404
          and is_problem(b, "validation", "audience-invalid"), (s, b))

    stats_path = rm("accounts/%s/audience-segments/%s/contact-list" % (acc, seg))
    s, _, b = send(api, "GET", stats_path)
    check("rm stats: reflects add and remove (3 - 1 + 1 = 3)",
          s == 200 and is_envelope(b) and b["data"] == {
              "id": seg, "type": "ContactListStatistics",
              "attributes": {"numberOfIdentifiers": 3, "numberOfMatches": 1,
                             "matchRate": 0.3333}}, (s, b))
    s, _, b = send(api, "GET", rm("accounts/301/audience-segments/%s/contact-list" % seg))
    check("rm stats: other account -> 404", s == 404
          and is_problem(b, "validation", "segment-not-found"), (s, b))
    s, h, b = send(api, "POST", rm("audience-segments/%s/contact-list/clear" % seg))
    check("rm clear: 204 without a body", s == 204 and b == b""
          and h.get("Content-Length") is None and h.get("Content-Type") is None, (s, dict(h), b))
    s, _, b = send(api, "GET", stats_path)
    check("rm clear: list emptied", b["data"]["attributes"]["numberOfIdentifiers"] == 0, b)
    fc.fault(mode="clear_201", count=1)
    s, h, b = send(api, "POST", rm("audience-segments/%s/contact-list/clear" % phones))
    s2, _, _ = send(api, "POST", rm("audience-segments/%s/contact-list/clear" % phones))
    check("rm clear with clear_201: 201 with an empty body, once",
          s == 201 and b == b"" and h.get("Content-Length") == "0" and s2 == 204, (s, s2, b))
    check("rm clear: switches noted in the request log",
          [r["fault"] for r in fc.requests() if r["fault"]] == [["rm_wrapped_counts"],
                                                                 ["clear_201"]])
    s, _, b = send(api, "POST", rm("audience-segments/77/contact-list/clear"))
    check("rm clear: unknown segment -> 404", s == 404, (s, b))

    # audiences (seeded: the stable API cannot create them) and the in-use rule
    aud = fc.rm_audience(acc, "12", "opted-in phones", {"or": [
        {"audienceSegmentId": phones}, {"not": {"audienceSegmentId": "920472839472539999"}}]})
    fc.rm_audience(acc, "13", "other retailer", {"audienceSegmentId": seg})
    fc.rm_audience("301", "12", "other account", {"audienceSegmentId": phones})
    check("admin rm_audiences: int64 id, RmAudienceEntityV1 attributes",
          int(aud["id"]) > 2 ** 53 and aud["type"] == "RetailMediaAudience"
          and set(aud["attributes"]) == {"accountId", "retailerId", "name", "description",
                                         "algebra", "channels", "createdAt", "updatedAt",
                                         "createdById"}, aud)
    path = rm("accounts/%s/audiences/search" % acc)
    s, _, b = send(api, "POST", path, search_body("RetailMediaAudience"))
    check("rm audiences search: the account's two",
          s == 200 and is_envelope(b) and len(b["data"]) == 2
          and b["meta"] == {"limit": 50, "offset": 0, "totalItems": 2}, b)
    s, _, b = send(api, "POST", path, search_body("RetailMediaAudience", retailerIds=["12"],
                                                  audienceSegmentIds=[phones]), query="limit=1")
    check("rm audiences search: filters", s == 200 and [d["id"] for d in b["data"]] == [aud["id"]]
          and b["data"][0]["attributes"]["algebra"] == aud["attributes"]["algebra"], b)
    s, _, b = send(api, "POST", path, search_body("RetailMediaAudience", audienceIds=["1"]))
    check("rm audiences search: unknown id -> nothing", s == 200 and b["data"] == [], b)
    s, _, b = send(api, "POST", rm("accounts/%s/audience-segments/delete" % acc),
                   {"data": [{"id": phones, "type": "RetailMediaAudienceSegment"},
                             {"id": "781", "type": "RetailMediaAudienceSegment"}]})
    check("rm delete: used by an audience -> errors; unknown -> warnings",
          s == 200 and b["data"] == [] and problems(b, "errors") == [
              ("segment-must-not-be-used-in-audience", "@data/0")]
          and problems(b, "warnings") == [("segment-not-found", "@data/1")], b)
    third = [i for i in fc.entities()["rm_segments"] if i not in (seg, phones)][0]
    s, _, b = send(api, "POST", rm("accounts/%s/audience-segments/delete" % acc),
                   ids_body([third], "RetailMediaAudienceSegment"))
    check("rm delete: data lists {id, type}", s == 200 and b["data"] == [
        {"id": third, "type": "RetailMediaAudienceSegment"}] and b["errors"] == [], b)
    check("admin entities: rm state", set(fc.entities()["rm_segments"]) == {seg, phones}
          and len(fc.entities()["rm_audiences"]) == 3)
    api.close()


def test_audience_api_plumbing(fc):
    """Auth, faults, methods, ids and the admin side of the new endpoints."""
    fc.reset()
    api = Api(fc)
    api.fetch_token()
    path = ms("audience-segments/search")
    s, _, b = api.call("POST", path, json.dumps(search_body()),
                       {"Content-Type": "application/json"})
    check("new endpoints: 401 without a token", s == 401
          and is_problem(b, "authorization", "authorization-token-missing", path), (s, b))
    fc.fault(mode="rate_limit", count=1, retry_after=1)
    s, h, b = send(api, "POST", ms("audience-segments/create"),
                   {"data": [seg_create("1", "x")]})
    check("new endpoints: faults apply (429), nothing created",
          s == 429 and h.get("Retry-After") == "1" and fc.entities()["ms_segments"] == {}, (s, b))
    s, h, b = send(api, "GET", ms("audience-segments/create"))
    check("new endpoints: GET on create -> 405 Allow: POST", s == 405
          and h.get("Allow") == "POST", (s, dict(h)))
    s, h, b = send(api, "DELETE", ms("audience-segments"))
    check("new endpoints: DELETE on audience-segments -> 405 Allow: PATCH",
          s == 405 and h.get("Allow") == "PATCH", (s, dict(h)))
    for name, p in (("bad account id", rm("accounts/abc/audience-segments/search")),
                    ("bad version", "/2026-7/retail-media/accounts/1/audiences/search"),
                    ("bad RM segment id", rm("audience-segments/x1/contact-list/clear")),
                    ("unknown operation", ms("audience-segments/merge"))):
        s, _, b = send(api, "POST", p, search_body())
        check("new endpoints: 404 %s" % name, s == 404
              and is_problem(b, "validation", "not-found", p), (s, b))
    s, _, b = send(api, "POST", ms("audience-segments/create"), raw=b"{\"data\":[")
    check("new endpoints: invalid JSON -> 400 body", bad_request(s, b, "body"), first_problem(b))
    s, _, b = api.call("POST", ms("audience-segments/create"),
                       json.dumps({"data": [seg_create("1", "x")]}),
                       {"Content-Type": "text/plain", "Authorization": "Bearer " + api.token})
    check("new endpoints: 400 invalid-content-type", s == 400
          and is_problem(b, "validation", "invalid-content-type"), (s, b))
    s, _, b = send(api, "PATCH", ms("audiences"), raw=amendment("add", "email", ["a@b"]))
    check("PATCH audiences is UpdateAudiences now: an amendment body -> 400 data",
          bad_request(s, b, "data"), first_problem(b))
    ops = [r["operation_id"] for r in fc.requests()]
    check("request log: operation_id per request (None for unknown paths)",
          ops[:1] == [None] and "CreateAudienceSegments" in ops and "SearchAudienceSegments" in ops
          and ops[-1] == "UpdateAudiences", ops)

    import urllib.error
    import urllib.request
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    for body in ({"product": "xx", "count": 1}, {"product": "ms", "count": -1,
                                                  "advertiserId": "1"},
                 {"product": "ms", "count": 1, "advertiserId": 7},
                 {"product": "rm", "count": 1, "accountId": "1"}):
        req = urllib.request.Request(fc.admin_url + "/_admin/seed_segments", method="POST",
                                     data=json.dumps(body).encode())
        try:
            opener.open(req, timeout=5)
            code = 200
        except urllib.error.HTTPError as e:
            code = e.code
        check("admin seed_segments: 400 for %s" % json.dumps(body), code == 400, code)
    fc.seed_segments("ms", 2, advertiserId="1", prefix="dup")
    try:
        fc.seed_segments("ms", 1, advertiserId="1", prefix="dup")
        check("admin seed_segments: a taken name -> 400", False, "accepted")
    except Exception as e:       # FakeCriteoError
        check("admin seed_segments: a taken name -> 400", "400" in str(e), e)
    try:
        fc.rm_audience("1", "2", "bad", {"and": []})
        check("admin rm_audiences: bad algebra -> 400", False, "accepted")
    except Exception as e:
        check("admin rm_audiences: bad algebra -> 400", "algebra.and" in str(e), e)
    fc.rm_audience("1", "2", "ok", {"audienceSegmentId": "5"})
    ents = fc.entities()
    check("admin entities: ms segments and the rm audience listed",
          len(ents["ms_segments"]) == 2 and len(ents["rm_audiences"]) == 1
          and ents["rm_segments"] == {} and ents["ms_audiences"] == {}, ents)
    fc.reset()
    check("reset clears every entity",
          fc.entities() == {"ms_segments": {}, "ms_audiences": {}, "rm_segments": {},
                            "rm_audiences": {}})
    # after a reset ids start again, but never on a contact list already used
    api.patch(1001, amendment("add", "email", [sha("taken@x.y")]))
    s, _, b = send(api, "POST", ms("audience-segments/create"), {"data": [seg_create("1", "x")]})
    check("a new segment never inherits identifiers uploaded to its id before",
          s == 200 and b["data"][0]["id"] != "1001", b)
    api.close()


def main():
    t0 = time.monotonic()
    fc = FakeCriteo()
    try:
        for test in (test_files, test_token, test_keepalive_patch, test_identifier_validity,
                     test_auth, test_validation, test_not_found, test_chunked, test_faults,
                     test_large_upload, test_tls, test_robustness, test_admin,
                     test_ms_segments, test_ms_search_paging, test_ms_contact_list_stats_and_sizes,
                     test_ms_estimates_and_in_market, test_ms_audiences,
                     test_rm_segments_and_contact_lists, test_audience_api_plumbing):
            run_group(test, fc)
        run_group(test_second_server)
    finally:
        rc = fc.stop()
    check("admin shutdown: exit status 0", rc == 0, rc)
    sys.stderr.write("selftest took %.1f s\n" % (time.monotonic() - t0))
    return summary()


if __name__ == "__main__":
    sys.exit(main())
