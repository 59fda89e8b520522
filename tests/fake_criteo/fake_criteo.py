#!/usr/bin/env python3
"""fake_criteo.py - a stateful HTTPS fake of Criteo's Audience Segments API.

Used by crto's integration tests and benchmarks.  Python 3 standard library
only; certificates are made at start-up with the `openssl` command-line tool.

What it serves (facts from shared/criteo-api/REFERENCE.md sections 2-7 and
the OpenAPI files; `/{v}` is any version such as 2026-07 or experimental):

  POST  /oauth2/token                                     client credentials
  Marketing Solutions, /{v}/marketing-solutions/...
    PATCH  audience-segments/{id}/contact-list            add/remove (any id)
    DELETE audience-segments/{id}/contact-list            wipe
    GET    audience-segments/{id}/contact-list/statistics
    POST   audience-segments/create | delete | search | compute-sizes | estimate-size
    PATCH  audience-segments
    GET    audience-segments/in-market-brands | in-market-interests
    POST   audiences/create | delete | search | compute-sizes | estimate-size
    PATCH  audiences
  Retail Media, /{v}/retail-media/...
    POST   accounts/{account}/audience-segments/create | delete | search
    PATCH  accounts/{account}/audience-segments
    GET    accounts/{account}/audience-segments/{id}/contact-list   statistics
    POST   accounts/{account}/audiences/search
    POST   audience-segments/{id}/contact-list/add-remove | clear

Every API request needs a valid bearer token, goes through fault injection
and lands in the request log (with the spec's operationId).  Bulk writes
answer 200 with per-item problems ("@data/N"): Marketing Solutions puts
unknown ids in warnings and the rest in errors; Retail Media, as its stable
guide says, puts failed items in warnings (only the in-use delete rule goes
to errors, as in the guide's example).  A malformed body gets a 400 whose
detail starts with the offending field ("data[0].attributes.name: ...").

Entity ids are strings of digits: Marketing Solutions segments from 1001,
audiences from 500001; Retail Media ids are int64 values above 2^53
(segments from 920472839472539402), as Criteo's are.

A plain-HTTP admin port (never counted in any statistics) gives: stats,
request log, contact-list contents, fault injection, reset, shutdown, and:

  GET  /_admin/ciphers         {"ciphers": [[protocol, cipher], ...]} per TLS handshake
  stats also hold server_cpu_seconds (CPU of the request threads) and
  server_answer_seconds (from a body's last byte to its answer sent), so
  make bench can show the server is not what it measures

  GET  /_admin/entities        {"ms_segments": {id: {id, type, ...attributes,
                               "identifiers": n}}, "ms_audiences", "rm_segments",
                               "rm_audiences"}
  POST /_admin/seed_segments   {"product": "ms", "advertiserId": "7001", "count": 1234,
                               "prefix": "seg"} or {"product": "rm", "accountId": "300",
                               "retailerId": "12", "count": N[, "identifierType": "Email"]}
                               -> {"ok": true, "ids": [...]}; contact-list segments
                               named PREFIX-00001, PREFIX-00002, ...
  POST /_admin/rm_audiences    {"accountId", "retailerId", "name", "algebra"
                               [, "description"]} (or a list of them) -> {"ok": true,
                               "ids": [...], "data": [resources as search returns them]};
                               the stable API cannot create Retail Media audiences
  POST /_admin/fault           also takes two switches, consumed only by their endpoint:
                               {"mode": "rm_wrapped_counts", "count": N}: the next N RM
                               add-remove answers use the RM guide's shape
                               {"data": {"type", "attributes": {counts}}} instead of the
                               spec's counts directly under "data";
                               {"mode": "clear_201", "count": N}: the next N RM clears
                               answer 201 with an empty body instead of the spec's 204

Usage:
  python3 fake_criteo.py --dir DIR [--port 0] [--admin-port 0] [--plain]
      [--client-id demo-client] [--client-secret demo-secret]
      [--token-lifetime 900] [--sink] [--idle-timeout 120] [--verbose]
      [--record-bodies BODY_DIR]

The server writes into DIR: ca.pem, ca.key, server.pem, server.key,
wrong_ca.pem, wronghost.pem, wronghost.key, pid, then `port` and
`admin_port` (atomically, only once the sockets listen).  It removes pid,
port and admin_port again on a clean exit.  With --record-bodies it writes
every request body received on an API operation to BODY_DIR as
NNNNNN-<operationId>.json, for tests/conformance/validate.py.
"""

import argparse
import base64
import datetime
import hashlib
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
               "connection_close", "token_fail", "rm_wrapped_counts", "clear_201")
