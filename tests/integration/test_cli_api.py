#!/usr/bin/env python3
"""test_cli_api.py - the crto command's Audience API commands (segments,
audiences, their sizes and estimates, in-market brands and interests,
contact-list wipe/stats/clear) end to end against the bundled fake Criteo
server (tests/fake_criteo).

    python3 tests/integration/test_cli_api.py build/host/bin/crto

Standard library only.  One HTTPS FakeCriteo, recording every request body,
serves every group (its state is reset between groups).  Outcomes are
checked on the command (exit status, stdout, stderr, --json) and on the
server (its entities and request log).  At the end the recorded bodies are
validated against Criteo's OpenAPI files by tests/conformance/validate.py
when that script exists.  The last line is exactly "N passed, N failed".
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "fake_criteo"))
from fake_criteo import IN_MARKET_BRANDS, IN_MARKET_INTERESTS, stable_size  # noqa: E402
from fake_server import FakeCriteo  # noqa: E402
from tap import check, run_group, summary  # noqa: E402

CLIENT_ID, CLIENT_SECRET = "demo-client", "demo-secret"
RUN_TIMEOUT = 60
SPEC_DIR = os.path.join(ROOT, "..", "shared", "criteo-api", "spec", "full")
SPECS = ("marketingsolutions_2026-07.json", "retailmedia_2026-07.json")
VALIDATE = os.path.join(ROOT, "tests", "conformance", "validate.py")

ADV = "5001"                 # advertiser of the MS groups
ACC, RET = "7001", "8001"    # Retail Media account and retailer
UNKNOWN_SEG = "99999999"
ITEM_RE = re.compile(r"^item (\d+) (ok id=(\S+)(?: size=(-?\d+))?|failed: (\S+))$")


def short(x, limit=400):
    s = x if isinstance(x, str) else repr(x)
    return s if len(s) <= limit else s[:limit] + "..."


class Env:
    def __init__(self, crto, fc, tmp):
        self.crto = os.path.abspath(crto)
        self.fc = fc
        self.tmp = tmp
        base = {k: v for k, v in os.environ.items() if not k.startswith(("CRTO_", "CRITEO_"))}
        self.env = dict(base, CRITEO_CLIENT_ID=CLIENT_ID, CRITEO_CLIENT_SECRET=CLIENT_SECRET)
        self.counter = 0

    def run(self, *args, js=False):
        """crto [--json] ARGS against the server: (status, stdout, stderr, traffic),
        traffic being the server's request count during the run."""
        cmd = [self.crto, "--base-url", self.fc.base_url, "--ca-file", self.fc.ca_file]
        if js:
            cmd.append("--json")
        cmd += [str(a) for a in args]
        before = self.fc.stats()["requests"]
        p = subprocess.run(cmd, env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=RUN_TIMEOUT)
        traffic = self.fc.stats()["requests"] - before
        return (p.returncode, p.stdout.decode("utf-8", "replace"),
                p.stderr.decode("utf-8", "replace"), traffic)

    def json(self, *args):
        rc, out, err, traffic = self.run(*args, js=True)
        try:
            doc = json.loads(out)
        except ValueError:
            doc = None
        return rc, doc, err, traffic

    def write(self, lines):
        self.counter += 1
        path = os.path.join(self.tmp, "input%d.txt" % self.counter)
        with open(path, "w", encoding="utf-8") as f:
            f.write("".join(line + "\n" for line in lines))
        return path

    # -- the fake's admin port ------------------------------------------------
    def entities(self):
        return self.fc.entities()

    def seed(self, product, count, prefix, **owner):
        return self.fc.seed_segments(product, count, prefix=prefix, **owner)

    def rm_audience(self, **spec):
        return self.fc.rm_audience(**spec)["id"]

    def api_requests(self, operation=None):
        return [r for r in self.fc.requests()
                if r["path"] != "/oauth2/token" and (operation is None or r["operation_id"] == operation)]


def why(rc, out, err):
    return "exit %s; stdout %s; stderr %s" % (rc, short(out.strip()), short(err.strip()))


def items_of(out):
    """The "item N ..." lines: {index: ("ok", id, size) or ("failed", code)}."""
    found = {}
    for line in out.splitlines():
        m = ITEM_RE.match(line)
        if m:
            i = int(m.group(1))
            if m.group(5):
                found[i] = ("failed", m.group(5))
            else:
                found[i] = ("ok", m.group(3), None if m.group(4) is None else int(m.group(4)))
    return found


def create_ms(t, name, description=None, advertiser=ADV):
    args = ["ms", "segments", "create", "--advertiser", advertiser, "--name", name]
    if description is not None:
        args += ["--description", description]
    rc, out, err, _ = t.run(*args)
    if rc != 0 or len(out.split()) != 1:
        raise RuntimeError("create %r: %s" % (name, why(rc, out, err)))
    return out.strip()


def create_rm(t, name, itype="Email"):
    rc, out, err, _ = t.run("rm", "segments", "create", "--account", ACC, "--retailer", RET,
                            "--name", name, "--identifier-type", itype)
    if rc != 0 or len(out.split()) != 1:
        raise RuntimeError("rm create %r: %s" % (name, why(rc, out, err)))
    return out.strip()


def algebra_and_not(a, b):
    return {"and": [{"audienceSegmentId": a}, {"not": {"audienceSegmentId": b}}]}


# --------------------------------------------------------------------------
# MS segments: create, update, sizes


def test_ms_create_update(t):
    t.fc.reset()
    rc, out, err, traffic = t.run("ms", "segments", "create", "--advertiser", ADV,
                                  "--name", "kiosk opt-in", "--description", "first")
    new_id = out.strip()
    check("ms create: exit 0, only the new id on stdout", rc == 0 and re.fullmatch(r"\d+", new_id),
          why(rc, out, err))
    seg = t.entities()["ms_segments"].get(new_id, {})
    check("ms create: the server holds it (advertiser, name, description, ContactList)",
          (seg.get("advertiserId"), seg.get("name"), seg.get("description"), seg.get("type"))
          == (ADV, "kiosk opt-in", "first", "ContactList"), seg)
    check("ms create: one token request and one API call",
          traffic == 2 and len(t.api_requests("CreateAudienceSegments")) == 1,
          "%d requests: %s" % (traffic, [r["operation_id"] for r in t.api_requests()]))

    rc, doc, err, _ = t.json("ms", "segments", "create", "--advertiser", ADV, "--name", "second")
    ms = t.entities()["ms_segments"]
    item = (doc or {}).get("items", [{}])[0]
    check("ms create --json: items[0] ok with the id the server gave",
          rc == 0 and item.get("ok") is True and item.get("id") in ms
          and ms[item.get("id")]["name"] == "second" and doc.get("exitCode") == 0
          and doc.get("error") is None, (rc, doc, err))

    before = len(t.entities()["ms_segments"])
    rc, out, err, _ = t.run("ms", "segments", "create", "--advertiser", ADV, "--name", "kiosk opt-in")
    check("ms create duplicate name: exit 2, name-must-be-unique on stderr, nothing on stdout",
          rc == 2 and "name-must-be-unique" in err and out == "", why(rc, out, err))
    rc, doc, err, _ = t.json("ms", "segments", "create", "--advertiser", ADV, "--name", "kiosk opt-in")
    doc = doc or {}
    probs = doc.get("problems") or [{}]
    check("ms create duplicate --json: item failed with its code, one error, the problem listed",
          rc == 2 and doc.get("items") == [{"index": 0, "ok": False, "id": None, "name": "kiosk opt-in",
                                            "code": "name-must-be-unique", "problems": 1}]
          and doc.get("errors") == 1 and doc.get("warnings") == 0 and doc.get("generalProblems") == 0
          and probs[0].get("item") == 0 and probs[0].get("warning") is False
          and probs[0].get("code") == "name-must-be-unique" and probs[0].get("type") == "validation"
          and probs[0].get("instance") == "@data/0" and probs[0].get("title") == "Segment name must be unique"
          and "already exists" in (probs[0].get("detail") or "") and doc.get("exitCode") == 2, (rc, doc))
    check("ms create duplicate --json: the problem carries the server's traceId",
          re.fullmatch(r"[0-9a-f]{32}", probs[0].get("traceId") or ""), probs[0])
    rc, out, err, _ = t.run("ms", "segments", "create", "--advertiser", ADV, "--name", "")
    check("ms create empty name: exit 2, name-must-not-be-empty",
          rc == 2 and "name-must-not-be-empty" in err and out == "", why(rc, out, err))
    check("ms create: failed items created nothing", len(t.entities()["ms_segments"]) == before,
          len(t.entities()["ms_segments"]))

    rc, out, err, _ = t.run("ms", "segments", "create", "--advertiser", ADV, "--name", "third",
                            "--name", "second", "--name", "fourth")
    ids = out.split()
    ms = t.entities()["ms_segments"]
    check("ms create 3 names, the 2nd taken: exit 2, two ids printed, both on the server",
          rc == 2 and len(ids) == 2 and [ms.get(i, {}).get("name") for i in ids] == ["third", "fourth"]
          and "item 1 (second) failed: name-must-be-unique" in err, why(rc, out, err))

    rc, out, err, _ = t.run("ms", "segments", "update", "--id", new_id, "--name", "renamed")
    seg = t.entities()["ms_segments"][new_id]
    check("ms update --name: exit 0, item 0 ok, renamed on the server, description kept",
          rc == 0 and items_of(out) == {0: ("ok", new_id, None)}
          and (seg["name"], seg["description"]) == ("renamed", "first"), (why(rc, out, err), seg))
    rc, out, err, _ = t.run("ms", "segments", "update", "--id", new_id, "--description", "second text")
    seg = t.entities()["ms_segments"][new_id]
    check("ms update --description: set on the server",
          rc == 0 and (seg["name"], seg["description"]) == ("renamed", "second text"), (rc, err, seg))
    rc, doc, err, _ = t.json("ms", "segments", "update", "--id", new_id, "--clear-description")
    seg = t.entities()["ms_segments"][new_id]
    check("ms update --clear-description: description null on the server",
          rc == 0 and seg["description"] is None and seg["name"] == "renamed"
          and (doc or {}).get("items") == [{"index": 0, "ok": True, "id": new_id}], (rc, doc, err, seg))
    rc, out, err, _ = t.run("ms", "segments", "update", "--id", new_id, "--name", "second")
    check("ms update to a taken name: exit 2, name-must-be-unique",
          rc == 2 and items_of(out) == {0: ("failed", "name-must-be-unique")}
          and "name-must-be-unique" in err, why(rc, out, err))
    rc, out, err, _ = t.run("ms", "segments", "update", "--id", UNKNOWN_SEG, "--name", "x")
    check("ms update of an unknown segment: exit 2, segment-not-found (a warning) names the item",
          rc == 2 and items_of(out) == {0: ("failed", "segment-not-found")}
          and ("item 0 (%s) failed: segment-not-found" % UNKNOWN_SEG) in err, why(rc, out, err))


