"""fake_server.py - start and drive fake_criteo.py from Python tests.

    from fake_server import FakeCriteo
    with FakeCriteo() as fc:                 # HTTPS on a free port, temp dir
        fc.base_url                           # https://localhost:PORT
        fc.fault(mode="rate_limit", count=2, retry_after=1)
        ... run the client against fc.base_url with fc.ca_file ...
        assert fc.stats()["connections"] == 1
        fc.segment(42)                        # sorted identifiers of segment 42
        fc.seed_segments("ms", 1234, advertiserId="7001")   # ids of new segments
        fc.entities()["ms_segments"]          # every segment, keyed by id
        fc.fault(mode="rm_wrapped_counts", count=1)         # switches, see fake_criteo.py
    FakeCriteo(record_bodies=DIR)             # request bodies -> DIR/NNNNNN-<operationId>.json

Standard library only (urllib for the admin port).
"""

import json
import os
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER_SCRIPT = os.path.join(HERE, "fake_criteo.py")
START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0

# Admin calls go straight to 127.0.0.1: an http_proxy variable in the
# environment must not capture them.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class FakeCriteoError(RuntimeError):
    pass


class FakeCriteo:
    """One fake_criteo.py subprocess; see the module docstring."""

    def __init__(self, dir=None, plain=False, sink=False, token_lifetime=900,
                 client_id="demo-client", client_secret="demo-secret",
                 extra_args=(), record_bodies=None):
        self._tmp = None
        if dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="fake_criteo_")
            dir = self._tmp.name
        self.dir = os.path.abspath(dir)
        self.plain = plain
        self.client_id = client_id
        self.client_secret = client_secret
        os.makedirs(self.dir, exist_ok=True)
        # The server deletes these too, but only once it runs; removing them
        # here closes the window in which a stale file could be read.
        for name in ("port", "admin_port"):
            try:
                os.unlink(os.path.join(self.dir, name))
            except FileNotFoundError:
                pass
        cmd = [sys.executable, SERVER_SCRIPT, "--dir", self.dir,
               "--token-lifetime", str(token_lifetime),
               "--client-id", client_id, "--client-secret", client_secret]
        if plain:
            cmd.append("--plain")
        if sink:
            cmd.append("--sink")
        # Every API request body lands there as NNNNNN-<operationId>.json.
        self.record_bodies = None if record_bodies is None else os.path.abspath(record_bodies)
        if self.record_bodies is not None:
            cmd.extend(["--record-bodies", self.record_bodies])
        cmd.extend(extra_args)
        self.log_path = os.path.join(self.dir, "server.log")
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._log,
                                     stderr=subprocess.STDOUT)
        try:
            self.port = self._wait_for_int("port")
            self.admin_port = self._wait_for_int("admin_port")
        except Exception:
            self.stop()
            raise
        self.ca_file = os.path.join(self.dir, "ca.pem")
        self.host = "127.0.0.1" if plain else "localhost"
        self.base_url = "%s://%s:%d" % ("http" if plain else "https", self.host, self.port)
        self.admin_url = "http://127.0.0.1:%d" % self.admin_port

    def _wait_for_int(self, name):
        path = os.path.join(self.dir, name)
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise FakeCriteoError("fake_criteo exited with %s:\n%s" % (
                    self.proc.returncode, self.log_tail()))
            try:
                with open(path, encoding="ascii") as f:
                    return int(f.read().strip())
            except (FileNotFoundError, ValueError):
                time.sleep(0.05)
        raise FakeCriteoError("fake_criteo did not write %s within %.0f s:\n%s" % (
            name, START_TIMEOUT, self.log_tail()))

    def log_tail(self, limit=4000):
        try:
            with open(self.log_path, "rb") as f:
                return f.read()[-limit:].decode("utf-8", "replace")
        except OSError:
            return ""

    # -- client-side conveniences ---------------------------------------------
    def ssl_context(self, ca_file=None):
        """A client context trusting the fake CA (or ca_file) with host checks."""
        ctx = ssl.create_default_context(cafile=ca_file or self.ca_file)
        return ctx

    # -- admin API ------------------------------------------------------------
    def _admin(self, method, path, payload=None):
        data = None if payload is None else json.dumps(payload).encode("utf-8")
        req = urllib.request.Request(self.admin_url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with _OPENER.open(req, timeout=10) as resp:
                return json.loads(resp.read().decode("utf-8"))
        except urllib.error.HTTPError as e:
            raise FakeCriteoError("admin %s %s: HTTP %d %s" % (
                method, path, e.code, e.read().decode("utf-8", "replace"))) from None

    def ciphers(self):
        """[protocol, cipher] of each TLS handshake, as OpenSSL names them."""
        return self._admin("GET", "/_admin/ciphers")["ciphers"]

    def server_names(self):
        """The SNI each TLS handshake carried (None where a client sent none)."""
        return self._admin("GET", "/_admin/server_names")["server_names"]

    def stats(self):
        return self._admin("GET", "/_admin/stats")

    def requests(self):
        return self._admin("GET", "/_admin/requests")

    def segment(self, segment_id):
        return self._admin("GET", "/_admin/segments/%s" % segment_id)["identifiers"]

    def segments(self):
        return self._admin("GET", "/_admin/segments")

    def faults(self):
        return self._admin("GET", "/_admin/faults")

    def fault(self, **kw):
        return self._admin("POST", "/_admin/fault", kw)

    def reset(self):
        """Clears stats, log, contact lists, entities, faults and switches."""
        return self._admin("POST", "/_admin/reset", {})

    def entities(self):
        """Every segment and audience: {"ms_segments": {id: {...}}, "ms_audiences",
        "rm_segments", "rm_audiences"}; segments carry "identifiers" (a count)."""
        return self._admin("GET", "/_admin/entities")

    def seed_segments(self, product, count, prefix="seg", **owner):
        """Creates count contact-list segments named PREFIX-00001...; owner is
        advertiserId="..." (ms) or accountId=, retailerId= [, identifierType=]
        (rm).  Returns their ids in order."""
        body = dict(owner, product=product, count=count, prefix=prefix)
        return self._admin("POST", "/_admin/seed_segments", body)["ids"]

    def rm_audience(self, accountId, retailerId, name, algebra, description=None):
        """Seeds one Retail Media audience (the stable API cannot create
        them); returns it as the API's search would."""
        body = {"accountId": accountId, "retailerId": retailerId, "name": name,
                "algebra": algebra, "description": description}
        return self._admin("POST", "/_admin/rm_audiences", body)["data"][0]

    def stop(self):
        """Asks for a clean shutdown; kills the process if it lingers. Idempotent."""
        if self.proc.poll() is None:
            if hasattr(self, "admin_url"):
                try:
                    self._admin("POST", "/_admin/shutdown", {})
                except (OSError, FakeCriteoError, ValueError):
                    pass        # already going away: the wait below decides
            else:
                self.proc.terminate()      # failed start: no admin port known
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=STOP_TIMEOUT)
        if not self._log.closed:
            self._log.close()
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False