# Switches: armed like faults, consumed only by the one endpoint they change
# (RM add-remove answers the guide's wrapped shape; RM clear answers 201).
SWITCH_MODES = ("rm_wrapped_counts", "clear_201")
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
        self.record_dir = getattr(args, "record_bodies", None)
        self.next_body = 1        # never reset either: recorded files never clash
        self.reset()

    def reset(self):
        with self.lock:
            self.stats = {"connections": 0, "tls_handshakes": 0,
                          "resumed_sessions": 0, "tls_handshake_failures": 0,
                          "requests": 0, "token_requests": 0,
                          "api_requests": 0, "bytes_received": 0,
                          # What the server itself spent (for make bench):
                          # CPU of the request threads, and the wall time
                          # from a body's last byte to the answer sent.
                          "server_cpu_seconds": 0.0, "server_answer_seconds": 0.0}
            self.server_names = []  # SNI per handshake, None when absent
            self.ciphers = []       # (protocol, cipher) per handshake
            self.records = []
            self.segments = {}    # normalised segment id -> set of identifiers
            self.faults = {}      # mode -> {"remaining": n, ...parameters}
            self.rate_window = None
            self.rate_count = 0
            self.entities = Entities(self)   # segments and audiences, both products

    # -- connections ------------------------------------------------------
    def new_connection(self):
        with self.lock:
            conn_id = self.next_conn_id
            self.next_conn_id += 1
            self.stats["connections"] += 1
            return conn_id

    def handshake_done(self, resumed, cipher=None):
        with self.lock:
            self.stats["tls_handshakes"] += 1
            if resumed:
                self.stats["resumed_sessions"] += 1
            if cipher is not None and len(self.ciphers) < 1000:
                self.ciphers.append([cipher[1], cipher[0]])

    def add_server_time(self, cpu, answer):
        with self.lock:
            self.stats["server_cpu_seconds"] += cpu
            self.stats["server_answer_seconds"] += answer

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
        rec = {"conn": conn_id, "method": method, "path": path, "query": None,
               "operation_id": None, "body_file": None, "status": None,
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

    def take_switch(self, mode):
        """Consumes one use of a switch (SWITCH_MODES); True if it was armed."""
        with self.lock:
            entry = self.faults.get(mode)
            if entry is None:
                return False
            entry["remaining"] -= 1
            if entry["remaining"] <= 0:
                del self.faults[mode]
            return True

    # -- request bodies -----------------------------------------------------
    def record_body(self, operation_id, body):
        """Writes one request body to --record-bodies DIR; returns its name."""
        if self.record_dir is None or not body:
            return None
        with self.lock:
            n = self.next_body
            self.next_body += 1
        name = "%06d-%s.json" % (n, operation_id)
        with open(os.path.join(self.record_dir, name), "wb") as f:
            f.write(body)
        return name

    # -- segments ---------------------------------------------------------
    def amend(self, segment_key, operation, identifiers):
        if self.sink:
            with self.lock:
                # Known from now on (statistics, wipe), but nothing stored.
                self.segments.setdefault(segment_key, set())
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


# --sink's fast path: a Marketing Solutions amendment in the compact form
# crto and most encoders write, whose identifiers are all lowercase SHA-256
# hex, is checked and counted with a few byte scans instead of being parsed
# (json.loads and a per-identifier check cost ~60 ms per 50,000, as much as
# the client under test). Anything else takes the full path.
_SINK_HEAD_RE = re.compile(rb'\{"data":\{"type":"ContactlistAmendment","attributes":\{'
                           rb'"operation":"(add|remove)","identifierType":"(email|phoneNumber)",'
                           rb'"identifiers":\[')
_SINK_TAIL = b']}}}'
_HEX_ITEM_CHARS = b'0123456789abcdef",'


def sink_scan(body):
    """The amendment document for body when the fast path applies, else None.
    Its identifiers list holds the right count, all already known valid."""
    m = _SINK_HEAD_RE.match(body)
    if m is None or not body.endswith(_SINK_TAIL):
        return None
    items = body[m.end():-len(_SINK_TAIL)]
    if len(items) < 66 or (len(items) + 1) % 67 or items.translate(None, _HEX_ITEM_CHARS):
        return None
    n = (len(items) + 1) // 67
    # Every 67th byte from 0 and 65 is a quote, from 66 a comma, and there
    # are no others: n strings of exactly 64 hex digits.
    if n > MAX_IDENTIFIERS or items[0::67] != b'"' * n or items[65::67] != b'"' * n \
            or items[66::67] != b',' * (n - 1) or items.count(b'"') != 2 * n \
            or items.count(b',') != n - 1:
        return None
    sample = items[1:65].decode("ascii")
    return {"data": {"type": "ContactlistAmendment", "attributes": {
        "operation": m.group(1).decode(), "identifierType": m.group(2).decode(),
        "identifiers": [sample] * n}}, "_sink_checked": True}


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
# Audience API: segments and audiences of both products (REFERENCE.md 5, 6)

# Spec operations served, with the operationId each has in Criteo's OpenAPI
# files (2025-01 ... 2027-01 alike).  Each route: method, path pattern
# (version, account and segment ids captured loosely so that a bad one gets
# a precise 404), operationId, handler name, whether it takes a JSON body.
_MS = r"/(?P<v>[^/]*)/marketing-solutions"
_RM = r"/(?P<v>[^/]*)/retail-media"
_RM_ACC = _RM + r"/accounts/(?P<acc>[^/]*)"
_SEG = r"(?P<seg>[^/]*)"
ROUTES = [(method, re.compile(pattern), op_id, handler, body) for
          method, pattern, op_id, handler, body in (
    ("PATCH", _MS + "/audience-segments/" + _SEG + "/contact-list",
     "UpdateContactListByAudienceSegment", "ms_contact_list_amend", False),
    ("DELETE", _MS + "/audience-segments/" + _SEG + "/contact-list",
     "DeleteContactListByAudienceSegment", "ms_contact_list_wipe", False),
    ("GET", _MS + "/audience-segments/" + _SEG + "/contact-list/statistics",
     "GetAudienceSegmentContactListStatistics", "ms_contact_list_stats", False),
    ("POST", _MS + "/audience-segments/create", "CreateAudienceSegments",
     "ms_segments_create", True),
    ("PATCH", _MS + "/audience-segments", "UpdateAudienceSegments", "ms_segments_update", True),
    ("POST", _MS + "/audience-segments/delete", "DeleteAudienceSegments",
     "ms_segments_delete", True),
    ("POST", _MS + "/audience-segments/search", "SearchAudienceSegments",
     "ms_segments_search", True),
    ("POST", _MS + "/audience-segments/compute-sizes", "ComputeAudienceSegmentsSizes",
     "ms_segments_sizes", True),
    ("POST", _MS + "/audience-segments/estimate-size", "EstimateAudienceSegmentsSizes",
     "ms_segments_estimate", True),
    ("GET", _MS + "/audience-segments/in-market-brands", "GetAudienceSegmentsInMarketBrands",
     "ms_in_market_brands", False),
    ("GET", _MS + "/audience-segments/in-market-interests",
     "GetAudienceSegmentsInMarketInterests", "ms_in_market_interests", False),
    ("POST", _MS + "/audiences/create", "CreateAudiences", "ms_audiences_create", True),
    ("PATCH", _MS + "/audiences", "UpdateAudiences", "ms_audiences_update", True),
    ("POST", _MS + "/audiences/delete", "DeleteAudiences", "ms_audiences_delete", True),
    ("POST", _MS + "/audiences/search", "SearchAudiences", "ms_audiences_search", True),
    ("POST", _MS + "/audiences/compute-sizes", "ComputeAudiencesSizes", "ms_audiences_sizes", True),
    ("POST", _MS + "/audiences/estimate-size", "EstimateAudiencesSizes",
     "ms_audiences_estimate", True),
    ("POST", _RM_ACC + "/audience-segments/create", "bulkCreateAudienceSegments",
     "rm_segments_create", True),
    ("PATCH", _RM_ACC + "/audience-segments", "bulkUpdateAudienceSegments",
     "rm_segments_update", True),
    ("POST", _RM_ACC + "/audience-segments/delete", "bulkDeleteAudienceSegments",
     "rm_segments_delete", True),
    ("POST", _RM_ACC + "/audience-segments/search", "searchAudienceSegments",
     "rm_segments_search", True),
    ("GET", _RM_ACC + "/audience-segments/" + _SEG + "/contact-list",
     "getAudienceSegmentContactListStatistics", "rm_contact_list_stats", False),
    ("POST", _RM_ACC + "/audiences/search", "searchAudiences", "rm_audiences_search", True),
    ("POST", _RM + "/audience-segments/" + _SEG + "/contact-list/add-remove",
     "AddRemoveContactListByAudienceSegment", "rm_contact_list_amend", True),
    ("POST", _RM + "/audience-segments/" + _SEG + "/contact-list/clear",
     "ClearContactListByAudienceSegment", "rm_contact_list_clear", False),
)]

ID_RE = re.compile(r"[0-9]{1,20}", re.ASCII)
COUNTRY_RE = re.compile(r"[A-Za-z]{2}", re.ASCII)
INT32 = (-2 ** 31, 2 ** 31 - 1)
INT64 = (-2 ** 63, 2 ** 63 - 1)
MS_SEARCH_MAX, RM_SEARCH_MAX, SEARCH_DEFAULT = 100, 500, 50
MAX_ALGEBRA_DEPTH = 32
MAX_SEED = 100000                # segments per /_admin/seed_segments call

# First ids handed out.  Retail Media ids are int64 values above 2^53 (as
# Criteo's are): a client that reads them as doubles loses their last digits.
MS_SEGMENT_FIRST_ID = 1001
MS_AUDIENCE_FIRST_ID = 500001
RM_SEGMENT_FIRST_ID = 920472839472539402
RM_AUDIENCE_FIRST_ID = 920472839473000001

MS_SEGMENT_TYPES = ("Unknown", "InMarket", "Prospecting", "ContactList", "Location",
                    "Behavioral", "Retargeting", "Lookalike")
RM_SEGMENT_TYPES = ("Unknown", "ContactList", "Events")
# Targeting member of a create item -> the segment type it makes.
MS_TARGETING = (("contactList", "ContactList"), ("inMarket", "InMarket"),
                ("location", "Location"), ("lookalike", "Lookalike"),
                ("prospecting", "Prospecting"), ("retargeting", "Retargeting"))
MS_READ_TARGETING = ("behavioral", "contactList", "inMarket", "location", "lookalike",
                     "prospecting", "retargeting")
BUYING_POWER = ("Low", "Medium", "High", "VeryHigh")
PRICE_RANGE = ("Low", "Medium", "High")
GENDERS = ("Male", "Female")
USERS_TYPES = ("Prospects", "ProspectsOrNonBuyers")
VISITORS_TYPES = ("All", "Buyers", "NonBuyers")
REGISTRY_TYPES = ("PointOfInterest",)
# RM identifier types: segments are created with one of these; add-remove
# also takes Gum (PascalCase, unlike MS).
RM_SEGMENT_IDENTIFIER_TYPES = ("Email", "UserIdentifier", "IdentityLink", "CustomerId",
                               "PhoneNumber")
RM_IDENTIFIER_TYPES = RM_SEGMENT_IDENTIFIER_TYPES[:4] + ("Gum", "PhoneNumber")
RM_TO_MS_IDENTIFIER_TYPE = {"Email": "email", "PhoneNumber": "phoneNumber"}

IN_MARKET_BRANDS = (("1001", "Acme"), ("1002", "Globex"), ("1003", "Initech"),
                    ("1004", "Umbrella"), ("1005", "Stark Industries"))
# Google product taxonomy style: a tree given by parentId.
IN_MARKET_INTERESTS = (("1", None), ("166", "1"), ("178", "166"), ("8", None),
                       ("499676", "8"))


def kind_of(value):
    """The JSON type name of a parsed value, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def need_object(value, field, required=True):
    """An object, or None when absent/null and not required."""
    if value is None:
        if required:
            raise Invalid(field, "is required")
        return None
    if not isinstance(value, dict):
        raise Invalid(field, "must be an object (got %s)" % kind_of(value))
    return value


def get_string(obj, key, field, required=False, enum=None):
    value = obj.get(key)
    if value is None:
        if required:
            raise Invalid(field, "is required")
        return None
    if not isinstance(value, str):
        raise Invalid(field, "must be a string (got %s)" % kind_of(value))
    if enum is not None and value not in enum:
        raise Invalid(field, "must be one of %s (got %r)" % (", ".join(enum), value))
    return value


def get_int(obj, key, field, required=False, bounds=INT32, minimum=None):
    value = obj.get(key)
    if value is None:
        if required:
            raise Invalid(field, "is required")
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(field, "must be an integer (got %s)" % kind_of(value))
    lo = bounds[0] if minimum is None else minimum
    if not lo <= value <= bounds[1]:
        raise Invalid(field, "must be between %d and %d" % (lo, bounds[1]))
    return value


def get_number(obj, key, field, required=False):
    value = obj.get(key)
    if value is None:
        if required:
            raise Invalid(field, "is required")
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Invalid(field, "must be a number (got %s)" % kind_of(value))
    return value


def get_strings(obj, key, field, enum=None, required=False):
    """An array of strings (each from enum if given); None when absent."""
    value = obj.get(key)
    if value is None:
        if required:
            raise Invalid(field, "is required")
        return None
    if not isinstance(value, list):
        raise Invalid(field, "must be an array of strings (got %s)" % kind_of(value))
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise Invalid("%s[%d]" % (field, i), "must be a string (got %s)" % kind_of(item))
        if enum is not None and item not in enum:
            raise Invalid("%s[%d]" % (field, i),
                          "must be one of %s (got %r)" % (", ".join(enum), item))
    return list(value)


KEEP = object()     # a Nillable* member that was absent: leave the field alone


def get_nillable(obj, key, field, check):
    """NillableString/Int32/GenderV1: {"value": x} sets, {"value": null}
    clears, absent keeps (KEEP).  check(wrapper, field) validates the value."""
    value = obj.get(key)
    if value is None:
        return KEEP
    if not isinstance(value, dict):
        raise Invalid(field, "must be an object {\"value\": ...} (got %s)" % kind_of(value))
    if "value" not in value:
        raise Invalid(field + ".value", "is required (null clears the field)")
    return check(value, field + ".value")


def get_data(doc, shape):
    """The request's data member: "list" (bulk writes) or "object"."""
    if not isinstance(doc, dict):
        raise Invalid("body", "must be a JSON object (got %s)" % kind_of(doc))
    data = doc.get("data")
    if data is None:
        raise Invalid("data", "is required")
    if shape == "object":
        return need_object(data, "data")
    if not isinstance(data, list):
        raise Invalid("data", "must be an array (got %s)" % kind_of(data))
    if not data:
        raise Invalid("data", "must contain at least one item")
    return data


def get_resource(item, field, with_id):
    """One {id?, type, attributes} resource; returns (id, attributes)."""
    need_object(item, field)
    get_string(item, "type", field + ".type")
    rid = get_string(item, "id", field + ".id", required=True) if with_id else None
    attrs = item.get("attributes")
    if attrs is None:
        attrs = {}
    need_object(attrs, field + ".attributes")
    return rid, attrs


def get_filters(doc, names, enums=None):
    """A search body {data: {type, attributes: {filter: [str]}}}; returns
    {name: list} for the filters given (an empty list means no filter)."""
    data = get_data(doc, "object")
    get_string(data, "type", "data.type")
    attrs = need_object(data.get("attributes"), "data.attributes", required=False) or {}
    filters = {}
    for name in names:
        values = get_strings(attrs, name, "data.attributes." + name,
                             enum=(enums or {}).get(name))
        if values:
            filters[name] = set(values)
    return filters


# -- targeting objects (MS) ---------------------------------------------------

def parse_in_market(obj, field, update=False):
    need_object(obj, field)
    out = {}
    country = get_string(obj, "country", field + ".country", required=not update)
    if country is not None:
        if not COUNTRY_RE.fullmatch(country):
            raise Invalid(field + ".country", "must be an ISO 3166-1 alpha-2 code (got %r)"
                          % country)
        out["country"] = country.upper()
    for key, enum in (("brandIds", None), ("interestIds", None),
                      ("buyingPower", BUYING_POWER), ("priceRange", PRICE_RANGE)):
        values = get_strings(obj, key, field + "." + key, enum=enum)
        if values is not None:
            if len(set(values)) != len(values):
                raise Invalid(field + "." + key, "must not repeat an item")
            out[key] = values
    if update:
        gender = get_nillable(obj, "gender", field + ".gender",
                              lambda w, f: get_string(w, "value", f, enum=GENDERS))
        if gender is not KEEP:
            out["gender"] = gender
    else:
        gender = get_string(obj, "gender", field + ".gender", enum=GENDERS)
        if gender is not None:
            out["gender"] = gender
    return out


def parse_location(obj, field, update=False):
    need_object(obj, field)
    out = {}
    points = obj.get("pointsOfInterest")
    if points is None:
        if not update:
            raise Invalid(field + ".pointsOfInterest", "is required")
    else:
        if not isinstance(points, list):
            raise Invalid(field + ".pointsOfInterest",
                          "must be an array (got %s)" % kind_of(points))
        if not points:
            raise Invalid(field + ".pointsOfInterest", "must not be empty")
        out["pointsOfInterest"] = []
        for i, p in enumerate(points):
            pf = "%s.pointsOfInterest[%d]" % (field, i)
            need_object(p, pf)
            out["pointsOfInterest"].append({
                "latitude": get_number(p, "latitude", pf + ".latitude", required=True),
                "longitude": get_number(p, "longitude", pf + ".longitude", required=True),
                "name": get_string(p, "name", pf + ".name")})
    radius = get_int(obj, "radiusInKm", field + ".radiusInKm", required=not update, minimum=0)
    if radius is not None:
        out["radiusInKm"] = radius
    if update:
        registry = get_string(obj, "registryType", field + ".registryType", enum=REGISTRY_TYPES)
        if registry is not None:
            out["registryType"] = registry
    return out


def parse_lookalike(obj, field, update=False):
    need_object(obj, field)
    out = {}
    if not update:
        out["seedSegmentId"] = get_string(obj, "seedSegmentId", field + ".seedSegmentId",
                                          required=True)
    size = get_int(obj, "targetSize", field + ".targetSize", bounds=INT64, minimum=0)
    if size is not None:
        out["targetSize"] = size
    return out


def parse_prospecting(obj, field, update=False):
    need_object(obj, field)
    out = {}
    users = get_string(obj, "usersType", field + ".usersType", required=not update,
                       enum=USERS_TYPES)
    if users is not None:
        out["usersType"] = users
    for key in ("daysSinceLastVisitMin", "daysSinceLastVisitMax"):
        if update:      # NillableInt32 in updates
            value = get_nillable(obj, key, field + "." + key,
                                 lambda w, f: get_int(w, "value", f, minimum=0))
            if value is not KEEP:
                out[key] = value
        else:
            value = get_int(obj, key, field + "." + key, minimum=0)
            if value is not None:
                out[key] = value
    return out


def parse_retargeting(obj, field, update=False):
    need_object(obj, field)
    out = {}
    visitors = get_string(obj, "visitorsType", field + ".visitorsType", required=not update,
                          enum=VISITORS_TYPES)
    if visitors is not None:
        out["visitorsType"] = visitors
    for key in ("daysSinceLastVisitMin", "daysSinceLastVisitMax"):
        value = get_int(obj, key, field + "." + key, required=not update, minimum=0)
        if value is not None:
            out[key] = value
    return out


TARGETING_PARSERS = {"inMarket": parse_in_market, "location": parse_location,
                     "lookalike": parse_lookalike, "prospecting": parse_prospecting,
                     "retargeting": parse_retargeting,
                     "contactList": lambda obj, field, update=False:
                         need_object(obj, field) and {}}


def parse_algebra(node, field, depth=0):
    """Checks an AlgebraNodeV1 tree; returns it without null members."""
    if depth > MAX_ALGEBRA_DEPTH:
        raise Invalid(field, "nests deeper than %d levels" % MAX_ALGEBRA_DEPTH)
    need_object(node, field)
    present = [k for k in ("and", "or", "not", "audienceSegmentId") if node.get(k) is not None]
    if len(present) != 1:
        raise Invalid(field, "must set exactly one of and, or, not, audienceSegmentId (got %s)"
                      % (", ".join(present) or "none"))
    key = present[0]
    value = node[key]
    if key in ("and", "or"):
        if not isinstance(value, list):
            raise Invalid(field + "." + key, "must be an array (got %s)" % kind_of(value))
        if not value:
            raise Invalid(field + "." + key, "must not be empty")
        return {key: [parse_algebra(child, "%s.%s[%d]" % (field, key, i), depth + 1)
                      for i, child in enumerate(value)]}
    if key == "not":
        return {"not": parse_algebra(value, field + ".not", depth + 1)}
    if not isinstance(value, str) or not ID_RE.fullmatch(value):
        raise Invalid(field + ".audienceSegmentId",
                      "must be a string of 1 to 20 digits (got %s)" % json.dumps(value))
    return {"audienceSegmentId": value}


def algebra_segments(node):
    """Every segment id an algebra tree names."""
    if "audienceSegmentId" in node:
        return {node["audienceSegmentId"]}
    if "not" in node:
        return algebra_segments(node["not"])
    ids = set()
    for child in node.get("and") or node.get("or") or ():
        ids |= algebra_segments(child)
    return ids


def stable_size(*parts):
    """A deterministic pseudo-size for segments that hold no identifiers."""
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True).encode("utf-8")).digest()
    return 1000 + int.from_bytes(digest[:4], "big") % 900000