def test_ms_sizes(t):
    t.fc.reset()
    a = create_ms(t, "sized")
    b = create_ms(t, "empty")
    path = t.write(["person%d@example.com" % i for i in range(7)])
    rc, out, err, _ = t.run("ms", "contacts", "add", "--segment", a, "--type", "email", "--input", path)
    check("sizes: upload of 7 e-mails", rc == 0, why(rc, out, err))
    rc, out, err, traffic = t.run("ms", "segments", "sizes", "--id", a, "--id", b, "--id", UNKNOWN_SEG)
    check("ms sizes: exit 2; 7, 0, and segment-not-found for the unknown id",
          rc == 2 and items_of(out) == {0: ("ok", a, 7), 1: ("ok", b, 0),
                                        2: ("failed", "segment-not-found")}
          and "segment-not-found" in err and traffic == 2, why(rc, out, err))
    rc, doc, err, _ = t.json("ms", "segments", "sizes", "--id", a, "--id", b)
    check("ms sizes --json: sizes per item, exit 0",
          rc == 0 and [(i.get("id"), i.get("size")) for i in (doc or {}).get("items", [])]
          == [(a, 7), (b, 0)] and doc.get("exitCode") == 0, (rc, doc, err))


# --------------------------------------------------------------------------
# MS delete: partial success in errors and warnings


def test_ms_delete_partial(t):
    t.fc.reset()
    a, c = create_ms(t, "to delete"), create_ms(t, "in use")
    keep = create_ms(t, "keep")
    rc, out, err, _ = t.run("ms", "audiences", "create", "--advertiser", ADV, "--name", "uses c",
                            "--algebra", json.dumps(algebra_and_not(c, keep)))
    check("delete: an audience uses segment C", rc == 0, why(rc, out, err))
    rc, out, err, traffic = t.run("ms", "segments", "delete", "--id", a, "--id", UNKNOWN_SEG, "--id", c)
    check("ms delete A,B,C: exit 2", rc == 2, why(rc, out, err))
    check("ms delete: exactly item 0 ok, item 1 segment-not-found, item 2 segment-must-not-be-used-in-audience",
          out.splitlines() == ["item 0 ok id=%s" % a, "item 1 failed: segment-not-found",
                               "item 2 failed: segment-must-not-be-used-in-audience"], out)
    check("ms delete: stderr names each failed item with its code",
          ("item 1 (%s) failed: segment-not-found" % UNKNOWN_SEG) in err
          and ("item 2 (%s) failed: segment-must-not-be-used-in-audience" % c) in err
          and "item 0" not in err, err)
    ms = t.entities()["ms_segments"]
    check("ms delete: A gone, C and the others kept", a not in ms and c in ms and keep in ms, sorted(ms))
    check("ms delete: one call", traffic == 2 and len(t.api_requests("DeleteAudienceSegments")) == 1, traffic)

    b2 = create_ms(t, "to delete 2")
    rc, doc, err, _ = t.json("ms", "segments", "delete", "--id", b2, "--id", UNKNOWN_SEG, "--id", c)
    doc = doc or {}
    check("ms delete --json: items with ok/code/problems",
          doc.get("items") == [{"index": 0, "ok": True, "id": b2},
                               {"index": 1, "ok": False, "id": UNKNOWN_SEG, "code": "segment-not-found",
                                "problems": 1},
                               {"index": 2, "ok": False, "id": c,
                                "code": "segment-must-not-be-used-in-audience", "problems": 1}],
          doc.get("items"))
    check("ms delete --json: the not-found is a warning, the in-use an error",
          (doc.get("errors"), doc.get("warnings"), doc.get("generalProblems"), doc.get("ok"),
           doc.get("failed"), doc.get("exitCode")) == (1, 1, 0, 1, 2, 2)
          and sorted((p.get("item"), p.get("warning"), p.get("code")) for p in doc.get("problems", []))
          == [(1, True, "segment-not-found"), (2, False, "segment-must-not-be-used-in-audience")],
          (doc.get("errors"), doc.get("warnings"), doc.get("problems")))


# --------------------------------------------------------------------------
# MS search: filters and paging


