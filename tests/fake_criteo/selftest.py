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
                       ("unknown path", "/2026-07/marketing-solutions/audiences")):
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
    """Plain HTTP, --sink and a 1-second token lifetime, in one more process."""
    with FakeCriteo(plain=True, sink=True, token_lifetime=1) as fc:
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
        st = fc.stats()
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


def main():
    t0 = time.monotonic()
    fc = FakeCriteo()
    try:
        for test in (test_files, test_token, test_keepalive_patch, test_identifier_validity,
                     test_auth, test_validation, test_not_found, test_chunked, test_faults,
                     test_large_upload, test_tls, test_robustness, test_admin):
            run_group(test, fc)
        run_group(test_second_server)
    finally:
        rc = fc.stop()
    check("admin shutdown: exit status 0", rc == 0, rc)
    sys.stderr.write("selftest took %.1f s\n" % (time.monotonic() - t0))
    return summary()


if __name__ == "__main__":
    sys.exit(main())