def item_problem(code, index, title, detail):
    return problem("validation", code, "@data/%d" % index, title, detail)


def not_found(kind, index, rid):
    what = "Segment" if kind == "segment" else "Audience"
    return item_problem("%s-not-found" % kind, index, "%s not found" % what,
                        "%s %s is not found" % (what, rid))


def empty_name(index):
    return item_problem("name-must-not-be-empty", index, "Name must not be empty",
                        "Segment name property must not be empty")


def name_taken(index, name, owner):
    return item_problem("name-must-be-unique", index, "Segment name must be unique",
                        "a segment named %r already exists for %s" % (name, owner))


def in_use(index):
    # Words of Criteo's documented example (REFERENCE.md 4, seed 004).
    return item_problem("segment-must-not-be-used-in-audience", index,
                        "Segment must not be used in an audience",
                        "The segment must be removed from all audiences to be able to delete it")


def envelope(data, errors=(), warnings=(), meta=None):
    out = {"data": data}
    if meta is not None:
        out["meta"] = meta
    out["errors"] = list(errors)
    out["warnings"] = list(warnings)
    return out


def page_of(items, limit, offset):
    return items[offset:offset + limit], {"limit": limit, "offset": offset,
                                          "totalItems": len(items)}


class NotFound(Exception):
    """A 404 answer: code and detail."""

    def __init__(self, code, detail):
        super().__init__(detail)
        self.code, self.detail = code, detail