def test_ms_search(t):
    t.fc.reset()
    seeded = t.seed("ms", 1234, "bulk", advertiserId="6001")
    other = create_ms(t, "other advertiser", advertiser="6002")
    check("search: 1,234 segments seeded", len(seeded) == 1234, len(seeded))
    n0 = len(t.api_requests())
    rc, out, err, _ = t.run("ms", "segments", "search", "--advertiser", "6001", "--limit", "100")
    searches = t.api_requests("SearchAudienceSegments")
    lines = out.splitlines()
    listed = [l.split("  ")[0] for l in lines[:-1]]
    check("ms search --limit 100: exit 0, last line \"1234 segments (13 pages)\"",
          rc == 0 and lines and lines[-1] == "1234 segments (13 pages)", why(rc, out[-300:], err))
    check("ms search: 13 requests, offsets 0..1200 by 100",
          len(t.api_requests()) - n0 == 13
          and [r["query"] for r in searches] == ["limit=100&offset=%d" % (100 * i) for i in range(13)],
          [r["query"] for r in searches])
    check("ms search: each seeded segment listed exactly once",
          len(listed) == 1234 and sorted(listed) == sorted(seeded) and other not in listed,
          "%d listed, %d distinct" % (len(listed), len(set(listed))))
    first = lines[0].split("  ") if lines else []
    check("ms search: a line is ID  NAME  TYPE  advertiser=...",
          first[:4] == [seeded[0], "bulk-00001", "ContactList", "advertiser=6001"], lines[:1])

    rc, doc, err, _ = t.json("ms", "segments", "search", "--advertiser", "6001")
    doc = doc or {}
    segs = doc.get("segments", [])
    check("ms search --json (default page size 100): 1234 segments, totalItems 1234, pages 13",
          rc == 0 and len(segs) == 1234 and doc.get("totalItems") == 1234 and doc.get("pages") == 13
          and sorted(s.get("id") for s in segs) == sorted(seeded), (rc, len(segs), doc.get("pages")))
    s0 = segs[0] if segs else {}
    want_keys = {"id", "name", "description", "type", "kind", "advertiserId", "accountId", "retailerId",
                 "identifierType", "readOnly", "createdAt", "updatedAt", "truncated"}
    check("ms search --json: every field of a segment",
          set(s0) == want_keys and s0.get("name") == "bulk-00001" and s0.get("type") == "ContactList"
          and s0.get("advertiserId") == "6001" and s0.get("readOnly") is False
          and s0.get("description") is None and s0.get("createdAt"), s0)

    rc, out, err, _ = t.run("ms", "segments", "search", "--advertiser", "6001", "--id", seeded[5],
                            "--id", seeded[700], "--id", other)
    check("ms search --id filters (and the advertiser too)",
          rc == 0 and [l.split("  ")[0] for l in out.splitlines()[:-1]] == [seeded[5], seeded[700]]
          and out.splitlines()[-1] == "2 segments (1 page)", why(rc, out, err))
    body = last_body(t, "SearchAudienceSegments")
    check("ms search: the filter went in the body",
          body.get("data", {}).get("attributes") == {"advertiserIds": ["6001"],
                                                      "audienceSegmentIds": [seeded[5], seeded[700], other]},
          body)
    rc, out, err, _ = t.run("ms", "segments", "search", "--advertiser", "6001", "--type", "InMarket")
    check("ms search --type InMarket: none", rc == 0 and out == "0 segments (1 page)\n", why(rc, out, err))
    rc, out, err, _ = t.run("ms", "segments", "search", "--advertiser", "6001", "--type", "ContactList",
                            "--limit", "500")
    check("ms search --limit 500: usage error (MS pages hold at most 100)", rc == 1, why(rc, out, err))


def last_body(t, operation):
    reqs = t.api_requests(operation)
    if not reqs or not reqs[-1].get("body_file"):
        return {}
    with open(os.path.join(t.bodies, reqs[-1]["body_file"]), encoding="utf-8") as f:
        return json.load(f)


# --------------------------------------------------------------------------
# MS contact list: stats and wipe


def test_ms_wipe_stats(t):
    t.fc.reset()
    seg = create_ms(t, "contacts")
    path = t.write(["buyer%d@example.com" % i for i in range(10)])
    rc, out, err, _ = t.run("ms", "contacts", "add", "--segment", seg, "--type", "email", "--input", path)
    check("stats: 10 e-mails uploaded", rc == 0 and len(t.fc.segment(seg)) == 10, why(rc, out, err))
    rc, out, err, _ = t.run("ms", "contacts", "stats", "--segment", seg)
    check("ms stats: identifiers, matches, match rate",
          rc == 0 and out == "segment %s: identifiers=10 matches=6 matchRate=0.6\n" % seg, why(rc, out, err))
    rc, doc, err, _ = t.json("ms", "contacts", "stats", "--segment", seg)
    check("ms stats --json", rc == 0 and doc == {"segment": seg, "identifiers": 10, "matches": 6,
                                                 "matchRate": 0.6, "error": None, "exitCode": 0}, (rc, doc))
    rc, out, err, traffic = t.run("ms", "contacts", "wipe", "--segment", seg)
    check("ms wipe: exit 0, the list is empty, the segment stays",
          rc == 0 and t.fc.segment(seg) == [] and seg in t.entities()["ms_segments"]
          and len(t.api_requests("DeleteContactListByAudienceSegment")) == 1, why(rc, out, err))
    rc, out, err, _ = t.run("ms", "contacts", "stats", "--segment", seg)
    check("ms stats after the wipe: 0 identifiers",
          rc == 0 and "identifiers=0 matches=0" in out, why(rc, out, err))
    rc, doc, err, _ = t.json("ms", "contacts", "wipe", "--segment", seg)
    check("ms wipe --json", rc == 0 and doc == {"segment": seg, "operation": "wipe", "error": None,
                                                "exitCode": 0}, (rc, doc))
    rc, out, err, _ = t.run("ms", "contacts", "stats", "--segment", UNKNOWN_SEG)
    check("ms stats of an unknown segment: exit 5 with the API's code",
          rc == 5 and "segment-not-found" in err, why(rc, out, err))
    rc, doc, err, _ = t.json("ms", "contacts", "wipe", "--segment", UNKNOWN_SEG)
    check("ms wipe of an unknown segment --json: error object, exit 5",
          rc == 5 and (doc or {}).get("exitCode") == 5
          and (doc or {}).get("error", {}).get("code") == "CRTO_ERR_NOT_FOUND"
          and (doc or {}).get("error", {}).get("httpStatus") == 404, (rc, doc, err))


# --------------------------------------------------------------------------
# MS audiences


def test_ms_audiences(t):
    t.fc.reset()
    s1, s2 = create_ms(t, "buyers"), create_ms(t, "churned")
    algebra = algebra_and_not(s1, s2)
    rc, out, err, traffic = t.run("ms", "audiences", "create", "--advertiser", ADV, "--name", "buyers not churned",
                                  "--description", "combo", "--algebra", json.dumps(algebra))
    aid = out.strip()
    aud = t.entities()["ms_audiences"].get(aid, {})
    check("ms audiences create: exit 0, the new id, the server's algebra is the one given",
          rc == 0 and re.fullmatch(r"\d+", aid) and aud.get("algebra") == algebra
          and aud.get("name") == "buyers not churned" and aud.get("description") == "combo",
          (why(rc, out, err), aud))
    rc, out, err, _ = t.run("ms", "audiences", "search", "--advertiser", ADV)
    lines = out.splitlines()
    check("ms audiences search: the audience with its algebra, \"1 audience (1 page)\"",
          rc == 0 and len(lines) == 2 and lines[0].startswith("%s  buyers not churned  advertiser=%s" % (aid, ADV))
          and ("algebra=" in lines[0]) and lines[1] == "1 audience (1 page)", why(rc, out, err))
    rc, doc, err, _ = t.json("ms", "audiences", "search", "--advertiser", ADV)
    a0 = ((doc or {}).get("audiences") or [{}])[0]
    check("ms audiences search --json: the algebra embedded as JSON, every field",
          rc == 0 and a0.get("id") == aid and a0.get("algebra") == algebra and a0.get("adSets") == 0
          and a0.get("advertiserId") == ADV and a0.get("description") == "combo"
          and set(a0) == {"id", "name", "description", "advertiserId", "accountId", "retailerId", "algebra",
                          "adSets", "createdAt", "updatedAt", "truncated"}
          and doc.get("totalItems") == 1 and doc.get("pages") == 1, (rc, doc))
    rc, out, err, _ = t.run("ms", "audiences", "search", "--advertiser", "6009")
    check("ms audiences search of another advertiser: none", rc == 0 and out == "0 audiences (1 page)\n",
          why(rc, out, err))

    for bad in ('{"and":[]}', "not json", '{"audienceSegmentId":"12a"}', '{"not":[{"audienceSegmentId":"1"}]}',
                '{"and":[{"audienceSegmentId":"1"}],"or":[{"audienceSegmentId":"2"}]}', "[]",
                json.dumps(nest(12))):
        rc, out, err, traffic = t.run("ms", "audiences", "create", "--advertiser", ADV, "--name", "bad",
                                      "--algebra", bad)
        check("ms audiences create --algebra %s: exit 1, no traffic, a reason" % short(bad, 40),
              rc == 1 and traffic == 0 and "algebra" in err.lower() and out == "", why(rc, out, err))
    rc, out, err, _ = t.run("ms", "audiences", "create", "--advertiser", ADV, "--name", "ghost",
                            "--algebra", json.dumps({"or": [{"audienceSegmentId": s1},
                                                            {"audienceSegmentId": UNKNOWN_SEG}]}))
    check("ms audiences create over an unknown segment: exit 2, segment-not-found",
          rc == 2 and "segment-not-found" in err and out == "", why(rc, out, err))

    rc, out, err, _ = t.run("ms", "audiences", "delete", "--id", aid, "--id", "123456789")
    check("ms audiences delete A, unknown: exit 2, item 0 ok, item 1 audience-not-found, A gone",
          rc == 2 and items_of(out) == {0: ("ok", aid, None), 1: ("failed", "audience-not-found")}
          and aid not in t.entities()["ms_audiences"], why(rc, out, err))
    rc, out, err, _ = t.run("ms", "segments", "delete", "--id", s1, "--id", s2)
    check("ms segments delete once the audience is gone: exit 0",
          rc == 0 and items_of(out) == {0: ("ok", s1, None), 1: ("ok", s2, None)}, why(rc, out, err))


