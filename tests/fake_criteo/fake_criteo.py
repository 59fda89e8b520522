#!/usr/bin/env python3
"""fake_criteo.py - a stateful HTTPS fake of Criteo's Audience Segments API.

Used by crto's integration tests and benchmarks.  Python 3 standard library
only; certificates are made at start-up with the `openssl` command-line tool.

What it serves (facts from shared/criteo-api/REFERENCE.md sections 2, 3, 5.2):

  POST  /oauth2/token                                              client credentials
  PATCH /{version}/marketing-solutions/audience-segments/{id}/contact-list   add/remove
  DELETE the same path                                             wipe (extra, cheap)

plus a plain-HTTP admin port (stats, request log, segment contents, fault
injection, reset, shutdown) that is never counted in any statistics.

Usage:
  python3 fake_criteo.py --dir DIR [--port 0] [--admin-port 0] [--plain]
      [--client-id demo-client] [--client-secret demo-secret]
      [--token-lifetime 900] [--sink] [--idle-timeout 120] [--verbose]

The server writes into DIR: ca.pem, ca.key, server.pem, server.key,
wrong_ca.pem, wronghost.pem, wronghost.key, pid, then `port` and
`admin_port` (atomically, only once the sockets listen).  It removes pid,
port and admin_port again on a clean exit.
"""

import argparse
import base64
import datetime
import hmac
import http.server
import json
import os
import re
import secrets
import signal
import socket
import socketserver
import ssl
import subprocess
import sys
import threading
import time
import traceback
import urllib.parse

# --------------------------------------------------------------------------
# Constants

VERSION_RE = re.compile(r"[0-9]{4}-[0-9]{2}|experimental|preview", re.ASCII)
SEGMENT_ID_RE = re.compile(r"[0-9]{1,20}", re.ASCII)
# Deliberately loose (any segment text) so that a bad version or id gets a
# precise 404 detail instead of a generic "unknown path".
CONTACT_LIST_RE = re.compile(
    r"/([^/]*)/marketing-solutions/audience-segments/([^/]*)/contact-list")
SHA256_HEX_RE = re.compile(r"[0-9a-f]{64}", re.ASCII)
UUID_RE = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
    re.ASCII)
CHUNK_SIZE_RE = re.compile(rb"[0-9A-Fa-f]{1,16}")

IDENTIFIER_TYPES = ("email", "madid", "identityLink", "gum", "phoneNumber")
OPERATIONS = ("add", "remove")
MAX_IDENTIFIERS = 50000          # per request, REFERENCE.md section 4
MAX_SAMPLE_INVALID = 10
MAX_BODY = 64 * 1024 * 1024      # 50,000 SHA-256 ids are 3.35 MB; leave room
MAX_CHUNKS = 1000000             # bounds the chunked-body loop
MAX_TRAILER_LINES = 100
MAX_SLOW_SECONDS = 300.0
RATE_LIMIT = 250                 # calls per minute per application
RATE_WINDOW = 60
HANDSHAKE_TIMEOUT = 10.0

FAULT_MODES = ("rate_limit", "unavailable", "server_error", "close_mid_response",
               "close_before_response", "slow", "expire_tokens",
               "connection_close", "token_fail")
# Modifiers combine with whatever else happens to a request; of the
# exclusive ones at most one applies per request, in this priority order.
MODIFIER_FAULTS = ("slow", "connection_close")
EXCLUSIVE_FAULTS = ("close_before_response", "rate_limit", "unavailable",
                    "server_error", "close_mid_response")