class Entities:
    """Segments and audiences of both products.  Every method that reads or
    changes them runs with State.lock held (the handler takes it); the
    identifiers of contact lists stay in State.segments, keyed by segment id."""

    def __init__(self, state):
        self.state = state
        self.ms_segments = {}     # id -> dict (see ms_segment_create)
        self.ms_audiences = {}
        self.rm_segments = {}
        self.rm_audiences = {}
        self.next_id = {"ms_segment": MS_SEGMENT_FIRST_ID, "ms_audience": MS_AUDIENCE_FIRST_ID,
                        "rm_segment": RM_SEGMENT_FIRST_ID, "rm_audience": RM_AUDIENCE_FIRST_ID}

    def new_id(self, kind):
        table = getattr(self, kind + "s")
        while True:
            rid = str(self.next_id[kind])
            self.next_id[kind] += 1
            # Skip ids whose contact list already got identifiers through the
            # id-agnostic MS PATCH: a new segment must start empty.
            if rid not in table and rid not in self.state.segments:
                return rid

    def identifiers(self, rid):
        return len(self.state.segments.get(rid, ()))

    # -- renderers (spec entity shapes) ----------------------------------
    def ms_segment_resource(self, seg):
        attrs = {"advertiserId": seg["advertiserId"], "name": seg["name"],
                 "description": seg["description"], "type": seg["type"],
                 "createdAt": seg["createdAt"], "updatedAt": seg["updatedAt"]}
        for key in MS_READ_TARGETING:
            attrs[key] = None
        t = seg["targeting"]
        kind = seg["kind"]
        if kind == "contactList":
            attrs["contactList"] = {"isReadOnly": False}
        elif kind == "inMarket":
            attrs["inMarket"] = {"country": t.get("country"), "brandIds": t.get("brandIds", []),
                                 "interestIds": t.get("interestIds", []),
                                 "buyingPower": t.get("buyingPower", []),
                                 "priceRange": t.get("priceRange", []),
                                 "gender": t.get("gender")}
        elif kind == "location":
            attrs["location"] = {"pointsOfInterest": t.get("pointsOfInterest", []),
                                 "radiusInKm": t.get("radiusInKm"),
                                 "registryType": t.get("registryType", "PointOfInterest")}
        elif kind == "lookalike":
            attrs["lookalike"] = {"seedSegmentId": t.get("seedSegmentId"),
                                  "targetSize": t.get("targetSize")}
        else:
            attrs[kind] = dict({"daysSinceLastVisitMin": None, "daysSinceLastVisitMax": None},
                               **t)
        return {"id": seg["id"], "type": "AudienceSegment", "attributes": attrs}

    @staticmethod
    def ms_audience_resource(aud):
        return {"id": aud["id"], "type": "Audience", "attributes": {
            "advertiserId": aud["advertiserId"], "name": aud["name"],
            "description": aud["description"], "algebra": aud["algebra"],
            "adSetIds": list(aud["adSetIds"]), "createdAt": aud["createdAt"],
            "updatedAt": aud["updatedAt"]}}

    @staticmethod
    def rm_segment_resource(seg):
        return {"id": seg["id"], "type": "RetailMediaAudienceSegment", "attributes": {
            "accountId": seg["accountId"], "retailerId": seg["retailerId"],
            "name": seg["name"], "description": seg["description"], "type": "ContactList",
            "channels": ["Onsite", "Offsite"], "createdAt": seg["createdAt"],
            "updatedAt": seg["updatedAt"], "createdById": seg["createdById"],
            "contactList": {"identifierType": seg["identifierType"], "isReadOnly": False,
                            "sharingStatus": "NotShared"},
            "events": None}}

    @staticmethod
    def rm_audience_resource(aud):
        return {"id": aud["id"], "type": "RetailMediaAudience", "attributes": {
            "accountId": aud["accountId"], "retailerId": aud["retailerId"],
            "name": aud["name"], "description": aud["description"],
            "algebra": aud["algebra"], "channels": list(aud["channels"]),
            "createdAt": aud["createdAt"], "updatedAt": aud["updatedAt"],
            "createdById": aud["createdById"]}}

    def statistics(self, rid):
        n = self.identifiers(rid)
        matches = n * 3 // 5           # a 60 % match rate, rounded down
        return {"id": rid, "type": "ContactListStatistics", "attributes": {
            "numberOfIdentifiers": n, "numberOfMatches": matches,
            "matchRate": round(matches / n, 4) if n else 0.0}}

    def sorted_values(self, table):
        return sorted(table.values(), key=lambda e: int(e["id"]))

    # -- MS segments -----------------------------------------------------
    def ms_name_owner(self, advertiser_id, name, except_id=None):
        for seg in self.ms_segments.values():
            if seg["advertiserId"] == advertiser_id and seg["name"] == name \
                    and seg["id"] != except_id:
                return seg["id"]
        return None

    def ms_segment_add(self, advertiser_id, name, description, kind, targeting):
        now = utc_now_iso()
        rid = self.new_id("ms_segment")
        seg = {"id": rid, "advertiserId": advertiser_id, "name": name,
               "description": description, "kind": kind,
               "type": dict(MS_TARGETING)[kind], "targeting": targeting,
               "createdAt": now, "updatedAt": now}
        self.ms_segments[rid] = seg
        return seg

    def ms_segments_create(self, items):
        data, errors = [], []
        for i, it in enumerate(items):
            if it["name"] == "":
                errors.append(empty_name(i))
            elif self.ms_name_owner(it["advertiserId"], it["name"]) is not None:
                errors.append(name_taken(i, it["name"], "advertiser " + it["advertiserId"]))
            else:
                seg = self.ms_segment_add(it["advertiserId"], it["name"], it["description"],
                                          it["kind"], it["targeting"])
                data.append(self.ms_segment_resource(seg))
        return envelope(data, errors)

    def ms_segments_update(self, items):
        data, errors, warnings = [], [], []
        for i, it in enumerate(items):
            seg = self.ms_segments.get(it["id"])
            if seg is None:
                warnings.append(not_found("segment", i, it["id"]))
                continue
            name = it["name"]
            if name == "":
                errors.append(empty_name(i))
                continue
            if name is not None and self.ms_name_owner(seg["advertiserId"], name, seg["id"]):
                errors.append(name_taken(i, name, "advertiser " + seg["advertiserId"]))
                continue
            wrong = [k for k in it["targeting"] if k != seg["kind"]]
            if wrong:
                errors.append(item_problem(
                    "segment-type-mismatch", i, "Wrong segment type",
                    "segment %s is a %s segment: %s does not apply to it"
                    % (seg["id"], seg["type"], wrong[0])))
                continue
            if name is not None:
                seg["name"] = name
            if it["description"] is not KEEP:
                seg["description"] = it["description"]
            for changes in it["targeting"].values():
                seg["targeting"].update(changes)
            seg["updatedAt"] = utc_now_iso()
            data.append(self.ms_segment_resource(seg))
        return envelope(data, errors, warnings)

    def ms_segment_users(self, rid):
        """Ids of the MS audiences whose algebra names segment rid."""
        return [a["id"] for a in self.ms_audiences.values()
                if rid in algebra_segments(a["algebra"])]

    def ms_segments_delete(self, ids):
        data, errors, warnings = [], [], []
        for i, rid in enumerate(ids):
            if rid not in self.ms_segments:
                warnings.append(not_found("segment", i, rid))
            elif self.ms_segment_users(rid):
                errors.append(in_use(i))
            else:
                del self.ms_segments[rid]
                self.state.segments.pop(rid, None)
                data.append({"id": rid, "type": "AudienceSegment"})
        return envelope(data, errors, warnings)

    def ms_segments_search(self, filters, limit, offset):
        def keep(seg):
            return ((not filters.get("advertiserIds")
                     or seg["advertiserId"] in filters["advertiserIds"])
                    and (not filters.get("audienceSegmentIds")
                         or seg["id"] in filters["audienceSegmentIds"])
                    and (not filters.get("audienceSegmentTypes")
                         or seg["type"] in filters["audienceSegmentTypes"]))
        found = [s for s in self.sorted_values(self.ms_segments) if keep(s)]
        page, meta = page_of(found, limit, offset)
        return envelope([self.ms_segment_resource(s) for s in page], meta=meta)

    def ms_segment_size(self, seg):
        if seg["kind"] == "contactList":
            return self.identifiers(seg["id"])
        return stable_size(seg["id"], seg["targeting"])

    def ms_segments_sizes(self, ids):
        data, errors = [], []
        for i, rid in enumerate(ids):
            seg = self.ms_segments.get(rid)
            if seg is None:
                errors.append(not_found("segment", i, rid))
            else:
                data.append({"id": rid, "type": "AudienceSegmentSize",
                             "attributes": {"size": self.ms_segment_size(seg)}})
        return envelope(data, errors)

    # -- MS audiences ----------------------------------------------------
    def missing_segments(self, algebra, table, owner_key, owner):
        """Segment ids the algebra names that do not exist for this owner."""
        return sorted((rid for rid in algebra_segments(algebra)
                       if rid not in table or table[rid][owner_key] != owner), key=int)

    def algebra_problem(self, index, missing):
        return item_problem("segment-not-found", index, "Segment not found",
                            "the algebra names unknown segment%s %s"
                            % ("s" if len(missing) > 1 else "", ", ".join(missing)))

    def ms_audiences_create(self, items):
        data, errors = [], []
        for i, it in enumerate(items):
            missing = self.missing_segments(it["algebra"], self.ms_segments, "advertiserId",
                                            it["advertiserId"])
            if it["name"] == "":
                errors.append(item_problem("name-must-not-be-empty", i,
                                           "Name must not be empty",
                                           "Audience name property must not be empty"))
            elif missing:
                errors.append(self.algebra_problem(i, missing))
            else:
                now = utc_now_iso()
                rid = self.new_id("ms_audience")
                aud = {"id": rid, "advertiserId": it["advertiserId"], "name": it["name"],
                       "description": it["description"], "algebra": it["algebra"],
                       "adSetIds": [], "createdAt": now, "updatedAt": now}
                self.ms_audiences[rid] = aud
                data.append(self.ms_audience_resource(aud))
        return envelope(data, errors)

    def ms_audiences_update(self, items):
        data, errors, warnings = [], [], []
        for i, it in enumerate(items):
            aud = self.ms_audiences.get(it["id"])
            if aud is None:
                warnings.append(not_found("audience", i, it["id"]))
                continue
            if it["name"] == "":
                errors.append(item_problem("name-must-not-be-empty", i,
                                           "Name must not be empty",
                                           "Audience name property must not be empty"))
                continue
            if it["algebra"] is not None:
                missing = self.missing_segments(it["algebra"], self.ms_segments,
                                                "advertiserId", aud["advertiserId"])
                if missing:
                    errors.append(self.algebra_problem(i, missing))
                    continue
                aud["algebra"] = it["algebra"]
            if it["name"] is not None:
                aud["name"] = it["name"]
            if it["description"] is not KEEP:
                aud["description"] = it["description"]
            aud["updatedAt"] = utc_now_iso()
            data.append(self.ms_audience_resource(aud))
        return envelope(data, errors, warnings)

    def ms_audiences_delete(self, ids):
        data, warnings = [], []
        for i, rid in enumerate(ids):
            if self.ms_audiences.pop(rid, None) is None:
                warnings.append(not_found("audience", i, rid))
            else:
                data.append({"id": rid, "type": "Audience"})
        return envelope(data, (), warnings)

    def ms_audiences_search(self, filters, limit, offset):
        def keep(aud):
            return ((not filters.get("audienceIds") or aud["id"] in filters["audienceIds"])
                    and (not filters.get("advertiserIds")
                         or aud["advertiserId"] in filters["advertiserIds"])
                    and (not filters.get("adSetIds")
                         or filters["adSetIds"] & set(aud["adSetIds"]))
                    and (not filters.get("audienceSegmentIds")
                         or filters["audienceSegmentIds"] & algebra_segments(aud["algebra"])))
        found = [a for a in self.sorted_values(self.ms_audiences) if keep(a)]
        page, meta = page_of(found, limit, offset)
        return envelope([self.ms_audience_resource(a) for a in page], meta=meta)

    def algebra_size(self, algebra):
        """Set algebra over the contact lists' identifiers ("not" is taken
        relative to every identifier the tree names)."""
        universe = set()
        for rid in algebra_segments(algebra):
            universe |= self.state.segments.get(rid, set())

        def ev(node):
            if "audienceSegmentId" in node:
                return set(self.state.segments.get(node["audienceSegmentId"], ()))
            if "not" in node:
                return universe - ev(node["not"])
            sets = [ev(child) for child in node.get("and") or node.get("or")]
            return set.intersection(*sets) if "and" in node else set.union(*sets)
        return len(ev(algebra))

    def ms_audiences_sizes(self, ids):
        data, errors = [], []
        for i, rid in enumerate(ids):
            aud = self.ms_audiences.get(rid)
            if aud is None:
                errors.append(not_found("audience", i, rid))
            else:
                data.append({"id": rid, "type": "AudienceSize",
                             "attributes": {"size": self.algebra_size(aud["algebra"])}})
        return envelope(data, errors)

    def ms_audiences_estimate(self, advertiser_id, algebra):
        missing = self.missing_segments(algebra, self.ms_segments, "advertiserId",
                                        advertiser_id)
        if missing:
            p = problem("validation", "segment-not-found", "@data/attributes/algebra",
                        "Segment not found", "the algebra names unknown segment%s %s"
                        % ("s" if len(missing) > 1 else "", ", ".join(missing)))
            return envelope({"type": "AudienceSizeEstimation", "attributes": {"size": None}},
                            [p])
        return envelope({"type": "AudienceSizeEstimation",
                         "attributes": {"size": self.algebra_size(algebra)}})

    # -- RM segments -----------------------------------------------------
    def rm_name_owner(self, account_id, retailer_id, name, except_id=None):
        for seg in self.rm_segments.values():
            if seg["accountId"] == account_id and seg["retailerId"] == retailer_id \
                    and seg["name"] == name and seg["id"] != except_id:
                return seg["id"]
        return None

    def rm_segment_add(self, account_id, retailer_id, name, description, identifier_type):
        now = utc_now_iso()
        rid = self.new_id("rm_segment")
        seg = {"id": rid, "accountId": account_id, "retailerId": retailer_id, "name": name,
               "description": description, "identifierType": identifier_type,
               "createdAt": now, "updatedAt": now, "createdById": "4242"}
        self.rm_segments[rid] = seg
        return seg

    # Retail Media reports failed items in warnings, as its stable guide
    # says (seed 004); only the in-use delete rule goes to errors, as in
    # the guide's own example.  Marketing Solutions uses errors for them.
    def rm_segments_create(self, account_id, items):
        data, warnings = [], []
        for i, it in enumerate(items):
            if it["name"] == "":
                warnings.append(empty_name(i))
            elif self.rm_name_owner(account_id, it["retailerId"], it["name"]) is not None:
                warnings.append(name_taken(i, it["name"], "account %s, retailer %s"
                                           % (account_id, it["retailerId"])))
            else:
                seg = self.rm_segment_add(account_id, it["retailerId"], it["name"],
                                          it["description"], it["identifierType"])
                data.append(self.rm_segment_resource(seg))
        return envelope(data, (), warnings)

    def rm_segment_of(self, account_id, rid):
        seg = self.rm_segments.get(rid)
        return seg if seg is not None and seg["accountId"] == account_id else None

    def rm_segments_update(self, account_id, items):
        data, warnings = [], []
        for i, it in enumerate(items):
            seg = self.rm_segment_of(account_id, it["id"])
            if seg is None:
                warnings.append(not_found("segment", i, it["id"]))
            elif it["name"] == "":
                warnings.append(empty_name(i))
            elif it["name"] is not None and self.rm_name_owner(
                    account_id, seg["retailerId"], it["name"], seg["id"]):
                warnings.append(name_taken(i, it["name"], "account %s, retailer %s"
                                           % (account_id, seg["retailerId"])))
            else:
                if it["name"] is not None:
                    seg["name"] = it["name"]
                if it["description"] is not KEEP:
                    seg["description"] = it["description"]
                seg["updatedAt"] = utc_now_iso()
                data.append(self.rm_segment_resource(seg))
        return envelope(data, (), warnings)

    def rm_segment_users(self, rid):
        return [a["id"] for a in self.rm_audiences.values()
                if rid in algebra_segments(a["algebra"])]

    def rm_segments_delete(self, account_id, ids):
        data, errors, warnings = [], [], []
        for i, rid in enumerate(ids):
            if self.rm_segment_of(account_id, rid) is None:
                warnings.append(not_found("segment", i, rid))
            elif self.rm_segment_users(rid):
                errors.append(in_use(i))
            else:
                del self.rm_segments[rid]
                self.state.segments.pop(rid, None)
                data.append({"id": rid, "type": "RetailMediaAudienceSegment"})
        return envelope(data, errors, warnings)

    def rm_segments_search(self, account_id, filters, limit, offset):
        def keep(seg):
            return (seg["accountId"] == account_id
                    and (not filters.get("audienceSegmentIds")
                         or seg["id"] in filters["audienceSegmentIds"])
                    and (not filters.get("retailerIds")
                         or seg["retailerId"] in filters["retailerIds"])
                    and (not filters.get("audienceSegmentTypes")
                         or "ContactList" in filters["audienceSegmentTypes"]))
        found = [s for s in self.sorted_values(self.rm_segments) if keep(s)]
        page, meta = page_of(found, limit, offset)
        return envelope([self.rm_segment_resource(s) for s in page], meta=meta)

    def rm_audience_add(self, account_id, retailer_id, name, description, algebra):
        now = utc_now_iso()
        rid = self.new_id("rm_audience")
        aud = {"id": rid, "accountId": account_id, "retailerId": retailer_id, "name": name,
               "description": description, "algebra": algebra, "channels": ["Onsite"],
               "createdAt": now, "updatedAt": now, "createdById": "4242"}
        self.rm_audiences[rid] = aud
        return aud

    def rm_audiences_search(self, account_id, filters, limit, offset):
        def keep(aud):
            return (aud["accountId"] == account_id
                    and (not filters.get("audienceIds") or aud["id"] in filters["audienceIds"])
                    and (not filters.get("retailerIds")
                         or aud["retailerId"] in filters["retailerIds"])
                    and (not filters.get("audienceSegmentIds")
                         or filters["audienceSegmentIds"] & algebra_segments(aud["algebra"])))
        found = [a for a in self.sorted_values(self.rm_audiences) if keep(a)]
        page, meta = page_of(found, limit, offset)
        return envelope([self.rm_audience_resource(a) for a in page], meta=meta)

    # -- admin -----------------------------------------------------------
    def seed(self, spec):
        """POST /_admin/seed_segments: N contact-list segments at once."""
        product = spec.get("product")
        if product not in ("ms", "rm"):
            raise ValueError("product must be \"ms\" or \"rm\"")
        count = spec.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_SEED:
            raise ValueError("count must be a whole number from 0 to %d" % MAX_SEED)
        prefix = spec.get("prefix", "seg")
        if not isinstance(prefix, str):
            raise ValueError("prefix must be a string")
        names = ["%s-%05d" % (prefix, i + 1) for i in range(count)]
        if product == "ms":
            owner = spec.get("advertiserId")
            if not isinstance(owner, str) or not ID_RE.fullmatch(owner):
                raise ValueError("advertiserId must be a string of digits")
            taken = {s["name"] for s in self.ms_segments.values() if s["advertiserId"] == owner}
        else:
            owner = spec.get("accountId")
            retailer = spec.get("retailerId")
            itype = spec.get("identifierType", "Email")
            if not isinstance(owner, str) or not ID_RE.fullmatch(owner) \
                    or not isinstance(retailer, str) or not ID_RE.fullmatch(retailer):
                raise ValueError("accountId and retailerId must be strings of digits")
            if itype not in RM_SEGMENT_IDENTIFIER_TYPES:
                raise ValueError("identifierType must be one of "
                                 + ", ".join(RM_SEGMENT_IDENTIFIER_TYPES))
            taken = {s["name"] for s in self.rm_segments.values()
                     if s["accountId"] == owner and s["retailerId"] == retailer}
        clash = sorted(taken.intersection(names))
        if clash:
            raise ValueError("name %r is already used; choose another prefix" % clash[0])
        ids = []
        for name in names:
            if product == "ms":
                seg = self.ms_segment_add(owner, name, None, "contactList", {})
            else:
                seg = self.rm_segment_add(owner, retailer, name, None, itype)
            ids.append(seg["id"])
        return ids

    def seed_rm_audiences(self, specs):
        """POST /_admin/rm_audiences (Retail Media audiences cannot be
        created through a stable API version): all of them or none."""
        checked = [self.check_rm_audience(spec) for spec in specs]
        return [self.rm_audience_resource(self.rm_audience_add(*args)) for args in checked]

    @staticmethod
    def check_rm_audience(spec):
        if not isinstance(spec, dict):
            raise ValueError("body must be a JSON object")
        account, retailer = spec.get("accountId"), spec.get("retailerId")
        if not isinstance(account, str) or not ID_RE.fullmatch(account) \
                or not isinstance(retailer, str) or not ID_RE.fullmatch(retailer):
            raise ValueError("accountId and retailerId must be strings of digits")
        name, description = spec.get("name"), spec.get("description")
        if not isinstance(name, str) or not name:
            raise ValueError("name must be a non-empty string")
        if description is not None and not isinstance(description, str):
            raise ValueError("description must be a string")
        try:
            algebra = parse_algebra(spec.get("algebra"), "algebra")
        except Invalid as e:
            raise ValueError(str(e)) from None
        return account, retailer, name, description, algebra

    def dump(self):
        """GET /_admin/entities: everything, with contact-list sizes (a
        segment's "type" is its segment type, e.g. ContactList)."""
        def flat(resource, rid):
            out = {"id": rid}
            out.update(resource["attributes"])
            return out
        out = {}
        for key, table, render in (
                ("ms_segments", self.ms_segments, self.ms_segment_resource),
                ("ms_audiences", self.ms_audiences, self.ms_audience_resource),
                ("rm_segments", self.rm_segments, self.rm_segment_resource),
                ("rm_audiences", self.rm_audiences, self.rm_audience_resource)):
            out[key] = {}
            for e in self.sorted_values(table):
                entry = flat(render(e), e["id"])
                if key.endswith("segments"):
                    entry["identifiers"] = self.identifiers(e["id"])
                out[key][e["id"]] = entry
        return out