# --------------------------------------------------------------------------
# update of several ids: the same changes, one bulk PATCH


def test_update_many(t):
    t.fc.reset()
    a, c = create_ms(t, "A"), create_ms(t, "C")
    rc, out, err, traffic = t.run("ms", "segments", "update", "--id", a, "--id", UNKNOWN_SEG, "--id", c,
                                  "--name", "same name")
    check("ms update A,unknown,C --name: exit 2", rc == 2, why(rc, out, err))
    check("ms update A,unknown,C: exactly item 0 ok, item 1 segment-not-found, item 2 name-must-be-unique",
          out.splitlines() == ["item 0 ok id=%s" % a, "item 1 failed: segment-not-found",
                               "item 2 failed: name-must-be-unique"], out)
    check("ms update A,unknown,C: stderr names items 1 and 2 with their codes, not item 0",
          ("item 1 (%s) failed: segment-not-found" % UNKNOWN_SEG) in err
          and ("item 2 (%s) failed: name-must-be-unique" % c) in err and "item 0" not in err, err)
    ms = t.entities()["ms_segments"]
    check("ms update A,unknown,C: A renamed, C kept its name",
          (ms[a]["name"], ms[c]["name"]) == ("same name", "C"), (ms[a]["name"], ms[c]["name"]))
    body = last_body(t, "UpdateAudienceSegments")
    check("ms update A,unknown,C: one PATCH holding the three ids with the same change",
          traffic == 2 and len(t.api_requests("UpdateAudienceSegments")) == 1
          and [(d.get("id"), d.get("attributes")) for d in body.get("data", [])]
          == [(i, {"name": "same name"}) for i in (a, UNKNOWN_SEG, c)], (traffic, body))
    rc, doc, err, _ = t.json("ms", "segments", "update", "--id", a, "--id", UNKNOWN_SEG, "--id", c,
                             "--name", "same name")
    doc = doc or {}
    check("ms update A,unknown,C --json: exactly those items",
          doc.get("items") == [{"index": 0, "ok": True, "id": a},
                               {"index": 1, "ok": False, "id": UNKNOWN_SEG, "code": "segment-not-found",
                                "problems": 1},
                               {"index": 2, "ok": False, "id": c, "code": "name-must-be-unique", "problems": 1}]
          and (doc.get("ok"), doc.get("failed"), doc.get("errors"), doc.get("warnings"),
               doc.get("generalProblems"), doc.get("exitCode"), doc.get("error")) == (1, 2, 1, 1, 0, 2, None)
          and sorted((p.get("item"), p.get("warning"), p.get("code")) for p in doc.get("problems", []))
          == [(1, True, "segment-not-found"), (2, False, "name-must-be-unique")], (rc, doc, err))
    check("ms update A,unknown,C --json: exit 2, stderr still names items 1 and 2",
          rc == 2 and "item 1 (%s) failed: segment-not-found" % UNKNOWN_SEG in err
          and "item 2 (%s) failed: name-must-be-unique" % c in err, (rc, err))

    rc, out, err, _ = t.run("ms", "segments", "update", "--id", a, "--id", c, "--description", "shared")
    ms = t.entities()["ms_segments"]
    check("ms update A,C --description: exit 0, both set, names kept",
          rc == 0 and items_of(out) == {0: ("ok", a, None), 1: ("ok", c, None)}
          and [(ms[i]["name"], ms[i]["description"]) for i in (a, c)] == [("same name", "shared"), ("C", "shared")],
          (why(rc, out, err), [ms[i] for i in (a, c)]))
    rc, doc, err, _ = t.json("ms", "segments", "update", "--id", c, "--id", a, "--clear-description")
    ms = t.entities()["ms_segments"]
    check("ms update C,A --clear-description --json: both ok in that order, both null on the server",
          rc == 0 and (doc or {}).get("items") == [{"index": 0, "ok": True, "id": c}, {"index": 1, "ok": True, "id": a}]
          and ms[a]["description"] is None and ms[c]["description"] is None, (rc, doc, err))

    ra, rb = create_rm(t, "rm one"), create_rm(t, "rm two")
    rc, out, err, traffic = t.run("rm", "segments", "update", "--account", ACC, "--id", ra, "--id", UNKNOWN_SEG,
                                  "--id", rb, "--description", "rm shared")
    rm = t.entities()["rm_segments"]
    check("rm update A,unknown,B --description: exit 2, items ok / segment-not-found / ok, one PATCH",
          rc == 2 and items_of(out) == {0: ("ok", ra, None), 1: ("failed", "segment-not-found"), 2: ("ok", rb, None)}
          and ("item 1 (%s) failed: segment-not-found" % UNKNOWN_SEG) in err
          and [rm[i]["description"] for i in (ra, rb)] == ["rm shared", "rm shared"]
          and [rm[i]["name"] for i in (ra, rb)] == ["rm one", "rm two"]
          and traffic == 2 and len(t.api_requests("bulkUpdateAudienceSegments")) == 1, why(rc, out, err))
    rc, doc, err, _ = t.json("rm", "segments", "update", "--account", ACC, "--id", rb, "--name", "rm one")
    check("rm update (single id) to a taken name --json: exit 2, name-must-be-unique",
          rc == 2 and (doc or {}).get("items") == [{"index": 0, "ok": False, "id": rb, "code": "name-must-be-unique",
                                                   "problems": 1}], (rc, doc, err))


# --------------------------------------------------------------------------
# MS in-market: brands, interests, estimate