def b64url(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def compact_json(obj):
    return json.dumps(obj, separators=(",", ":")).encode("utf-8")


def utc_now_iso():
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def write_atomic(path, text):
    """Write then rename, so a test polling for the file never sees half of it."""
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w", encoding="ascii") as f:
        f.write(text)
    os.replace(tmp, path)


def remove_quietly(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


# --------------------------------------------------------------------------
# Certificates (openssl CLI)

# One config for every invocation: it pins the extensions explicitly instead
# of depending on the distribution's openssl.cnf.
#
# mbedTLS 2.28 requirements that shaped this:
#  * a CA needs basicConstraints CA:TRUE and, when keyUsage is present,
#    keyCertSign;
#  * the leaf needs digitalSignature for ECDHE-ECDSA suites;
#  * 2.28 only compares dNSName SAN entries with the expected host name
#    (iPAddress matching came in 3.x), so "127.0.0.1" is listed as a dNSName
#    too; OpenSSL/Python clients match it against the iPAddress entry.
OPENSSL_CONFIG = """\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[v3_ca]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[v3_server]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, DNS:127.0.0.1, IP:127.0.0.1
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[v3_wronghost]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:wrong.example
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
"""


def run_openssl(args, cfg):
    # OPENSSL_CONF from the caller's environment must not change the result.
    env = dict(os.environ, OPENSSL_CONF=cfg)
    proc = subprocess.run(["openssl"] + args, env=env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          timeout=60, check=False)
    if proc.returncode != 0:
        raise RuntimeError("openssl %s failed: %s" % (
            " ".join(args[:2]), proc.stderr.decode("utf-8", "replace").strip()))


def make_ec_key(path, cfg):
    run_openssl(["genpkey", "-algorithm", "EC",
                 "-pkeyopt", "ec_paramgen_curve:P-256",
                 "-pkeyopt", "ec_param_enc:named_curve", "-out", path], cfg)
    os.chmod(path, 0o600)


def make_ca(d, name, cn, cfg):
    key = os.path.join(d, name + ".key")
    pem = os.path.join(d, name + ".pem")
    make_ec_key(key, cfg)
    run_openssl(["req", "-config", cfg, "-new", "-x509", "-key", key,
                 "-subj", "/CN=" + cn, "-days", "30", "-sha256",
                 "-set_serial", str(secrets.randbits(62) + 1),
                 "-extensions", "v3_ca", "-out", pem], cfg)
    return pem, key


def make_leaf(d, name, cn, section, ca_pem, ca_key, cfg):
    key = os.path.join(d, name + ".key")
    pem = os.path.join(d, name + ".pem")
    csr = os.path.join(d, name + ".csr")
    make_ec_key(key, cfg)
    run_openssl(["req", "-config", cfg, "-new", "-key", key, "-subj", "/CN=" + cn,
                 "-out", csr], cfg)
    run_openssl(["x509", "-req", "-in", csr, "-CA", ca_pem, "-CAkey", ca_key,
                 "-set_serial", str(secrets.randbits(62) + 1), "-days", "30",
                 "-sha256", "-extfile", cfg, "-extensions", section, "-out", pem], cfg)
    remove_quietly(csr)


def make_certificates(d):
    cfg = os.path.join(d, "openssl.cnf")
    with open(cfg, "w", encoding="ascii") as f:
        f.write(OPENSSL_CONFIG)
    try:
        ca_pem, ca_key = make_ca(d, "ca", "crto fake CA", cfg)
        make_leaf(d, "server", "localhost", "v3_server", ca_pem, ca_key, cfg)
        make_leaf(d, "wronghost", "wrong.example", "v3_wronghost", ca_pem, ca_key, cfg)
        # Same subject as the real CA on purpose: a client that trusted a CA
        # by name alone would wrongly accept the server; the signature check
        # must be what rejects it.
        make_ca(d, "wrong_ca", "crto fake CA", cfg)
        remove_quietly(os.path.join(d, "wrong_ca.key"))
    finally:
        remove_quietly(cfg)


def make_server_ssl_context(d):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    # The device client is mbedTLS 2.28: TLS 1.2 only.
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    # TLS 1.2 suites an embedded mbedTLS build may be limited to (GCM, CCM,
    # ChaCha20, CBC), all with ECDHE.  TLS 1.3 suites are unaffected.
    ctx.set_ciphers("ECDHE+AESGCM:ECDHE+CHACHA20:ECDHE+AESCCM:ECDHE+AES")
    ctx.load_cert_chain(os.path.join(d, "server.pem"), os.path.join(d, "server.key"))
    return ctx


# --------------------------------------------------------------------------
# Shared state

class State:
    """Everything the API and admin servers share; guarded by one lock."""

    def __init__(self, args):
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.client_id = args.client_id
        self.client_secret = args.client_secret
        self.token_lifetime = args.token_lifetime
        self.sink = args.sink
        self.verbose = args.verbose
        self.started = time.monotonic()
        self.tokens = {}          # token -> expiry on the monotonic clock
        self.next_conn_id = 1     # never reset, so ids stay unique in logs
        self.reset()

    def reset(self):
        with self.lock:
            self.stats = {"connections": 0, "tls_handshakes": 0,
                          "resumed_sessions": 0, "tls_handshake_failures": 0,
                          "requests": 0, "token_requests": 0,
                          "api_requests": 0, "bytes_received": 0}
            self.server_names = []  # SNI per handshake, None when absent
            self.records = []
            self.segments = {}    # normalised segment id -> set of identifiers
            self.faults = {}      # mode -> {"remaining": n, ...parameters}
            self.rate_window = None
            self.rate_count = 0

    # -- connections ------------------------------------------------------
    def new_connection(self):
        with self.lock:
            conn_id = self.next_conn_id
            self.next_conn_id += 1
            self.stats["connections"] += 1
            return conn_id

    def handshake_done(self, resumed):
        with self.lock:
            self.stats["tls_handshakes"] += 1
            if resumed:
                self.stats["resumed_sessions"] += 1

    def server_name(self, name):
        """Record the SNI a client sent (None when it sent none)."""
        with self.lock:
            if len(self.server_names) < 1000:
                self.server_names.append(name)

    def handshake_failed(self):
        with self.lock:
            self.stats["tls_handshake_failures"] += 1

    def add_bytes(self, n):
        if n:
            with self.lock:
                self.stats["bytes_received"] += n

    # -- request log ------------------------------------------------------
    def new_record(self, conn_id, method, path, is_token, content_type):
        # Every key exists from the start: later updates only change values,
        # so the admin thread can copy a record at any time.
        rec = {"conn": conn_id, "method": method, "path": path, "status": None,
               "content_type": content_type, "content_length": None,
               "chunked": False, "authorization": "n/a" if is_token else "missing",
               "identifier_type": None, "operation": None, "identifiers": None,
               "gum_caller_id": None, "fault": None,
               "t": round(time.monotonic() - self.started, 4)}
        with self.lock:
            self.records.append(rec)
            self.stats["requests"] += 1
            self.stats["token_requests" if is_token else "api_requests"] += 1
            window = int(time.time()) // RATE_WINDOW
            if window != self.rate_window:
                self.rate_window, self.rate_count = window, 0
            self.rate_count += 1
        return rec

    def rate_headers(self):
        """Informational x-ratelimit-* values; the limit itself is only
        enforced through the rate_limit fault, so benchmarks are not throttled."""
        with self.lock:
            window = int(time.time()) // RATE_WINDOW
            count = self.rate_count if window == self.rate_window else 0
        return RATE_LIMIT, max(0, RATE_LIMIT - count), (window + 1) * RATE_WINDOW

    # -- tokens -----------------------------------------------------------
    def issue_token(self):
        token = make_token(self.client_id, self.token_lifetime)
        with self.lock:
            self.tokens[token] = time.monotonic() + self.token_lifetime
        return token

    def classify_token(self, authorization):
        """Returns "missing", "bearer-invalid", "bearer-expired" or "bearer-valid"."""
        if authorization is None:
            return "missing"
        parts = authorization.strip().split(None, 1)
        if len(parts) != 2 or parts[0].lower() != "bearer":
            return "bearer-invalid"
        with self.lock:
            expiry = self.tokens.get(parts[1].strip())
        if expiry is None:
            return "bearer-invalid"
        if time.monotonic() >= expiry:
            return "bearer-expired"
        return "bearer-valid"

    def expire_tokens(self):
        with self.lock:
            now = time.monotonic()
            for token in self.tokens:
                self.tokens[token] = min(self.tokens[token], now)

    # -- faults -----------------------------------------------------------
    def set_fault(self, spec):
        """Validates and arms one fault; raises ValueError with a message."""
        if not isinstance(spec, dict):
            raise ValueError("body must be a JSON object")
        mode = spec.get("mode")
        if mode in ("clear", "none"):
            with self.lock:
                self.faults.clear()
            return
        if mode not in FAULT_MODES:
            raise ValueError("mode must be one of %s or clear" % ", ".join(FAULT_MODES))
        if mode == "expire_tokens":
            self.expire_tokens()
            return

        def number(name, default, integer=True, upper=None):
            value = spec.get(name, default)
            if value is None:
                return None
            if isinstance(value, bool) or not isinstance(value, (int, float)) \
                    or (integer and not isinstance(value, int)) or value < 0 \
                    or (upper is not None and value > upper):
                raise ValueError("%s must be a %snumber >= 0%s" % (
                    name, "whole " if integer else "",
                    "" if upper is None else " and <= %s" % upper))
            return value

        entry = {"remaining": number("count", 1, upper=10 ** 9)}
        if mode == "rate_limit":
            entry["retry_after"] = number("retry_after", None, upper=86400)
            default_reset = entry["retry_after"] if entry["retry_after"] is not None else 1
            entry["reset_in"] = number("reset_in", default_reset, upper=86400)
        elif mode == "slow":
            entry["seconds"] = number("seconds", 1.0, integer=False,
                                      upper=MAX_SLOW_SECONDS)
        with self.lock:
            if entry["remaining"] == 0:
                self.faults.pop(mode, None)
            else:
                self.faults[mode] = entry

    def take_faults(self, is_token):
        """Consumes the faults that apply to the request now arriving."""
        taken = {}
        with self.lock:
            if is_token:
                modes = ("token_fail",)
            else:
                modes = MODIFIER_FAULTS + tuple(
                    m for m in EXCLUSIVE_FAULTS if m in self.faults)[:1]
            for mode in modes:
                entry = self.faults.get(mode)
                if entry is None:
                    continue
                taken[mode] = dict(entry)
                entry["remaining"] -= 1
                if entry["remaining"] <= 0:
                    del self.faults[mode]
        return taken

    # -- segments ---------------------------------------------------------
    def amend(self, segment_key, operation, identifiers):
        if self.sink:
            return
        with self.lock:
            seg = self.segments.setdefault(segment_key, set())
            if operation == "add":
                seg.update(identifiers)
            else:
                seg.difference_update(identifiers)

    def wipe(self, segment_key):
        if self.sink:
            return
        with self.lock:
            self.segments[segment_key] = set()

    # -- admin views ------------------------------------------------------
    def snapshot_stats(self):
        with self.lock:
            return dict(self.stats)

    def snapshot_records(self):
        with self.lock:
            return [dict(r) for r in self.records]

    def snapshot_segments(self):
        with self.lock:
            return {k: len(v) for k, v in sorted(self.segments.items(),
                                                 key=lambda kv: int(kv[0]))}

    def snapshot_segment(self, segment_key):
        with self.lock:
            seg = self.segments.get(segment_key)
            return None if seg is None else sorted(seg)

    def snapshot_faults(self):
        with self.lock:
            return {k: dict(v) for k, v in self.faults.items()}


def make_token(client_id, lifetime):
    """A random string shaped like an RS256 JWT, 700..900 characters long.

    Random length on purpose: the device must not assume a fixed token size.
    It carries no secret; the server only looks it up in its table."""
    now = int(time.time())
    header = b64url(compact_json({"alg": "RS256", "kid": secrets.token_hex(8),
                                  "typ": "JWT"}))
    # sub is capped so an unusually long client id cannot push the token
    # past the documented size range.
    claims = {"iss": "https://fake-criteo.invalid/oauth2", "sub": client_id[:32],
              "aud": "https://api.criteo.com", "iat": now, "nbf": now,
              "exp": now + lifetime, "jti": secrets.token_hex(16), "pad": ""}
    signature = b64url(secrets.token_bytes(256))     # size of an RSA-2048 signature
    target = 700 + secrets.randbelow(201)
    base = len(header) + len(b64url(compact_json(claims))) + len(signature) + 2
    if target > base:
        # Every 3 JSON bytes become 4 base64url characters.
        claims["pad"] = secrets.token_hex(target - base)[: (target - base) * 3 // 4]
    payload = b64url(compact_json(claims))
    return "%s.%s.%s" % (header, payload, signature)


# --------------------------------------------------------------------------
# Request body validation

class Invalid(Exception):
    """A 400 validation failure; `field` names the offending member."""

    def __init__(self, field, message):
        super().__init__("%s: %s" % (field, message))
        self.field = field


def validate_amendment(doc):
    """Checks a ContactlistAmendmentRequest; returns its attributes object."""
    if not isinstance(doc, dict):
        raise Invalid("body", "must be a JSON object")
    data = doc.get("data")
    if data is None:
        raise Invalid("data", "is required")
    if not isinstance(data, dict):
        raise Invalid("data", "must be an object")
    if data.get("type") is None:
        raise Invalid("data.type", "is required")
    if data.get("type") != "ContactlistAmendment":
        raise Invalid("data.type", "must be \"ContactlistAmendment\"")
    attrs = data.get("attributes")
    if attrs is None:
        raise Invalid("data.attributes", "is required")
    if not isinstance(attrs, dict):
        raise Invalid("data.attributes", "must be an object")
    operation = attrs.get("operation")
    if operation is None:
        raise Invalid("data.attributes.operation", "is required")
    if operation not in OPERATIONS:
        raise Invalid("data.attributes.operation", "must be \"add\" or \"remove\"")
    itype = attrs.get("identifierType")
    if itype is None:
        raise Invalid("data.attributes.identifierType", "is required")
    if itype not in IDENTIFIER_TYPES:
        raise Invalid("data.attributes.identifierType",
                      "must be one of " + ", ".join(IDENTIFIER_TYPES))
    ids = attrs.get("identifiers")
    if ids is None:
        raise Invalid("data.attributes.identifiers", "is required")
    if not isinstance(ids, list):
        raise Invalid("data.attributes.identifiers", "must be an array of strings")
    if not ids:
        raise Invalid("data.attributes.identifiers", "must not be empty")
    if len(ids) > MAX_IDENTIFIERS:
        raise Invalid("data.attributes.identifiers", "must contain at most %d items (got %d)"
                      % (MAX_IDENTIFIERS, len(ids)))
    for i, ident in enumerate(ids):
        if not isinstance(ident, str):
            raise Invalid("data.attributes.identifiers[%d]" % i, "must be a string")
    gum = attrs.get("gumCallerId")   # null is treated like an absent member
    if itype == "gum":
        if gum is None:
            raise Invalid("data.attributes.gumCallerId",
                          "is required when identifierType is gum")
        if isinstance(gum, bool) or not isinstance(gum, int):
            raise Invalid("data.attributes.gumCallerId", "must be an integer")
    elif gum is not None:
        raise Invalid("data.attributes.gumCallerId",
                      "is only allowed when identifierType is gum")
    return attrs


def identifier_checker(itype):
    """Returns a predicate telling valid identifiers, or None if all are valid."""
    if itype == "email":
        # Plain e-mails are accepted (Criteo hashes them); hashes must be
        # lowercase SHA-256 hex.
        return lambda s: "@" in s or SHA256_HEX_RE.fullmatch(s) is not None
    if itype == "phoneNumber":
        return lambda s: SHA256_HEX_RE.fullmatch(s) is not None
    if itype == "madid":
        return lambda s: UUID_RE.fullmatch(s) is not None
    return None


def split_identifiers(itype, ids):
    check = identifier_checker(itype)
    if check is None:
        return ids, []
    valid, invalid = [], []
    for ident in ids:
        (valid if check(ident) else invalid).append(ident)
    return valid, invalid


def reject_constant(name):
    raise ValueError("%s is not valid JSON" % name)


def parse_json_body(body):
    """Parses a request body; raises Invalid("body", ...) on any failure."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Invalid("body", "is not valid UTF-8") from None
    try:
        return json.loads(text, parse_constant=reject_constant)
    except json.JSONDecodeError as e:
        raise Invalid("body", "is not valid JSON (%s at line %d column %d)"
                      % (e.msg, e.lineno, e.colno)) from None
    except (ValueError, RecursionError) as e:
        raise Invalid("body", "is not valid JSON (%s)" % e) from None


# --------------------------------------------------------------------------
# API server

class BodyError(Exception):
    """The request body could not be framed; the connection must close."""

    def __init__(self, status, code, detail):
        super().__init__(detail)
        self.status, self.code, self.detail = status, code, detail


class ClientGone(Exception):
    """The client closed or stalled before sending the whole request."""


class CountingReader:
    """Wraps the handler's rfile to count every byte received."""

    def __init__(self, raw, state):
        self._raw = raw
        self._state = state

    def read(self, n=-1):
        data = self._raw.read(n)
        self._state.add_bytes(len(data))
        return data

    def readline(self, limit=-1):
        line = self._raw.readline(limit)
        self._state.add_bytes(len(line))
        return line

    def __getattr__(self, name):
        return getattr(self._raw, name)


def problem(ptype, code, instance, title, detail):
    return {"type": ptype, "code": code, "instance": instance, "title": title,
            "detail": detail, "traceId": secrets.token_hex(16)}


class ApiHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-criteo/1.0"

    def version_string(self):
        return self.server_version

    def setup(self):
        self.timeout = self.server.idle_timeout     # idle keep-alive limit
        super().setup()
        self.rfile = CountingReader(self.rfile, self.server.state)
        self.conn_id = self.client_address[2]
        self.rec = None
        self.truncate = False

    def handle_one_request(self):
        # Per-request fields must not leak from the previous request on a
        # keep-alive connection.
        self.rec = None
        self.truncate = False
        super().handle_one_request()

    @property
    def state(self):
        return self.server.state

    # Every method goes through one dispatcher so that unknown paths and
    # methods are answered the same JSON way.
    def do_GET(self):
        self.dispatch()

    do_POST = do_PATCH = do_PUT = do_DELETE = do_OPTIONS = do_GET

    def log_message(self, fmt, *args):
        if self.state.verbose:
            sys.stderr.write("fake_criteo api conn %s: %s\n" % (
                getattr(self, "conn_id", "?"), fmt % args))

    def log_error(self, fmt, *args):
        sys.stderr.write("fake_criteo api: %s\n" % (fmt % args))

    # -- responses --------------------------------------------------------
    def send_json(self, status, payload, headers=(), truncate=False):
        body = compact_json(payload)
        limit, remaining, reset = self.state.rate_headers()
        headers = list(headers)
        names = {name.lower() for name, _ in headers}
        if "x-ratelimit-remaining" not in names:
            headers.append(("x-ratelimit-remaining", str(remaining)))
        if "x-ratelimit-reset" not in names:
            headers.append(("x-ratelimit-reset", str(reset)))
        if self.rec is not None:
            self.rec["status"] = status
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-ratelimit-limit", str(limit))
        for name, value in headers:
            self.send_header(name, value)
        if self.close_connection:
            # Also set when the client sent "Connection: close": say so back.
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command == "HEAD":
            return
        if truncate:
            # Fault: full Content-Length announced, half the body sent.
            self.wfile.write(body[: len(body) // 2])
            self.close_connection = True
        else:
            self.wfile.write(body)

    def send_problem(self, status, ptype, code, title, detail, headers=()):
        instance = self.rec["path"] if self.rec else getattr(self, "path", "")
        self.send_json(status, {"errors": [problem(ptype, code, instance, title, detail)]},
                       headers)

    def send_error(self, code, message=None, explain=None):
        """Protocol-level errors raised by BaseHTTPRequestHandler itself
        (bad request line, oversized headers, unsupported method)."""
        self.close_connection = True     # framing can no longer be trusted
        # A one-word request line leaves request_version at "HTTP/0.9", for
        # which the base class would omit the status line and headers.
        self.request_version = self.protocol_version
        if self.rec is None and getattr(self, "command", None):
            path = getattr(self, "path", "").split("?", 1)[0]
            self.rec = self.state.new_record(self.conn_id, self.command, path, False,
                                             None)
        title = message or http.server.BaseHTTPRequestHandler.responses.get(
            code, ("Error",))[0]
        self.send_problem(code, "validation", "bad-request" if code < 500 else "not-implemented",
                          title, explain or title)

    # -- request framing --------------------------------------------------
    def read_body(self):
        """Reads the whole request body (Content-Length or chunked)."""
        te = self.headers.get("Transfer-Encoding")
        lengths = self.headers.get_all("Content-Length") or []
        if te is not None:
            if lengths:
                raise BodyError(400, "invalid-request",
                                "both Transfer-Encoding and Content-Length given")
            if te.strip().lower() != "chunked":
                raise BodyError(501, "not-implemented",
                                "only Transfer-Encoding: chunked is supported")
            self.rec["chunked"] = True
            return self.read_chunked()
        if not lengths:
            return b""
        if len(set(v.strip() for v in lengths)) != 1 or \
                not lengths[0].strip().isdigit() or not lengths[0].strip().isascii():
            raise BodyError(400, "invalid-request", "invalid Content-Length header")
        n = int(lengths[0].strip())
        if n > MAX_BODY:
            raise BodyError(413, "payload-too-large",
                            "request body larger than %d bytes" % MAX_BODY)
        body = self.rfile.read(n)          # one call, even for 3.35 MB
        if len(body) != n:
            raise ClientGone()
        return body

    def read_chunked(self):
        parts, total = [], 0
        for _ in range(MAX_CHUNKS):
            line = self.rfile.readline(1024)
            if not line.endswith(b"\n"):
                if len(line) < 1024:
                    raise ClientGone()
                raise BodyError(400, "invalid-request", "chunk size line too long")
            size_text = line.split(b";", 1)[0].strip()
            if not CHUNK_SIZE_RE.fullmatch(size_text):
                raise BodyError(400, "invalid-request", "invalid chunk size line")
            size = int(size_text, 16)
            if size == 0:
                break
            total += size
            if total > MAX_BODY:
                raise BodyError(413, "payload-too-large",
                                "request body larger than %d bytes" % MAX_BODY)
            data = self.rfile.read(size)
            if len(data) != size:
                raise ClientGone()
            parts.append(data)
            end = self.rfile.readline(3)
            if end not in (b"\r\n", b"\n"):
                if not end:
                    raise ClientGone()
                raise BodyError(400, "invalid-request", "chunk not followed by CRLF")
        else:
            raise BodyError(400, "invalid-request", "too many chunks")
        for _ in range(MAX_TRAILER_LINES):          # skip trailer fields
            line = self.rfile.readline(8192)
            if line in (b"\r\n", b"\n"):
                return b"".join(parts)
            if not line:
                raise ClientGone()
        raise BodyError(400, "invalid-request", "too many trailer lines")

    # -- dispatch ---------------------------------------------------------
    def dispatch(self):
        path = self.path.split("?", 1)[0]
        is_token = path == "/oauth2/token" and self.command == "POST"
        self.rec = self.state.new_record(self.conn_id, self.command, path, is_token,
                                         self.headers.get("Content-Type"))
        try:
            try:
                body = self.read_body()
            except BodyError as e:
                self.close_connection = True
                self.send_problem(e.status, "validation", e.code, "Invalid request", e.detail)
                return
            except (ClientGone, TimeoutError, ConnectionError, ssl.SSLError):
                self.close_connection = True     # nothing to answer; status stays null
                return
            self.rec["content_length"] = len(body)
            if is_token:
                self.handle_token(body)
            else:
                self.handle_api(path, body)
        except (ConnectionError, TimeoutError, ssl.SSLError):
            self.close_connection = True
        except Exception:                           # a bug here must not kill the server
            traceback.print_exc()
            self.close_connection = True
            try:
                self.send_problem(500, "availability", "internal-error",
                                  "Internal error", "fake server bug, see its stderr")
            except Exception:
                pass

    # -- token endpoint ---------------------------------------------------
    def oauth_error(self, status, error, description):
        self.send_json(status, {"error": error, "error_description": description},
                       [("Cache-Control", "no-store"), ("Pragma", "no-cache")])

    def handle_token(self, body):
        faults = self.state.take_faults(is_token=True)
        if "token_fail" in faults:
            self.rec["fault"] = ["token_fail"]
            self.send_problem(503, "availability", "service-unavailable",
                              "Service unavailable", "injected token_fail fault")
            return
        ctype = (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
        if ctype != "application/x-www-form-urlencoded":
            self.oauth_error(400, "invalid_request",
                             "Content-Type must be application/x-www-form-urlencoded")
            return
        try:
            form = urllib.parse.parse_qs(body.decode("utf-8"), keep_blank_values=True,
                                         max_num_fields=32)
        except (UnicodeDecodeError, ValueError):
            self.oauth_error(400, "invalid_request", "malformed form body")
            return
        for name, values in form.items():
            if len(values) > 1:
                self.oauth_error(400, "invalid_request", "parameter %s repeated" % name)
                return
        for name in ("grant_type", "client_id", "client_secret"):
            if name not in form:
                self.oauth_error(400, "invalid_request", "missing parameter " + name)
                return
        # compare_digest wants equal types; encode so non-ASCII input is fine.
        id_ok = hmac.compare_digest(form["client_id"][0].encode("utf-8"),
                                    self.state.client_id.encode("utf-8"))
        secret_ok = hmac.compare_digest(form["client_secret"][0].encode("utf-8"),
                                        self.state.client_secret.encode("utf-8"))
        if not (id_ok and secret_ok):
            self.oauth_error(401, "invalid_client", "client authentication failed")
            return
        if form["grant_type"][0] != "client_credentials":
            self.oauth_error(400, "unsupported_grant_type",
                             "only client_credentials is supported")
            return
        token = self.state.issue_token()
        self.send_json(200, {"access_token": token, "token_type": "Bearer",
                             "expires_in": self.state.token_lifetime,
                             "refresh_token": None},
                       [("Cache-Control", "no-store"), ("Pragma", "no-cache")])

    # -- API endpoints ----------------------------------------------------
    def handle_api(self, path, body):
        rec = self.rec
        rec["authorization"] = self.state.classify_token(self.headers.get("Authorization"))
        # Parse once (a 3.35 MB body costs tens of milliseconds); a parse
        # error is only reported if the request gets as far as validation.
        doc, parse_error = None, None
        try:
            doc = parse_json_body(body) if body else None
        except Invalid as e:
            parse_error = e
        if not body:
            parse_error = Invalid("body", "is empty")
        self.note_amendment(doc)

        faults = self.state.take_faults(is_token=False)
        if faults:
            rec["fault"] = sorted(faults)
        if "slow" in faults:
            time.sleep(faults["slow"]["seconds"])
        if "connection_close" in faults:
            self.close_connection = True
        if "close_before_response" in faults:
            self.close_connection = True     # request read in full, no answer
            return
        if "rate_limit" in faults:
            f = faults["rate_limit"]
            headers = [("x-ratelimit-remaining", "0"),
                       ("x-ratelimit-reset", str(int(time.time()) + f["reset_in"]))]
            if f["retry_after"] is not None:
                headers.append(("Retry-After", str(f["retry_after"])))
            self.send_problem(429, "quota", "rate-limited", "Too many requests",
                              "rate limit exceeded (injected fault)", headers)
            return
        if "unavailable" in faults:
            self.send_problem(503, "availability", "service-unavailable",
                              "Service unavailable", "injected unavailable fault")
            return
        if "server_error" in faults:
            self.send_problem(500, "availability", "internal-error",
                              "Internal server error", "injected server_error fault")
            return
        # close_mid_response: the request is processed normally (so its
        # identifiers ARE stored) and only the answer is cut short, as when a
        # connection dies after the server committed the change.
        self.truncate = "close_mid_response" in faults
        self.route(path, doc, parse_error)

    def note_amendment(self, doc):
        """Best-effort copy of the amendment's fields into the request log,
        even when the body later turns out to be invalid."""
        data = doc.get("data") if isinstance(doc, dict) else None
        attrs = data.get("attributes") if isinstance(data, dict) else None
        if not isinstance(attrs, dict):
            return
        for key, name in (("identifier_type", "identifierType"), ("operation", "operation")):
            if isinstance(attrs.get(name), str):
                self.rec[key] = attrs[name]
        if isinstance(attrs.get("identifiers"), list):
            self.rec["identifiers"] = len(attrs["identifiers"])
        gum = attrs.get("gumCallerId")
        if isinstance(gum, int) and not isinstance(gum, bool):
            self.rec["gum_caller_id"] = gum

    def send_result(self, status, payload):
        self.send_json(status, payload, truncate=self.truncate)

    def route(self, path, doc, parse_error):
        m = CONTACT_LIST_RE.fullmatch(path)
        if m is None:
            self.send_problem(404, "validation", "not-found", "Not found",
                              "no such endpoint: %s %s" % (self.command, path))
            return
        version, segment_id = m.group(1), m.group(2)
        if not VERSION_RE.fullmatch(version):
            self.send_problem(404, "validation", "not-found", "Not found",
                              "unknown API version %r" % version)
            return
        if not SEGMENT_ID_RE.fullmatch(segment_id):
            self.send_problem(404, "validation", "not-found", "Not found",
                              "audience-segment-id must be 1 to 20 digits")
            return
        if self.command not in ("PATCH", "DELETE"):
            self.send_problem(405, "validation", "method-not-allowed",
                              "Method not allowed", "use PATCH or DELETE on this path",
                              [("Allow", "PATCH, DELETE")])
            return
        if not self.check_authorization():
            return
        if self.command == "DELETE":
            self.state.wipe(str(int(segment_id)))
            self.rec["operation"] = "wipe"
            self.send_result(200, {"data": {"id": segment_id, "type": "AudienceContactlist"},
                                   "errors": [], "warnings": []})
            return
        self.handle_amendment(segment_id, doc, parse_error)

    def check_authorization(self):
        verdict = self.rec["authorization"]
        if verdict == "bearer-valid":
            return True
        code, title = {
            "missing": ("authorization-token-missing", "The authorization header is missing"),
            "bearer-invalid": ("authorization-token-invalid",
                               "The authorization header is invalid"),
            "bearer-expired": ("authorization-token-expired",
                               "The authorization token has expired"),
        }[verdict]
        self.send_problem(401, "authorization", code, title, title)
        return False

    def handle_amendment(self, segment_id, doc, parse_error):
        ctype = self.headers.get("Content-Type") or ""
        if not ctype.strip().lower().startswith("application/json"):
            self.send_problem(400, "validation", "invalid-content-type",
                              "Invalid content type",
                              "Content-Type must be application/json (got %r)" % ctype)
            return
        try:
            if parse_error is not None:
                raise parse_error
            attrs = validate_amendment(doc)
        except Invalid as e:
            self.send_problem(400, "validation", "invalid-body", "Invalid request body",
                              str(e))
            return
        operation, itype = attrs["operation"], attrs["identifierType"]
        valid, invalid = split_identifiers(itype, attrs["identifiers"])
        self.state.amend(str(int(segment_id)), operation, valid)
        self.send_result(200, {
            "data": {"type": "ContactlistAmendment", "attributes": {
                "contactListId": int(segment_id), "operation": operation,
                "requestDate": utc_now_iso(), "identifierType": itype,
                "nbValidIdentifiers": len(valid), "nbInvalidIdentifiers": len(invalid),
                "sampleInvalidIdentifiers": invalid[:MAX_SAMPLE_INVALID]}},
            "errors": [], "warnings": []})


class QuietThreadingServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def server_bind(self):
        # HTTPServer.server_bind calls getfqdn(), a DNS lookup that can stall
        # for seconds in a sandbox; the name is never used here.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "localhost", self.server_address[1]

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, TimeoutError, ssl.SSLError)):
            return                                  # clients going away is normal here
        super().handle_error(request, client_address)


class ApiServer(QuietThreadingServer):
    def __init__(self, address, state, ssl_ctx, idle_timeout):
        self.state = state
        self.ssl_ctx = ssl_ctx
        if ssl_ctx is not None:
            # Record the SNI of every handshake: a client must always send it.
            ssl_ctx.sni_callback = lambda _sock, name, _ctx: state.server_name(name)
        self.idle_timeout = idle_timeout
        super().__init__(address, ApiHandler)

    def get_request(self):
        sock, addr = self.socket.accept()
        # Count and number the connection as soon as it is accepted; the id
        # travels to the handler as a third element of client_address.
        return sock, (addr[0], addr[1], self.state.new_connection())

    def finish_request(self, request, client_address):
        # Runs in the connection's own thread, so a slow or failing TLS
        # handshake never blocks the accept loop.
        if self.ssl_ctx is None:
            self.RequestHandlerClass(request, client_address, self)
            return
        request.settimeout(HANDSHAKE_TIMEOUT)
        try:
            tls = self.ssl_ctx.wrap_socket(request, server_side=True,
                                           do_handshake_on_connect=False)
        except (OSError, ssl.SSLError):
            self.state.handshake_failed()
            return
        try:
            try:
                tls.do_handshake()
            except (OSError, ssl.SSLError) as e:
                self.state.handshake_failed()
                if self.state.verbose:
                    sys.stderr.write("fake_criteo: TLS handshake failed: %s\n" % e)
                return
            self.state.handshake_done(tls.session_reused)
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            # wrap_socket detached `request`, so the base class's own
            # shutdown_request() cannot close this socket: do it here.
            try:
                tls.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            tls.close()


# --------------------------------------------------------------------------
# Admin server

class AdminHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-criteo-admin/1.0"
    timeout = 60

    @property
    def state(self):
        return self.server.state

    def log_message(self, fmt, *args):
        if self.state.verbose:
            sys.stderr.write("fake_criteo admin: %s\n" % (fmt % args))

    def send_json(self, status, payload):
        body = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_error(self, code, message=None, explain=None):
        self.close_connection = True
        self.send_json(code, {"error": message or "error"})

    def read_json(self):
        length = self.headers.get("Content-Length", "0").strip()
        if not length.isdigit() or int(length) > 1024 * 1024:
            self.close_connection = True
            raise ValueError("bad Content-Length")
        raw = self.rfile.read(int(length))
        if not raw.strip():
            return {}
        return json.loads(raw.decode("utf-8"))

    def do_GET(self):
        path = self.path.split("?", 1)[0].rstrip("/")
        if path == "/_admin/stats":
            self.send_json(200, self.state.snapshot_stats())
        elif path == "/_admin/requests":
            self.send_json(200, self.state.snapshot_records())
        elif path == "/_admin/server_names":
            with self.state.lock:
                names = list(self.state.server_names)
            self.send_json(200, {"server_names": names})
        elif path == "/_admin/segments":
            self.send_json(200, self.state.snapshot_segments())
        elif path == "/_admin/faults":
            self.send_json(200, self.state.snapshot_faults())
        elif path.startswith("/_admin/segments/"):
            segment_id = path[len("/_admin/segments/"):]
            if not SEGMENT_ID_RE.fullmatch(segment_id):
                self.send_json(400, {"error": "segment id must be 1 to 20 digits"})
                return
            ids = self.state.snapshot_segment(str(int(segment_id)))
            self.send_json(200, {"identifiers": ids or []})
        else:
            self.send_json(404, {"error": "unknown admin path " + path})

    def do_POST(self):
        path = self.path.split("?", 1)[0].rstrip("/")
        try:
            body = self.read_json()
        except (ValueError, RecursionError) as e:
            self.send_json(400, {"error": "bad JSON body: %s" % e})
            return
        if path == "/_admin/fault":
            try:
                self.state.set_fault(body)
            except ValueError as e:
                self.send_json(400, {"error": str(e)})
                return
            self.send_json(200, {"ok": True, "faults": self.state.snapshot_faults()})
        elif path == "/_admin/reset":
            self.state.reset()
            self.send_json(200, {"ok": True})
        elif path == "/_admin/shutdown":
            self.close_connection = True
            self.send_json(200, {"ok": True})
            self.wfile.flush()
            self.state.stop_event.set()    # main thread stops the servers
        else:
            self.send_json(404, {"error": "unknown admin path " + path})


class AdminServer(QuietThreadingServer):
    def __init__(self, address, state):
        self.state = state
        super().__init__(address, AdminHandler)


# --------------------------------------------------------------------------
# Main

def parse_args(argv):
    p = argparse.ArgumentParser(description="Stateful fake of Criteo's Audience Segments API.")
    p.add_argument("--dir", required=True, help="where certificates and port files go")
    p.add_argument("--port", type=int, default=0, help="API port (0: any free port)")
    p.add_argument("--admin-port", type=int, default=0, help="admin port (0: any free port)")
    p.add_argument("--plain", action="store_true", help="serve the API over plain HTTP")
    p.add_argument("--client-id", default="demo-client")
    p.add_argument("--client-secret", default="demo-secret")
    p.add_argument("--token-lifetime", type=int, default=900, help="seconds")
    p.add_argument("--sink", action="store_true",
                   help="count identifiers but do not store them (benchmarks)")
    p.add_argument("--idle-timeout", type=float, default=120.0,
                   help="close keep-alive connections idle this many seconds")
    p.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = p.parse_args(argv)
    if args.token_lifetime < 0:
        p.error("--token-lifetime must be >= 0")
    return args


def main(argv=None):
    args = parse_args(argv)
    d = os.path.abspath(args.dir)
    os.makedirs(d, exist_ok=True)
    # Stale files from an earlier run would make a poller think we are up.
    for name in ("port", "admin_port", "pid"):
        remove_quietly(os.path.join(d, name))
    try:
        make_certificates(d)
        ssl_ctx = None if args.plain else make_server_ssl_context(d)
    except (OSError, RuntimeError, ssl.SSLError, subprocess.SubprocessError) as e:
        sys.stderr.write("fake_criteo: cannot make certificates: %s\n" % e)
        return 2

    state = State(args)
    api = ApiServer(("127.0.0.1", args.port), state, ssl_ctx, args.idle_timeout)
    admin = AdminServer(("127.0.0.1", args.admin_port), state)
    threads = [threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.1},
                                name=name, daemon=True)
               for srv, name in ((api, "api"), (admin, "admin"))]
    for t in threads:
        t.start()

    def on_signal(signum, frame):
        state.stop_event.set()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    write_atomic(os.path.join(d, "pid"), "%d\n" % os.getpid())
    write_atomic(os.path.join(d, "port"), "%d\n" % api.server_address[1])
    write_atomic(os.path.join(d, "admin_port"), "%d\n" % admin.server_address[1])
    sys.stderr.write("fake_criteo: %s API on 127.0.0.1:%d, admin on 127.0.0.1:%d\n" % (
        "HTTP" if args.plain else "HTTPS", api.server_address[1], admin.server_address[1]))
    sys.stderr.flush()

    # A timed wait keeps the main thread responsive to signals.
    while not state.stop_event.wait(0.2):
        pass

    for srv in (api, admin):
        srv.shutdown()
        srv.server_close()
    for name in ("port", "admin_port", "pid"):
        remove_quietly(os.path.join(d, name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