# -- request bodies -> normalised items (no state touched) ---------------------

def parse_ms_segment_creates(doc):
    items = []
    for i, item in enumerate(get_data(doc, "list")):
        f = "data[%d]" % i
        _, a = get_resource(item, f, with_id=False)
        fa = f + ".attributes"
        adv = get_string(a, "advertiserId", fa + ".advertiserId", required=True)
        name = get_string(a, "name", fa + ".name", required=True)
        desc = get_string(a, "description", fa + ".description")
        kinds = [k for k, _ in MS_TARGETING if a.get(k) is not None]
        if len(kinds) != 1:
            raise Invalid(fa, "must set exactly one of contactList, inMarket, location, "
                          "lookalike, prospecting, retargeting (got %s)"
                          % (", ".join(kinds) or "none"))
        kind = kinds[0]
        targeting = TARGETING_PARSERS[kind](a[kind], fa + "." + kind)
        items.append({"advertiserId": adv, "name": name, "description": desc,
                      "kind": kind, "targeting": targeting})
    return items


def nillable_string(w, f):
    return get_string(w, "value", f)


def parse_ms_segment_updates(doc):
    items = []
    for i, item in enumerate(get_data(doc, "list")):
        f = "data[%d]" % i
        rid, a = get_resource(item, f, with_id=True)
        fa = f + ".attributes"
        targeting = {}
        for kind, _ in MS_TARGETING[1:]:
            if a.get(kind) is not None:
                targeting[kind] = TARGETING_PARSERS[kind](a[kind], fa + "." + kind, update=True)
        if a.get("contactList") is not None:
            raise Invalid(fa + ".contactList", "cannot be updated (only name and description "
                          "of a contact-list segment can)")
        items.append({"id": rid, "name": get_string(a, "name", fa + ".name"),
                      "description": get_nillable(a, "description", fa + ".description",
                                                  nillable_string),
                      "targeting": targeting})
    return items