def test_ms_in_market(t):
    t.fc.reset()
    rc, out, err, traffic = t.run("ms", "segments", "in-market-brands", "--advertiser", ADV, "--country", "FR")
    want = ["%s  %s  %d" % (bid, name, stable_size("FR", bid) * 10) for bid, name in IN_MARKET_BRANDS]
    check("in-market-brands: exit 0, one line per brand: ID  NAME  SIZE (the fake's sizes for FR)",
          rc == 0 and out.splitlines() == want and err == "", (why(rc, out, err), want))
    reqs = t.api_requests("GetAudienceSegmentsInMarketBrands")
    check("in-market-brands: one GET with advertiser-id and country",
          traffic == 2 and [(r["method"], r["query"]) for r in reqs] == [("GET", "advertiser-id=%s&country=FR" % ADV)],
          [(r.get("method"), r.get("query")) for r in reqs])
    rc, doc, err, _ = t.json("ms", "segments", "in-market-brands", "--advertiser", ADV, "--country", "de")
    check("in-market-brands --json --country de: sent as DE, every brand with its size",
          rc == 0 and doc == {"brands": [{"id": bid, "name": name, "size": stable_size("DE", bid) * 10}
                                         for bid, name in IN_MARKET_BRANDS],
                              "count": len(IN_MARKET_BRANDS), "error": None, "exitCode": 0}
          and t.api_requests("GetAudienceSegmentsInMarketBrands")[-1]["query"].endswith("country=DE"), (rc, doc, err))
    sizes = [b["size"] for b in (doc or {}).get("brands", [])]
    check("in-market-brands: sizes are positive counts", sizes and all(x > 0 for x in sizes), sizes)

    rc, out, err, _ = t.run("ms", "segments", "in-market-interests", "--advertiser", ADV, "--country", "FR")
    check("in-market-interests: exit 0, one line per interest: ID  PARENT_ID (- for a root)",
          rc == 0 and out.splitlines() == ["%s  %s" % (iid, parent or "-") for iid, parent in IN_MARKET_INTERESTS],
          why(rc, out, err))
    rc, doc, err, _ = t.json("ms", "segments", "in-market-interests", "--advertiser", ADV, "--country", "FR")
    check("in-market-interests --json: ids and parents (null for roots)",
          rc == 0 and doc == {"interests": [{"id": iid, "parentId": parent} for iid, parent in IN_MARKET_INTERESTS],
                              "count": len(IN_MARKET_INTERESTS), "error": None, "exitCode": 0}, (rc, doc, err))

    rc, out, err, traffic = t.run("ms", "segments", "estimate", "--advertiser", ADV, "--country", "fr",
                                  "--brand", "1001", "--brand", "1003", "--interest", "166", "--gender", "female")
    targeting = {"country": "FR", "brandIds": ["1001", "1003"], "interestIds": ["166"], "gender": "Female"}
    check("segments estimate: exit 0, only the size (the fake's estimate for that targeting)",
          rc == 0 and out == "%d\n" % stable_size(ADV, "inMarket", targeting) and traffic == 2, why(rc, out, err))
    body = last_body(t, "EstimateAudienceSegmentsSizes")
    check("segments estimate: the body holds the advertiser and the in-market targeting",
          body.get("data", {}).get("attributes") == {"advertiserId": ADV, "inMarket": targeting}, body)
    rc, doc, err, _ = t.json("ms", "segments", "estimate", "--advertiser", ADV, "--country", "FR")
    size = stable_size(ADV, "inMarket", {"country": "FR"})
    check("segments estimate --json (country only): {size, error null, exitCode 0}",
          rc == 0 and doc == {"size": size, "error": None, "exitCode": 0} and size >= 0, (rc, doc, err))
    rc, doc, err, traffic = t.json("ms", "segments", "estimate", "--advertiser", "x1", "--country", "FR")
    check("segments estimate --json with a bad advertiser: exit 1, no traffic, size null, the library's error",
          rc == 1 and traffic == 0 and (doc or {}).get("size", 0) is None
          and (doc or {}).get("error", {}).get("code") == "CRTO_ERR_INVALID_ID" and doc.get("exitCode") == 1,
          (rc, doc, err))
    for args in (["in-market-brands", "--advertiser", ADV, "--country", "France"],
                 ["in-market-interests", "--advertiser", ADV, "--country", "France"],
                 ["estimate", "--advertiser", ADV, "--country", "France"]):
        rc, out, err, traffic = t.run("ms", "segments", *args)
        check("%s --country France: exit 1, no traffic, the reason" % args[0],
              rc == 1 and traffic == 0 and out == "" and "--country" in err and "France" in err, why(rc, out, err))


# --------------------------------------------------------------------------
# MS audiences: update, sizes, estimate


def test_ms_audience_sizes(t):
    t.fc.reset()
    s1, s2 = create_ms(t, "ten"), create_ms(t, "ten more")
    for seg, lo in ((s1, 0), (s2, 5)):
        path = t.write(["member%d@example.com" % i for i in range(lo, lo + 10)])
        rc, out, err, _ = t.run("ms", "contacts", "add", "--segment", seg, "--type", "email", "--input", path)
        check("audience sizes: 10 e-mails into segment %s" % seg, rc == 0 and len(t.fc.segment(seg)) == 10,
              why(rc, out, err))
    # s1 = members 0-9, s2 = members 5-14
    both = {"and": [{"audienceSegmentId": s1}, {"audienceSegmentId": s2}]}
    either = {"or": [{"audienceSegmentId": s1}, {"audienceSegmentId": s2}]}
    ids = []
    for name, algebra in (("only the first", algebra_and_not(s1, s2)), ("either", either)):
        rc, out, err, _ = t.run("ms", "audiences", "create", "--advertiser", ADV, "--name", name,
                                "--description", "d", "--algebra", json.dumps(algebra))
        check("audience sizes: create %r" % name, rc == 0 and re.fullmatch(r"\d+", out.strip()), why(rc, out, err))
        ids.append(out.strip())
    a1, a2 = ids

    rc, out, err, traffic = t.run("ms", "audiences", "sizes", "--id", a1, "--id", a2, "--id", "123456789")
    check("audiences sizes: exit 2; 5 (and-not), 15 (or), audience-not-found, one call",
          rc == 2 and items_of(out) == {0: ("ok", a1, 5), 1: ("ok", a2, 15), 2: ("failed", "audience-not-found")}
          and "item 2 (123456789) failed: audience-not-found" in err and traffic == 2
          and len(t.api_requests("ComputeAudiencesSizes")) == 1, why(rc, out, err))
    rc, doc, err, _ = t.json("ms", "audiences", "sizes", "--id", a2, "--id", a1)
    check("audiences sizes --json: sizes per item in request order, exit 0",
          rc == 0 and (doc or {}).get("items") == [{"index": 0, "ok": True, "id": a2, "size": 15},
                                                   {"index": 1, "ok": True, "id": a1, "size": 5}]
          and doc.get("exitCode") == 0, (rc, doc, err))

    rc, out, err, traffic = t.run("ms", "audiences", "estimate", "--advertiser", ADV, "--algebra", json.dumps(both))
    check("audiences estimate and(s1, s2): exit 0, 5 (members 5-9), one call",
          rc == 0 and out == "5\n" and traffic == 2 and len(t.api_requests("EstimateAudiencesSizes")) == 1,
          why(rc, out, err))
    body = last_body(t, "EstimateAudiencesSizes")
    check("audiences estimate: the body holds the advertiser and the algebra",
          body.get("data", {}).get("attributes") == {"advertiserId": ADV, "algebra": both}, body)
    rc, doc, err, _ = t.json("ms", "audiences", "estimate", "--advertiser", ADV, "--algebra", json.dumps(either))
    check("audiences estimate or(s1, s2) --json: size 15, the same as the audience's computed size",
          rc == 0 and doc == {"size": 15, "error": None, "exitCode": 0}, (rc, doc, err))
    ghost = {"or": [{"audienceSegmentId": s1}, {"audienceSegmentId": UNKNOWN_SEG}]}
    rc, doc, err, _ = t.json("ms", "audiences", "estimate", "--advertiser", ADV, "--algebra", json.dumps(ghost))
    check("audiences estimate over an unknown segment (answer without a size): exit 5, size null",
          rc == 5 and (doc or {}).get("size", 0) is None and (doc or {}).get("exitCode") == 5
          and (doc or {}).get("error", {}).get("code") and "size" in err, (rc, doc, err))

    rc, out, err, traffic = t.run("ms", "audiences", "update", "--id", a1, "--id", a2, "--description", "both")
    auds = t.entities()["ms_audiences"]
    body = last_body(t, "UpdateAudiences")
    check("audiences update A1,A2 --description: exit 0, both set, names and algebras kept, one PATCH",
          rc == 0 and items_of(out) == {0: ("ok", a1, None), 1: ("ok", a2, None)}
          and [(auds[i]["name"], auds[i]["description"]) for i in (a1, a2)]
          == [("only the first", "both"), ("either", "both")] and auds[a2]["algebra"] == either
          and traffic == 2 and [d.get("id") for d in body.get("data", [])] == [a1, a2], (why(rc, out, err), body))
    rc, out, err, _ = t.run("ms", "audiences", "update", "--id", a1, "--name", "second only",
                            "--algebra", json.dumps({"or": [{"audienceSegmentId": s2}]}))
    aud = t.entities()["ms_audiences"][a1]
    check("audiences update --name --algebra: renamed, new algebra on the server, description kept",
          rc == 0 and items_of(out) == {0: ("ok", a1, None)}
          and (aud["name"], aud["description"], aud["algebra"])
          == ("second only", "both", {"or": [{"audienceSegmentId": s2}]}), (why(rc, out, err), aud))
    rc, out, err, _ = t.run("ms", "audiences", "sizes", "--id", a1)
    check("audiences sizes after the new algebra: 10", rc == 0 and items_of(out) == {0: ("ok", a1, 10)},
          why(rc, out, err))
    rc, doc, err, _ = t.json("ms", "audiences", "update", "--id", a1, "--id", "123456789", "--clear-description")
    doc = doc or {}
    check("audiences update A1,unknown --clear-description --json: ok, audience-not-found (a warning), exit 2",
          rc == 2 and doc.get("items") == [{"index": 0, "ok": True, "id": a1},
                                           {"index": 1, "ok": False, "id": "123456789",
                                            "code": "audience-not-found", "problems": 1}]
          and (doc.get("errors"), doc.get("warnings"), doc.get("exitCode")) == (0, 1, 2)
          and t.entities()["ms_audiences"][a1]["description"] is None, (rc, doc, err))
    rc, out, err, _ = t.run("ms", "audiences", "update", "--id", a2, "--algebra", json.dumps(ghost))
    check("audiences update to an algebra over an unknown segment: exit 2, segment-not-found, algebra kept",
          rc == 2 and items_of(out) == {0: ("failed", "segment-not-found")}
          and ("item 0 (%s) failed: segment-not-found" % a2) in err
          and t.entities()["ms_audiences"][a2]["algebra"] == either, why(rc, out, err))
    for bad in ('{"or":[]}', "not json", '{"not":{"audienceSegmentId":"x"}}'):
        for args in (["update", "--id", a1, "--algebra", bad], ["estimate", "--advertiser", ADV, "--algebra", bad]):
            rc, out, err, traffic = t.run("ms", "audiences", *args)
            check("audiences %s --algebra %s: exit 1, no traffic, a reason" % (args[0], short(bad, 40)),
                  rc == 1 and traffic == 0 and out == "" and "algebra" in err.lower(), why(rc, out, err))