def parse_ids(doc):
    """data[] {id, type, attributes: {}} (deletes, compute-sizes)."""
    return [get_resource(item, "data[%d]" % i, with_id=True)[0]
            for i, item in enumerate(get_data(doc, "list"))]


def parse_ms_segment_estimate(doc):
    data = get_data(doc, "object")
    get_string(data, "type", "data.type")
    a = need_object(data.get("attributes"), "data.attributes")
    adv = get_string(a, "advertiserId", "data.attributes.advertiserId", required=True)
    kinds = [k for k in ("inMarket", "location") if a.get(k) is not None]
    if len(kinds) != 1:
        raise Invalid("data.attributes", "must set exactly one of inMarket, location (got %s)"
                      % (", ".join(kinds) or "none"))
    kind = kinds[0]
    return adv, kind, TARGETING_PARSERS[kind](a[kind], "data.attributes." + kind)


def parse_ms_audience_creates(doc):
    items = []
    for i, item in enumerate(get_data(doc, "list")):
        f = "data[%d]" % i
        _, a = get_resource(item, f, with_id=False)
        fa = f + ".attributes"
        items.append({
            "advertiserId": get_string(a, "advertiserId", fa + ".advertiserId", required=True),
            "name": get_string(a, "name", fa + ".name", required=True),
            "description": get_string(a, "description", fa + ".description"),
            "algebra": parse_algebra(need_object(a.get("algebra"), fa + ".algebra"),
                                     fa + ".algebra")})
    return items


def parse_ms_audience_updates(doc):
    items = []
    for i, item in enumerate(get_data(doc, "list")):
        f = "data[%d]" % i
        rid, a = get_resource(item, f, with_id=True)
        fa = f + ".attributes"
        algebra = a.get("algebra")
        items.append({
            "id": rid, "name": get_string(a, "name", fa + ".name"),
            "description": get_nillable(a, "description", fa + ".description",
                                        nillable_string),
            "algebra": None if algebra is None else parse_algebra(algebra, fa + ".algebra")})
    return items


def parse_ms_audience_estimate(doc):
    data = get_data(doc, "object")
    get_string(data, "type", "data.type")
    a = need_object(data.get("attributes"), "data.attributes")
    adv = get_string(a, "advertiserId", "data.attributes.advertiserId", required=True)
    algebra = parse_algebra(need_object(a.get("algebra"), "data.attributes.algebra"),
                            "data.attributes.algebra")
    return adv, algebra