def nest(depth):
    node = {"audienceSegmentId": "1"}
    for _ in range(depth):
        node = {"not": node}
    return node


# --------------------------------------------------------------------------
# Retail Media


def test_rm_segments(t):
    t.fc.reset()
    rc, out, err, _ = t.run("rm", "segments", "create", "--account", ACC, "--retailer", RET,
                            "--name", "rm kiosk", "--identifier-type", "Email", "--description", "d1")
    a = out.strip()
    seg = t.entities()["rm_segments"].get(a, {})
    check("rm create: exit 0, the id, the server holds it (account, retailer, Email)",
          rc == 0 and re.fullmatch(r"\d+", a)
          and (seg.get("accountId"), seg.get("retailerId"), seg.get("name"), seg.get("description"),
               seg.get("contactList", {}).get("identifierType")) == (ACC, RET, "rm kiosk", "d1", "Email"),
          (why(rc, out, err), seg))
    check("rm create: ids beyond 2^53 kept exactly", int(a) > 2 ** 53, a)
    rc, doc, err, _ = t.json("rm", "segments", "create", "--account", ACC, "--retailer", RET,
                             "--name", "rm kiosk", "--identifier-type", "Email")
    doc = doc or {}
    check("rm create duplicate: exit 2, name-must-be-unique sent as a warning",
          rc == 2 and doc.get("items", [{}])[0].get("code") == "name-must-be-unique"
          and (doc.get("errors"), doc.get("warnings")) == (0, 1), (rc, doc, err))
    rc, out, err, _ = t.run("rm", "segments", "create", "--account", ACC, "--retailer", RET,
                            "--name", "", "--identifier-type", "PhoneNumber")
    check("rm create empty name: exit 2, name-must-not-be-empty", rc == 2 and "name-must-not-be-empty" in err,
          why(rc, out, err))
    for itype in ("Gum", "email", "Madid"):
        rc, out, err, traffic = t.run("rm", "segments", "create", "--account", ACC, "--retailer", RET,
                                      "--name", "x", "--identifier-type", itype)
        check("rm create --identifier-type %s: exit 1, no traffic" % itype, rc == 1 and traffic == 0,
              why(rc, out, err))
    b = create_rm(t, "rm customers", "CustomerId")

    rc, out, err, _ = t.run("rm", "segments", "update", "--account", ACC, "--id", a, "--name", "rm renamed")
    seg = t.entities()["rm_segments"][a]
    check("rm update --name", rc == 0 and items_of(out) == {0: ("ok", a, None)}
          and (seg["name"], seg["description"]) == ("rm renamed", "d1"), (why(rc, out, err), seg))
    rc, out, err, _ = t.run("rm", "segments", "update", "--account", ACC, "--id", a, "--description", "d2")
    check("rm update --description", rc == 0 and t.entities()["rm_segments"][a]["description"] == "d2",
          why(rc, out, err))
    rc, out, err, _ = t.run("rm", "segments", "update", "--account", ACC, "--id", a, "--clear-description")
    check("rm update --clear-description: null on the server",
          rc == 0 and t.entities()["rm_segments"][a]["description"] is None, why(rc, out, err))
    rc, out, err, _ = t.run("rm", "segments", "update", "--account", "7002", "--id", a, "--name", "z")
    check("rm update in another account: exit 2, segment-not-found",
          rc == 2 and items_of(out) == {0: ("failed", "segment-not-found")}, why(rc, out, err))

    # search: seeded segments, two retailers, paging at 100 and at the maximum 500
    seeded = t.seed("rm", 1234, "rm-bulk", accountId=ACC, retailerId="8002")
    rc, out, err, _ = t.run("rm", "segments", "search", "--account", ACC, "--retailer", "8002", "--limit", "100")
    listed = [l.split("  ")[0] for l in out.splitlines()[:-1]]
    check("rm search --retailer --limit 100: 1234 segments (13 pages), each once",
          rc == 0 and out.splitlines()[-1:] == ["1234 segments (13 pages)"] and sorted(listed) == sorted(seeded),
          why(rc, out[-200:], err))
    rc, doc, err, _ = t.json("rm", "segments", "search", "--account", ACC)
    segs = (doc or {}).get("segments", [])
    check("rm search --json (default page size 500): 1236 segments in 3 pages",
          rc == 0 and len(segs) == 1236 and doc.get("pages") == 3 and doc.get("totalItems") == 1236
          and len({s["id"] for s in segs}) == 1236, (rc, len(segs), (doc or {}).get("pages")))
    s_a = next((s for s in segs if s.get("id") == a), {})
    check("rm search --json: account, retailer, identifier type of a segment",
          (s_a.get("accountId"), s_a.get("retailerId"), s_a.get("identifierType"), s_a.get("name"),
           s_a.get("type")) == (ACC, RET, "Email", "rm renamed", "ContactList"), s_a)
    rc, out, err, _ = t.run("rm", "segments", "search", "--account", ACC, "--retailer", RET)
    check("rm search --retailer: the two created ones",
          rc == 0 and sorted(l.split("  ")[0] for l in out.splitlines()[:-1]) == sorted([a, b]), why(rc, out, err))

    # delete: ok, unknown, used by an audience
    aud = t.rm_audience(accountId=ACC, retailerId=RET, name="rm aud",
                        algebra={"or": [{"audienceSegmentId": b}, {"audienceSegmentId": seeded[0]}]})
    rc, out, err, _ = t.run("rm", "segments", "delete", "--account", ACC, "--id", a, "--id", UNKNOWN_SEG,
                            "--id", b)
    check("rm delete A, unknown, used: exit 2 with each outcome",
          rc == 2 and items_of(out) == {0: ("ok", a, None), 1: ("failed", "segment-not-found"),
                                        2: ("failed", "segment-must-not-be-used-in-audience")}
          and a not in t.entities()["rm_segments"] and b in t.entities()["rm_segments"], why(rc, out, err))

    rc, out, err, _ = t.run("rm", "audiences", "search", "--account", ACC)
    lines = out.splitlines()
    check("rm audiences search: the audience, account and retailer shown",
          rc == 0 and len(lines) == 2 and lines[0].startswith("%s  rm aud  account=%s  retailer=%s" % (aud, ACC, RET))
          and lines[1] == "1 audience (1 page)", why(rc, out, err))
    rc, doc, err, _ = t.json("rm", "audiences", "search", "--account", ACC, "--retailer", "8009")
    check("rm audiences search --retailer of none: empty", rc == 0 and (doc or {}).get("audiences") == [],
          (rc, doc))
    rc, doc, err, _ = t.json("rm", "audiences", "search", "--account", ACC, "--retailer", RET)
    a0 = ((doc or {}).get("audiences") or [{}])[0]
    check("rm audiences search --json: algebra embedded",
          rc == 0 and a0.get("id") == aud and a0.get("algebra") == {"or": [{"audienceSegmentId": b},
                                                                          {"audienceSegmentId": seeded[0]}]}
          and a0.get("accountId") == ACC, (rc, doc))