def reject_events(a, field):
    if a.get("events") is not None:
        raise Invalid(field + ".events", "event-based segments are not supported in the "
                      "stable API versions; only contact-list segments can be made here")


def parse_rm_segment_creates(doc):
    items = []
    for i, item in enumerate(get_data(doc, "list")):
        f = "data[%d]" % i
        _, a = get_resource(item, f, with_id=False)
        fa = f + ".attributes"
        reject_events(a, fa)
        name = get_string(a, "name", fa + ".name", required=True)
        retailer = get_string(a, "retailerId", fa + ".retailerId", required=True)
        desc = get_string(a, "description", fa + ".description")
        cl = need_object(a.get("contactList"), fa + ".contactList")
        # Optional in the schema, but a segment's type is fixed at creation:
        # the fake insists on it rather than guess a default.
        itype = get_string(cl, "identifierType", fa + ".contactList.identifierType",
                           required=True, enum=RM_SEGMENT_IDENTIFIER_TYPES)
        items.append({"name": name, "retailerId": retailer, "description": desc,
                      "identifierType": itype})
    return items


def parse_rm_segment_updates(doc):
    items = []
    for i, item in enumerate(get_data(doc, "list")):
        f = "data[%d]" % i
        rid, a = get_resource(item, f, with_id=True)
        fa = f + ".attributes"
        reject_events(a, fa)
        need_object(a.get("contactList"), fa + ".contactList", required=False)
        items.append({"id": rid, "name": get_string(a, "name", fa + ".name"),
                      "description": get_nillable(a, "description", fa + ".description",
                                                  nillable_string)})
    return items


def validate_rm_amendment(doc):
    """Checks a RetailMediaContactlistAmendmentRequest; returns attributes."""
    if not isinstance(doc, dict):
        raise Invalid("body", "must be a JSON object (got %s)" % kind_of(doc))
    data = need_object(doc.get("data"), "data")
    get_string(data, "type", "data.type")
    attrs = need_object(data.get("attributes"), "data.attributes")
    get_string(attrs, "operation", "data.attributes.operation", required=True, enum=OPERATIONS)
    get_string(attrs, "identifierType", "data.attributes.identifierType",
               enum=RM_IDENTIFIER_TYPES)
    ids = get_strings(attrs, "identifiers", "data.attributes.identifiers", required=True)
    if not ids:
        raise Invalid("data.attributes.identifiers", "must not be empty")
    if len(ids) > MAX_IDENTIFIERS:
        raise Invalid("data.attributes.identifiers", "must contain at most %d items (got %d)"
                      % (MAX_IDENTIFIERS, len(ids)))
    return attrs


def parse_page(query, maximum):
    """limit and offset query parameters; raises Invalid naming the one."""
    out = {}
    for name, default, upper in (("limit", SEARCH_DEFAULT, maximum), ("offset", 0, INT32[1])):
        values = query.get(name)
        if values is None:
            out[name] = default
            continue
        if len(values) != 1:
            raise Invalid(name, "must be given once")
        text = values[0].strip()
        if not text.isdigit() or not text.isascii():
            raise Invalid(name, "must be a whole number (got %r)" % values[0])
        value = int(text)
        if value > upper:
            raise Invalid(name, "must be between 0 and %d (got %d)" % (upper, value))
        out[name] = value
    return out["limit"], out["offset"]


def resolve_route(method, path):
    """(route, match, allowed methods) for a path; route None if the method
    is not served there, match None if the path is unknown."""
    first, allowed = None, []
    for route in ROUTES:
        m = route[1].fullmatch(path)
        if m is None:
            continue
        allowed.append(route[0])
        if first is None:
            first = m
        if route[0] == method:
            return route, m, allowed
    return None, first, allowed


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
        path, _, query = self.path.partition("?")
        is_token = path == "/oauth2/token" and self.command == "POST"
        self.rec = self.state.new_record(self.conn_id, self.command, path, is_token,
                                         self.headers.get("Content-Type"))
        self.rec["query"] = query or None
        cpu0, answered_from = time.thread_time(), None
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
            answered_from = time.monotonic()
            if is_token:
                self.handle_token(body)
            else:
                self.handle_api(path, body)
            self.wfile.flush()
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
        finally:
            self.state.add_server_time(
                time.thread_time() - cpu0,
                0.0 if answered_from is None else time.monotonic() - answered_from)

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
            doc = (self.state.sink and sink_scan(body)) or \
                (parse_json_body(body) if body else None)
        except Invalid as e:
            parse_error = e
        if not body:
            parse_error = Invalid("body", "is empty")
        self.note_amendment(doc)
        self.resolved = resolve_route(self.command, path)
        if self.resolved[0] is not None:
            rec["operation_id"] = self.resolved[0][2]
            # What the client sent, before any fault or check: for
            # tests/conformance/validate.py.
            rec["body_file"] = self.state.record_body(rec["operation_id"], body)

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
        route, m, allowed = self.resolved
        if m is None:
            self.send_problem(404, "validation", "not-found", "Not found",
                              "no such endpoint: %s %s" % (self.command, path))
            return
        if not VERSION_RE.fullmatch(m.group("v")):
            self.send_problem(404, "validation", "not-found", "Not found",
                              "unknown API version %r" % m.group("v"))
            return
        groups = m.groupdict()
        if groups.get("acc") is not None and not ID_RE.fullmatch(groups["acc"]):
            self.send_problem(404, "validation", "not-found", "Not found",
                              "account-id must be 1 to 20 digits")
            return
        if groups.get("seg") is not None and not SEGMENT_ID_RE.fullmatch(groups["seg"]):
            self.send_problem(404, "validation", "not-found", "Not found",
                              "audience-segment-id must be 1 to 20 digits")
            return
        if route is None:
            self.send_problem(405, "validation", "method-not-allowed",
                              "Method not allowed", "use %s on this path" % " or ".join(allowed),
                              [("Allow", ", ".join(allowed))])
            return
        if not self.check_authorization():
            return
        _, _, _, handler, takes_body = route
        if handler == "ms_contact_list_amend":
            self.handle_amendment(groups["seg"], doc, parse_error)
            return
        seg = None if groups.get("seg") is None else str(int(groups["seg"]))
        query = urllib.parse.parse_qs(self.rec["query"] or "", keep_blank_values=True)
        try:
            if takes_body:
                ctype = self.headers.get("Content-Type") or ""
                if not ctype.strip().lower().startswith("application/json"):
                    self.send_problem(400, "validation", "invalid-content-type",
                                      "Invalid content type",
                                      "Content-Type must be application/json (got %r)" % ctype)
                    return
                if parse_error is not None:
                    raise parse_error
            result = getattr(self, "op_" + handler)(doc, groups.get("acc"), seg, query)
        except Invalid as e:
            if e.field in ("limit", "offset", "advertiser-id", "country"):
                self.send_problem(400, "validation", "invalid-query-parameter",
                                  "Invalid query parameter", str(e))
            else:
                self.send_problem(400, "validation", "invalid-body", "Invalid request body",
                                  str(e))
            return
        except NotFound as e:
            self.send_problem(404, "validation", e.code, "Not found", e.detail)
            return
        status, payload = result
        if payload is None:
            self.send_empty(status)
        else:
            self.send_result(status, payload)

    def send_empty(self, status):
        """A 2xx without a body (RM clear): 204 has no Content-Length at all."""
        limit, remaining, reset = self.state.rate_headers()
        self.rec["status"] = status
        self.send_response(status)
        if status != 204:
            self.send_header("Content-Length", "0")
        self.send_header("x-ratelimit-limit", str(limit))
        self.send_header("x-ratelimit-remaining", str(remaining))
        self.send_header("x-ratelimit-reset", str(reset))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.truncate:
            self.close_connection = True    # nothing to cut: just hang up after

    # -- Audience API operations --------------------------------------------
    # Each gets (parsed body, account id, segment id, query) and returns
    # (status, payload or None); it may raise Invalid (400) or NotFound (404).
    def locked(self, fn, *args):
        with self.state.lock:
            return 200, fn(*args)

    def known_contact_list(self, seg):
        """An MS contact list exists if its segment does, or if the
        id-agnostic PATCH ever stored identifiers (or a wipe) under it."""
        return seg in self.state.entities.ms_segments or seg in self.state.segments

    def op_ms_contact_list_wipe(self, doc, acc, seg, query):
        self.rec["operation"] = "wipe"
        with self.state.lock:
            known = self.known_contact_list(seg)
        if not known:
            raise NotFound("audience-invalid", "audience segment %s does not exist" % seg)
        self.state.wipe(seg)
        return 200, {"data": {"id": self.resolved[1].group("seg"), "type": "AudienceContactlist"},
                     "errors": [], "warnings": []}

    def op_ms_contact_list_stats(self, doc, acc, seg, query):
        with self.state.lock:
            if not self.known_contact_list(seg):
                raise NotFound("segment-not-found", "audience segment %s does not exist" % seg)
            return 200, envelope(self.state.entities.statistics(seg))

    def op_ms_segments_create(self, doc, acc, seg, query):
        items = parse_ms_segment_creates(doc)
        return self.locked(self.state.entities.ms_segments_create, items)

    def op_ms_segments_update(self, doc, acc, seg, query):
        items = parse_ms_segment_updates(doc)
        return self.locked(self.state.entities.ms_segments_update, items)

    def op_ms_segments_delete(self, doc, acc, seg, query):
        return self.locked(self.state.entities.ms_segments_delete, parse_ids(doc))

    def op_ms_segments_search(self, doc, acc, seg, query):
        limit, offset = parse_page(query, MS_SEARCH_MAX)
        filters = get_filters(doc, ("advertiserIds", "audienceSegmentIds", "audienceSegmentTypes"),
                              {"audienceSegmentTypes": MS_SEGMENT_TYPES})
        return self.locked(self.state.entities.ms_segments_search, filters, limit, offset)

    def op_ms_segments_sizes(self, doc, acc, seg, query):
        return self.locked(self.state.entities.ms_segments_sizes, parse_ids(doc))

    def op_ms_segments_estimate(self, doc, acc, seg, query):
        advertiser, kind, targeting = parse_ms_segment_estimate(doc)
        return 200, envelope({"type": "AudienceSegmentSizeEstimation",
                              "attributes": {"size": stable_size(advertiser, kind, targeting)}})

    def in_market_query(self, query):
        values = {}
        for name in ("advertiser-id", "country"):
            got = query.get(name)
            if not got or not got[0].strip():
                raise Invalid(name, "is required")
            if len(got) != 1:
                raise Invalid(name, "must be given once")
            values[name] = got[0].strip()
        if not COUNTRY_RE.fullmatch(values["country"]):
            raise Invalid("country", "must be an ISO 3166-1 alpha-2 code (got %r)"
                          % values["country"])
        return values["advertiser-id"], values["country"].upper()

    def op_ms_in_market_brands(self, doc, acc, seg, query):
        advertiser, country = self.in_market_query(query)
        return 200, envelope([
            {"id": bid, "type": "InMarketAudienceSegmentBrand",
             "attributes": {"name": name, "size": stable_size(country, bid) * 10}}
            for bid, name in IN_MARKET_BRANDS])

    def op_ms_in_market_interests(self, doc, acc, seg, query):
        self.in_market_query(query)
        return 200, envelope([
            {"id": iid, "type": "InMarketAudienceSegmentInterest",
             "attributes": {"parentId": parent}}
            for iid, parent in IN_MARKET_INTERESTS])

    def op_ms_audiences_create(self, doc, acc, seg, query):
        items = parse_ms_audience_creates(doc)
        return self.locked(self.state.entities.ms_audiences_create, items)

    def op_ms_audiences_update(self, doc, acc, seg, query):
        items = parse_ms_audience_updates(doc)
        return self.locked(self.state.entities.ms_audiences_update, items)

    def op_ms_audiences_delete(self, doc, acc, seg, query):
        return self.locked(self.state.entities.ms_audiences_delete, parse_ids(doc))

    def op_ms_audiences_search(self, doc, acc, seg, query):
        limit, offset = parse_page(query, MS_SEARCH_MAX)
        filters = get_filters(doc, ("audienceIds", "advertiserIds", "adSetIds",
                                    "audienceSegmentIds"))
        return self.locked(self.state.entities.ms_audiences_search, filters, limit, offset)

    def op_ms_audiences_sizes(self, doc, acc, seg, query):
        return self.locked(self.state.entities.ms_audiences_sizes, parse_ids(doc))

    def op_ms_audiences_estimate(self, doc, acc, seg, query):
        advertiser, algebra = parse_ms_audience_estimate(doc)
        return self.locked(self.state.entities.ms_audiences_estimate, advertiser, algebra)

    def op_rm_segments_create(self, doc, acc, seg, query):
        items = parse_rm_segment_creates(doc)
        return self.locked(self.state.entities.rm_segments_create, acc, items)

    def op_rm_segments_update(self, doc, acc, seg, query):
        items = parse_rm_segment_updates(doc)
        return self.locked(self.state.entities.rm_segments_update, acc, items)

    def op_rm_segments_delete(self, doc, acc, seg, query):
        return self.locked(self.state.entities.rm_segments_delete, acc, parse_ids(doc))

    def op_rm_segments_search(self, doc, acc, seg, query):
        limit, offset = parse_page(query, RM_SEARCH_MAX)
        filters = get_filters(doc, ("audienceSegmentIds", "retailerIds", "audienceSegmentTypes"),
                              {"audienceSegmentTypes": RM_SEGMENT_TYPES})
        return self.locked(self.state.entities.rm_segments_search, acc, filters, limit, offset)

    def op_rm_contact_list_stats(self, doc, acc, seg, query):
        with self.state.lock:
            if self.state.entities.rm_segment_of(acc, seg) is None:
                raise NotFound("segment-not-found", "audience segment %s does not exist in "
                               "account %s" % (seg, acc))
            return 200, envelope(self.state.entities.statistics(seg))

    def op_rm_audiences_search(self, doc, acc, seg, query):
        limit, offset = parse_page(query, RM_SEARCH_MAX)
        filters = get_filters(doc, ("audienceIds", "audienceSegmentIds", "retailerIds"))
        return self.locked(self.state.entities.rm_audiences_search, acc, filters, limit, offset)

    def rm_segment(self, seg):
        with self.state.lock:
            found = self.state.entities.rm_segments.get(seg)
        if found is None:
            raise NotFound("audience-invalid", "audience segment %s does not exist" % seg)
        return found

    def op_rm_contact_list_amend(self, doc, acc, seg, query):
        attrs = validate_rm_amendment(doc)
        segment = self.rm_segment(seg)
        operation = attrs["operation"]
        itype = attrs.get("identifierType") or segment["identifierType"]
        valid, invalid = split_identifiers(RM_TO_MS_IDENTIFIER_TYPE.get(itype, itype),
                                           attrs["identifiers"])
        self.state.amend(seg, operation, valid)
        counts = {"contactListId": int(seg), "operation": operation,
                  "requestDate": utc_now_iso(), "identifierType": itype,
                  "nbValidIdentifiers": len(valid), "nbInvalidIdentifiers": len(invalid),
                  "sampleInvalidIdentifiers": invalid[:MAX_SAMPLE_INVALID]}
        if self.state.take_switch("rm_wrapped_counts"):
            self.rec["fault"] = (self.rec["fault"] or []) + ["rm_wrapped_counts"]
            # The RM guide's shape (seed 004): counts wrapped like MS's.
            return 200, {"data": {"type": "ContactlistAmendment", "attributes": counts},
                         "errors": [], "warnings": []}
        # The spec's RetailMediaContactlistOperation: counts right under data.
        return 200, {"type": "AddRemoveContactlistResult", "data": counts,
                     "errors": [], "warnings": []}

    def op_rm_contact_list_clear(self, doc, acc, seg, query):
        self.rec["operation"] = "clear"
        self.rm_segment(seg)
        self.state.wipe(seg)
        if self.state.take_switch("clear_201"):
            self.rec["fault"] = (self.rec["fault"] or []) + ["clear_201"]
            return 201, None      # the RM guide: "201 Created (empty response body)"
        return 204, None          # the spec

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
        if doc.get("_sink_checked"):
            valid, invalid = attrs["identifiers"], []   # sink_scan checked each
        else:
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
            self.state.handshake_done(tls.session_reused, tls.cipher())
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
        elif path == "/_admin/ciphers":
            with self.state.lock:
                ciphers = list(self.state.ciphers)
            self.send_json(200, {"ciphers": ciphers})
        elif path == "/_admin/server_names":
            with self.state.lock:
                names = list(self.state.server_names)
            self.send_json(200, {"server_names": names})
        elif path == "/_admin/segments":
            self.send_json(200, self.state.snapshot_segments())
        elif path == "/_admin/faults":
            self.send_json(200, self.state.snapshot_faults())
        elif path == "/_admin/entities":
            with self.state.lock:
                dump = self.state.entities.dump()
            self.send_json(200, dump)
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
        elif path == "/_admin/seed_segments":
            if not isinstance(body, dict):
                self.send_json(400, {"error": "body must be a JSON object"})
                return
            try:
                with self.state.lock:
                    ids = self.state.entities.seed(body)
            except ValueError as e:
                self.send_json(400, {"error": str(e)})
                return
            self.send_json(200, {"ok": True, "ids": ids})
        elif path == "/_admin/rm_audiences":
            specs = body if isinstance(body, list) else [body]
            try:
                with self.state.lock:
                    made = self.state.entities.seed_rm_audiences(specs)
            except ValueError as e:
                self.send_json(400, {"error": str(e)})
                return
            self.send_json(200, {"ok": True, "ids": [a["id"] for a in made],
                                 "data": made})
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
    p.add_argument("--record-bodies", metavar="DIR",
                   help="write every API request body to DIR as NNNNNN-<operationId>.json")
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

    if args.record_bodies:
        args.record_bodies = os.path.abspath(args.record_bodies)
        os.makedirs(args.record_bodies, exist_ok=True)
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