def test_rm_contacts(t):
    t.fc.reset()
    seg = create_rm(t, "rm contacts")
    emails = ["shopper%d@example.com" % i for i in range(20)]
    rc, doc, err, _ = t.json("rm", "contacts", "add", "--segment", seg, "--type", "Email",
                             "--input", t.write(emails[:10]))
    check("rm contacts add (spec answer shape): exit 0, 10 valid",
          rc == 0 and (doc or {}).get("nbValidIdentifiers") == 10 and len(t.fc.segment(seg)) == 10, (rc, doc, err))
    t.fc.fault(mode="rm_wrapped_counts", count=1)
    rc, doc, err, _ = t.json("rm", "contacts", "add", "--segment", seg, "--type", "Email",
                             "--input", t.write(emails[10:]))
    wrapped = [r for r in t.api_requests("AddRemoveContactListByAudienceSegment")
               if "rm_wrapped_counts" in (r.get("fault") or [])]
    check("rm contacts add (the guide's wrapped shape): exit 0, 10 valid",
          rc == 0 and (doc or {}).get("nbValidIdentifiers") == 10 and len(t.fc.segment(seg)) == 20
          and len(wrapped) == 1, (rc, doc, err, len(wrapped)))
    rc, out, err, _ = t.run("rm", "contacts", "stats", "--account", ACC, "--segment", seg)
    check("rm stats: identifiers=20 matches=12 matchRate=0.6",
          rc == 0 and out == "segment %s: identifiers=20 matches=12 matchRate=0.6\n" % seg, why(rc, out, err))
    rc, out, err, _ = t.run("rm", "contacts", "stats", "--account", "7002", "--segment", seg)
    check("rm stats in another account: exit 5, segment-not-found", rc == 5 and "segment-not-found" in err,
          why(rc, out, err))
    rc, out, err, _ = t.run("rm", "contacts", "clear", "--segment", seg)
    check("rm clear (204): exit 0, the list is empty",
          rc == 0 and out == "cleared the contact list of segment %s\n" % seg and t.fc.segment(seg) == [],
          why(rc, out, err))
    rc, out, err, _ = t.run("rm", "contacts", "add", "--segment", seg, "--type", "Email",
                            "--input", t.write(emails[:3]))
    t.fc.fault(mode="clear_201", count=1)
    rc, doc, err, _ = t.json("rm", "contacts", "clear", "--segment", seg)
    statuses = [r["status"] for r in t.api_requests("ClearContactListByAudienceSegment")]
    check("rm clear answered 201 (the guide): exit 0, empty",
          rc == 0 and doc == {"segment": seg, "operation": "clear", "error": None, "exitCode": 0}
          and statuses == [204, 201] and t.fc.segment(seg) == [], (rc, doc, err, statuses))
    rc, out, err, _ = t.run("rm", "contacts", "clear", "--segment", UNKNOWN_SEG)
    check("rm clear of an unknown segment: exit 5", rc == 5, why(rc, out, err))


# --------------------------------------------------------------------------
# usage: exit 1, nothing sent


def test_usage(t):
    t.fc.reset()
    ids65 = []
    for i in range(65):
        ids65 += ["--id", str(i + 1)]
    cases = [
        ["ms", "segments"],
        ["ms", "segments", "frobnicate"],
        ["rm", "segments", "sizes", "--id", "1"],
        ["ms", "segments", "search"],
        ["ms", "segments", "search", "--advertiser", "1", "--limit", "0"],
        ["ms", "segments", "search", "--advertiser", "1", "--limit", "101"],
        ["ms", "segments", "search", "--advertiser", "1", "--limit", "ten"],
        ["ms", "segments", "search", "--advertiser", "1", "--type", "Bogus"],
        ["ms", "segments", "search", "--advertiser", "x1"],
        ["ms", "segments", "search", "--advertiser", "1", "--id", "2", "--id", "3b"],
        ["ms", "segments", "create", "--advertiser", "1"],
        ["ms", "segments", "create", "--name", "a"],
        ["ms", "segments", "create", "--advertiser", "1", "--advertiser", "2", "--name", "a"],
        ["ms", "segments", "create", "--advertiser", "1", "--name", "a", "--bogus"],
        ["ms", "segments", "create", "--advertiser", "1", "--name"],
        ["ms", "segments", "create", "--advertiser", "1,2", "--name", "a"],
        ["ms", "segments", "update", "--id", "1"],
        ["ms", "segments", "update", "--id", "1", "--description", "a", "--clear-description"],
        ["ms", "segments", "update", "--name", "a"],
        ["ms", "segments", "update", "--id", "-1", "--name", "a"],
        ["ms", "segments", "delete"],
        ["ms", "segments", "delete", "--id", "1", "--id", "abc"],
        ["ms", "segments", "delete", "--id", "123456789012345678901"],
        ["ms", "segments", "delete"] + ids65,
        ["ms", "segments", "sizes", "--id", ""],
        ["ms", "contacts", "wipe"],
        ["ms", "contacts", "wipe", "--segment", "1x"],
        ["ms", "contacts", "clear", "--segment", "1"],
        ["ms", "contacts", "stats", "--segment", "1", "--account", "2"],
        ["rm", "contacts", "wipe", "--segment", "1"],
        ["rm", "contacts", "stats", "--segment", "1"],
        ["rm", "contacts", "stats", "--account", "a", "--segment", "1"],
        ["rm", "contacts", "clear", "--segment", " 1"],
        ["ms", "audiences", "create", "--advertiser", "1", "--name", "a"],
        ["ms", "audiences", "create", "--advertiser", "1", "--name", "a", "--algebra", '{"or":[]}'],
        ["ms", "audiences", "update", "--id", "1"],
        ["ms", "audiences", "update", "--name", "x"],
        ["ms", "audiences", "update", "--id", "1", "--description", "a", "--clear-description"],
        ["ms", "audiences", "update", "--id", "1", "--id", "a", "--name", "x"],
        ["ms", "audiences", "update", "--id", "1", "--algebra", '{"or":[]}'],
        ["ms", "audiences", "sizes"],
        ["ms", "audiences", "sizes", "--id", "1", "--id", "-2"],
        ["ms", "audiences", "estimate", "--advertiser", "1"],
        ["ms", "audiences", "estimate", "--algebra", '{"audienceSegmentId":"1"}'],
        ["ms", "audiences", "estimate", "--advertiser", "1", "--algebra", "not json"],
        ["ms", "audiences", "estimate", "--advertiser", "x", "--algebra", '{"audienceSegmentId":"1"}'],
        ["rm", "audiences", "estimate", "--account", "1"],
        ["ms", "segments", "estimate", "--advertiser", "1"],
        ["ms", "segments", "estimate", "--country", "FR"],
        ["ms", "segments", "estimate", "--advertiser", "1", "--country", "France"],
        ["ms", "segments", "estimate", "--advertiser", "1", "--country", "F1"],
        ["ms", "segments", "estimate", "--advertiser", "x1", "--country", "FR"],
        ["ms", "segments", "estimate", "--advertiser", "1", "--country", "FR", "--brand", "b1"],
        ["ms", "segments", "estimate", "--advertiser", "1", "--country", "FR", "--interest", "1", "--interest", "1"],
        ["ms", "segments", "estimate", "--advertiser", "1", "--country", "FR", "--gender", "Other"],
        ["ms", "segments", "in-market-brands", "--advertiser", "1"],
        ["ms", "segments", "in-market-brands", "--advertiser", "1", "--country", "France"],
        ["ms", "segments", "in-market-brands", "--advertiser", "1.0", "--country", "FR"],
        ["ms", "segments", "in-market-interests", "--advertiser", "1", "--country", ""],
        ["ms", "segments", "in-market-interests", "--advertiser", "", "--country", "FR"],
        ["rm", "segments", "in-market-brands", "--advertiser", "1", "--country", "FR"],
        ["ms", "segments", "update", "--id", "1", "--id", "x", "--name", "a"],
        ["rm", "segments", "update", "--account", "1", "--id", "2", "--id", "3x", "--name", "a"],
        ["ms", "audiences", "delete"],
        ["ms", "audiences", "delete", "--id", "1.5"],
        ["ms", "audiences", "search"],
        ["rm", "audiences", "create", "--account", "1"],
        ["rm", "audiences", "search"],
        ["rm", "audiences", "search", "--account", "1", "--retailer", "r"],
        ["rm", "segments", "search", "--account", "1", "--limit", "501"],
        ["rm", "segments", "create", "--account", "1", "--retailer", "2", "--name", "a"],
        ["rm", "segments", "create", "--account", "1", "--retailer", "x", "--name", "a",
         "--identifier-type", "Email"],
        ["rm", "segments", "create", "--account", "x", "--retailer", "2", "--name", "a",
         "--identifier-type", "Email"],
        ["rm", "segments", "update", "--account", "1", "--id", "2"],
        ["rm", "segments", "update", "--id", "2", "--name", "a"],
        ["rm", "segments", "delete", "--account", "1"],
        ["rm", "segments", "delete", "--account", "1", "--id", "2", "--id", "x"],
    ]
    before = t.fc.stats()
    for args in cases:
        rc, out, err, traffic = t.run(*args)
        check("usage: crto %s -> exit 1, no traffic, a message" % short(" ".join(args), 90),
              rc == 1 and traffic == 0 and err.startswith("crto: ") and out == "", why(rc, out, err))
    after = t.fc.stats()
    check("usage: not even a connection was made", after["connections"] == before["connections"],
          (before, after))
    rc, doc, err, traffic = t.json("ms", "segments", "delete", "--id", "1", "--id", "abc")
    check("usage --json: a bad id caught by the library is an error object with exit 1",
          rc == 1 and traffic == 0 and (doc or {}).get("error", {}).get("code") == "CRTO_ERR_INVALID_ID"
          and "abc" in doc["error"].get("message", "") and doc.get("exitCode") == 1, (rc, doc, err))
    rc, out, err, _ = t.run("--help")
    check("--help lists the new commands",
          rc == 0 and all(s in out for s in ("ms segments search", "ms segments sizes", "ms contacts wipe",
                                             "ms audiences create", "rm segments create", "rm contacts clear",
                                             "rm contacts stats", "rm audiences search", "ms segments estimate",
                                             "ms segments in-market-brands", "ms segments in-market-interests",
                                             "ms audiences update", "ms audiences sizes",
                                             "ms audiences estimate")), out)


# --------------------------------------------------------------------------
# credentials and the API's own errors


def test_failures(t):
    t.fc.reset()
    env = dict(t.env, CRITEO_CLIENT_SECRET="wrong")
    cmd = [t.crto, "--base-url", t.fc.base_url, "--ca-file", t.fc.ca_file,
           "ms", "segments", "search", "--advertiser", ADV]
    p = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True, timeout=RUN_TIMEOUT)
    check("wrong secret: exit 3", p.returncode == 3, (p.returncode, p.stderr[-300:]))
    t.fc.fault(mode="server_error", count=10)
    rc, out, err, _ = t.run("ms", "segments", "delete", "--id", "1")
    check("5xx after the retries: exit 5", rc == 5, why(rc, out, err))
    t.fc.fault(mode="clear")
    t.fc.fault(mode="rate_limit", count=1, retry_after=0)
    seg = create_ms(t, "after a 429")
    check("a 429 is retried: the create went through once",
          list(t.entities()["ms_segments"]) == [seg]
          and [r["status"] for r in t.api_requests("CreateAudienceSegments")] == [429, 200],
          [r["status"] for r in t.api_requests("CreateAudienceSegments")])


def test_cut_answers(t):
    """An answer cut after the server committed a bulk write: whatever crto
    does (resend or give up), it must not report a segment it created as
    taken, nor one it deleted as unknown."""
    t.fc.reset()
    t.fc.fault(mode="close_mid_response", count=1)
    rc, out, err, _ = t.run("ms", "segments", "create", "--advertiser", ADV, "--name", "cut create")
    made = [s["id"] for s in t.entities()["ms_segments"].values() if s["name"] == "cut create"]
    check("cut create answer: not reported as name-must-be-unique for the segment it made",
          len(made) == 1 and "name-must-be-unique" not in err
          and ((rc == 0 and out.strip() == made[0]) or rc in (4, 5)), (why(rc, out, err), made))
    seg = create_ms(t, "cut delete")
    t.fc.fault(mode="close_mid_response", count=1)
    rc, out, err, _ = t.run("ms", "segments", "delete", "--id", seg)
    check("cut delete answer: not reported as segment-not-found for the segment it deleted",
          seg not in t.entities()["ms_segments"] and "segment-not-found" not in err
          and ((rc == 0 and items_of(out) == {0: ("ok", seg, None)}) or rc in (4, 5)), why(rc, out, err))


# --------------------------------------------------------------------------
# conformance of every recorded body


def test_conformance(t):
    if not os.path.exists(VALIDATE):
        print("# %s not found: conformance skipped" % os.path.relpath(VALIDATE, ROOT))
        return
    names = sorted(os.listdir(t.bodies))
    ops = {re.sub(r"^[0-9]+-|\.json$", "", n) for n in names}
    want = {"CreateAudienceSegments", "UpdateAudienceSegments", "DeleteAudienceSegments",
            "SearchAudienceSegments", "ComputeAudienceSegmentsSizes", "UpdateContactListByAudienceSegment",
            "EstimateAudienceSegmentsSizes", "CreateAudiences", "UpdateAudiences", "DeleteAudiences",
            "SearchAudiences", "ComputeAudiencesSizes", "EstimateAudiencesSizes",
            "bulkCreateAudienceSegments", "bulkUpdateAudienceSegments", "bulkDeleteAudienceSegments",
            "searchAudienceSegments", "searchAudiences", "AddRemoveContactListByAudienceSegment"}
    check("conformance: a body of every operation with one was recorded", want <= ops,
          "missing %s" % sorted(want - ops))
    cmd = [sys.executable, VALIDATE]
    for spec in SPECS:
        cmd += ["--spec", os.path.normpath(os.path.join(SPEC_DIR, spec))]
    cmd += ["--dir", t.bodies, "--strict"]
    p = subprocess.run(cmd, capture_output=True, timeout=120)
    out = p.stdout.decode("utf-8", "replace")
    last = out.strip().splitlines()[-1:] or [""]
    m = re.match(r"^(\d+) passed, (\d+) failed$", last[0])
    print("# validate.py over %d bodies: %s" % (len(names), last[0]))
    check("conformance: validate.py --strict reports 0 failed",
          p.returncode == 0 and m is not None and m.group(2) == "0" and int(m.group(1)) > 0,
          "exit %d: %s %s" % (p.returncode, short(out[-600:]), short(p.stderr.decode("utf-8", "replace")[-300:])))


def main(argv):
    if len(argv) != 2 or not os.access(argv[1], os.X_OK):
        sys.stderr.write("usage: %s path/to/crto\n" % argv[0])
        print("0 passed, 1 failed")
        return 1
    t0 = time.monotonic()
    try:
        with tempfile.TemporaryDirectory(prefix="crto_api_") as tmp:
            bodies = os.path.join(tmp, "bodies")
            with FakeCriteo(dir=os.path.join(tmp, "server"), record_bodies=bodies) as fc:
                t = Env(argv[1], fc, tmp)
                t.bodies = bodies
                for fn in (test_ms_create_update, test_ms_sizes, test_ms_delete_partial, test_ms_search,
                           test_ms_wipe_stats, test_ms_audiences, test_update_many, test_ms_in_market,
                           test_ms_audience_sizes, test_rm_segments, test_rm_contacts,
                           test_usage, test_failures, test_cut_answers):
                    run_group(fn, t)
            run_group(test_conformance, t)
    except Exception as e:
        check("the fake server started and stopped", False, "%s: %s" % (type(e).__name__, e))
    print("# %.1f s" % (time.monotonic() - t0))
    return summary()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
