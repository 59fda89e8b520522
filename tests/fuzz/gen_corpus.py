#!/usr/bin/env python3
"""Write the hand-made seed corpora of the fuzz targets in tests/fuzz/.

    python3 tests/fuzz/gen_corpus.py tests/fuzz/corpus      (make fuzz-corpus)

One directory per target (http_reader, json_reader, json_splitter, envelope,
identifier); the journal's seeds are images the library writes itself
(gen_journal_seeds.c). Each file starts with the control bytes its target
reads (see the comment at the top of tests/fuzz/fuzz_<name>.c), then the
text under test. Files named finding-* reproduce what the fuzzers found
(reported; tolerated by the targets until fixed, see FUZZ_STRICT).
"""
import json
import os
import sys


def write(root, target, name, data):
    d = os.path.join(root, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ------------------------------------------------------------ http_reader
# byte 0: piece class (bits 0-2), HEAD (3), cap (4-5), sink limit (6),
# close at the end (7); byte 1: seed; byte 2: window (bits 0-1).
CAP_16M = 0x30
WHOLE = 0x07


def http(root, name, text, b0=CAP_16M | WHOLE, b1=0, b2=2):
    write(root, "http_reader", name, bytes([b0, b1, b2]) + text.encode("latin-1"))


def http_seeds(root):
    body = '{"data":[{"id":"1"}]}'
    http(root, "ok-length", "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
         % (len(body), body))
    http(root, "ok-length-pieces", "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
         % (len(body), body), b0=CAP_16M | 3, b1=0x5a, b2=0)
    http(root, "chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/problem+json\r\n"
         "\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n", b0=CAP_16M | 1, b1=7)
    http(root, "chunked-upper-hex", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"
         "A\r\n0123456789\r\n0\r\n\r\n", b0=CAP_16M | 2, b1=3)
    http(root, "429-rate-limit", "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 30\r\nx-ratelimit-limit: 250\r\n"
         "x-ratelimit-remaining: 0\r\nx-ratelimit-reset: 1800000007\r\nContent-Length: 0\r\n\r\n")
    http(root, "503-retry-after-date", "HTTP/1.1 503 Service Unavailable\r\nRetry-After: Wed, 21 Oct 2015 07:28:00 GMT"
         "\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}")
    http(root, "100-continue", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc",
         b0=CAP_16M | 4, b1=1)
    http(root, "204", "HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n")
    http(root, "304", "HTTP/1.1 304 Not Modified\r\n\r\n")
    http(root, "head", "HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n", b0=CAP_16M | WHOLE | 0x08)
    http(root, "http10-close", "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the close",
         b0=CAP_16M | WHOLE | 0x80)
    http(root, "keep-alive-10", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx")
    http(root, "length-and-chunked", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
         "3\r\nabc\r\n0\r\n\r\n")
    http(root, "two-lengths", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!")
    http(root, "same-length-twice", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\ncontent-length:5\r\n\r\nhello")
    http(root, "lf-only", "HTTP/1.1 201 Created\nContent-Length: 2\n\nok")
    http(root, "long-header", "HTTP/1.1 200 OK\r\nX-Long: " + "a" * 200 + "\r\nContent-Length: 0\r\n\r\n",
         b0=CAP_16M | 5, b2=0)
    http(root, "many-headers", "HTTP/1.1 200 OK\r\n" + "".join("X-%d: v\r\n" % i for i in range(101)) + "\r\n")
    http(root, "over-cap", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + "x" * 100, b0=0x10 | WHOLE)
    http(root, "sink-stops", "HTTP/1.1 200 OK\r\nContent-Length: 40\r\n\r\n" + "y" * 40, b0=CAP_16M | 0x40 | 2,
         b2=0x0c)
    http(root, "bad-status", "HTTP/2 200 OK\r\n\r\n")
    http(root, "bad-chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n")
    http(root, "chunk-too-long", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n")
    http(root, "truncated-body", "HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort", b0=CAP_16M | WHOLE | 0x80)
    http(root, "pipelined", "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nb")


# ---------------------------------------------------- json_reader/splitter

JSON_TEXTS = {
    "object": '{"data":[{"id":"1","attributes":{"name":"n","size":120}}],"meta":{"totalItems":5}}',
    "escapes": r'{"s":"a\"b\\c\/d\b\f\n\r\t\u0041\u00e9\u20ac\ud83d\ude00","k\u0061y":1,"key":2}',
    "numbers": '[0,-0,1,-1,9223372036854775807,-9223372036854775808,9223372036854775808,1.5,-2e10,3E+2,4e-1]',
    "literals": '[true,false,null,"true",{"a":null}]',
    "ids-as-strings": '{"id":"00123","n":"-5","big":"99999999999999999999"}',
    "nested": '{"a":{"b":{"c":[[[{"d":[1,[2,[3]]]}]]]}}}',
    "scalar-number": ' 900 ',
    "scalar-string": '"just a string"',
    "scalar-null": 'null',
    "empty-containers": '{"o":{},"a":[],"s":""}',
    "duplicate-keys": '{"a":1,"a":2,"b":{"a":3}}',
    "whitespace": ' \t\r\n{ "a" : [ 1 , 2 ] , "b" : { } } \n',
    "algebra": '{"and":[{"audienceSegmentId":"1"},{"not":{"audienceSegmentId":"2"}},'
               '{"or":[{"audienceSegmentId":"3"},{"audienceSegmentId":"4"}]}]}',
    "algebra-deep": '{"not":{"not":{"not":{"not":{"not":{"not":{"not":{"not":{"audienceSegmentId":"9"}}}}}}}}}',
    "bad-trailing-comma": '[1,2,]',
    "bad-missing-colon": '{"a" 1}',
    "bad-leading-zero": '[01]',
    "bad-control-in-string": '["a\tb"]',
    "bad-lone-surrogate": r'["\ud800"]',
    "bad-two-values": '{} {}',
    "bad-literal": '[tru]',
    "many-tokens": '[' + ','.join(str(i) for i in range(120)) + ']',
}


def json_seeds(root):
    for name, text in JSON_TEXTS.items():
        write(root, "json_reader", name, text)


def split(root, name, text, b0=WHOLE, b1=0, stop=0):
    write(root, "json_splitter", name, bytes([b0, b1, stop]) + text.encode("utf-8"))


def splitter_seeds(root):
    envelope = ('{"data":[{"id":"1","attributes":{"name":"a \\"quoted\\" ]}"}},{"id":"2"}],'
                '"errors":[{"code":"x","instance":"@data/1"}],"warnings":[],"meta":{"totalItems":2},"type":"t"}')
    split(root, "envelope", envelope)
    split(root, "envelope-bytes", envelope, b0=0, b1=1)
    split(root, "envelope-pieces", envelope, b0=3, b1=0x33)
    split(root, "envelope-stop", envelope, b0=2, b1=9, stop=2)
    split(root, "scalars", '{"n":12,"t":true,"s":"x","z":null,"neg":-1.5e3}', b0=1)
    split(root, "nested-array", '{"data":[[1,[2]],{"a":[{}]},"s",7]}', b0=4, b1=2)
    split(root, "empty", '{}')
    split(root, "empty-arrays", '{"data":[],"errors":[ ],"meta":{}}', b0=2)
    split(root, "whitespace", ' \r\n{ "data" : [ { "a" : 1 } , 2 ] }\t\n', b0=1, b1=4)
    split(root, "long-key", '{"' + 'k' * 40 + '":[1,2]}', b0=5)
    deep = '{"d":[' + '[' * 29 + '1' + ']' * 29 + ']}'
    split(root, "depth-32", deep, b0=6)
    split(root, "depth-33", '{"d":[' + '[' * 31 + ']' * 31 + ']}', b0=6)
    big = '{"data":[{"blob":"' + 'x' * 3100 + '"},{"id":"2"}]}'
    split(root, "element-too-large", big, b0=6, b1=1)
    split(root, "truncated", '{"data":[{"id":"1"},{"id"', b0=2)
    split(root, "not-object", '[1,2]')
    split(root, "after-end", '{"a":1} x')
    split(root, "mismatched", '{"data":[{"a":[1}]}', b0=3)
    split(root, "number-then-quote", '{"a":1"x"}', b0=1)
    # findings: the root's member names are not checked (fuzz_json_splitter.c)
    split(root, "finding-root-name-control-byte", '{"\x01":1}')
    split(root, "finding-root-name-bad-escape", '{"\\q":1}')


# --------------------------------------------------------------- envelope
# byte 0: mode; byte 1: framing (0-1), status (2-4), text/plain (5),
# items (6-7); byte 2: chunk/read pieces. Modes in fuzz_envelope.c order.
MODES = ["ms-create", "ms-update", "ms-delete", "ms-sizes", "ms-search", "ms-estimate", "ms-brands", "ms-stats",
         "rm-create", "rm-update", "rm-search", "rm-stats", "aud-create", "aud-search", "aud-estimate", "aud-sizes",
         "rm-aud-search", "upload", "token"]
ST_200, ST_201, ST_400, ST_401, ST_404, ST_429, ST_503 = 0, 2, 3, 4, 5, 6, 7
ITEMS_1, ITEMS_2, ITEMS_3, ITEMS_8 = 0, 1, 2, 3


def env(root, name, mode, body, status=ST_200, framing=0, items=ITEMS_3, plain=False, b2=0x07):
    b1 = framing | (status << 2) | (0x20 if plain else 0) | (items << 6)
    if not isinstance(body, str):
        body = json.dumps(body, separators=(",", ":"))
    fname = "%s-%s" % (name, MODES[mode]) if name.startswith("finding-") else "%s-%s" % (MODES[mode], name)
    write(root, "envelope", fname, bytes([mode, b1, b2]) + body.encode("utf-8"))


def problem(type_, code, instance, detail="d", trace=None):
    p = {"type": type_, "code": code, "instance": instance, "title": "t", "detail": detail}
    if trace:
        p["traceId"] = trace
    return p


def envelope_seeds(root):
    M = {m: i for i, m in enumerate(MODES)}
    bulk = {"data": [{"id": "101", "type": "AudienceSegment", "attributes": {"name": "a"}}],
            "errors": [problem("validation", "name-must-be-unique", "@data/2", trace="abc")],
            "warnings": [problem("validation", "segment-not-found", "@data/1"),
                         problem("deprecation", "deprecated-field", "@data/0"),
                         problem("availability", "slow-today", "")]}
    env(root, "errors-warnings", M["ms-update"], bulk)
    env(root, "errors-warnings-chunked", M["ms-update"], bulk, framing=1, b2=0x03)
    env(root, "errors-warnings-close", M["rm-update"], bulk, framing=2, b2=0x1c)
    env(root, "instances", M["ms-delete"], {"errors": [
        problem("validation", "a", "@data/00"), problem("validation", "b", "@data/-0"),
        problem("validation", "c", "@data/7"), problem("validation", "d", "@data/99999999999"),
        problem("validation", "e", "@data/1x"), problem("validation", "f", "/data/1"),
        {"code": 5, "instance": "@data/2", "traceIdentifier": "old-name"}]}, items=ITEMS_8)
    env(root, "created", M["ms-create"], {"data": [{"id": "900", "attributes": {"name": "c"}},
                                                  {"id": "901", "attributes": {"name": "a"}}],
                                         "errors": [], "warnings": []})
    env(root, "created", M["rm-create"], {"data": [{"id": "77", "attributes": {"name": "b", "retailerId": "7"}},
                                                  {"id": "78", "name": "a", "retailerId": "7"}]})
    env(root, "created", M["aud-create"], {"data": [{"id": "5", "attributes": {"name": "a"}}]})
    sizes = {"data": [{"id": "101", "attributes": {"size": 120}}, {"id": "102", "attributes": {"size": "9007199254740993"}},
                      {"id": "103", "attributes": {"size": 1.5}}]}
    env(root, "sizes", M["ms-sizes"], sizes)
    env(root, "sizes", M["aud-sizes"], sizes, framing=1, b2=0x0a)
    seg = {"id": "1", "type": "AudienceSegment",
           "attributes": {"name": "s1", "description": "d", "advertiserId": "12", "type": "ContactList",
                          "createdAt": "2026-01-01T00:00:00Z", "updatedAt": "2026-01-02T00:00:00Z",
                          "contactList": {"isReadOnly": True, "identifierType": "Email"}}}
    env(root, "page", M["ms-search"], {"data": [seg, {"id": "2", "attributes": {"type": "SomethingNew"}}],
                                      "meta": {"totalItems": 3, "limit": 2, "offset": 0}, "errors": [],
                                      "warnings": [problem("deprecation", "old", "")]})
    env(root, "page", M["rm-search"], {"data": [{"id": "3", "name": "flat", "retailerId": "7", "type": "Events"}],
                                      "meta": {"totalItems": 1}})
    aud = {"id": "8", "attributes": {"name": "au", "advertiserId": "12", "algebra":
                                     {"and": [{"audienceSegmentId": "1"}, {"not": {"audienceSegmentId": "2"}}]},
                                     "adSetIds": ["1", "2"]}}
    env(root, "page", M["aud-search"], {"data": [aud], "meta": {"totalItems": 1}})
    env(root, "page", M["rm-aud-search"], {"data": [{"id": "9", "name": "r", "algebra": None}], "meta": {}})
    env(root, "estimate", M["ms-estimate"], {"data": {"type": "AudienceSegmentSizeEstimation",
                                                      "attributes": {"size": 5000}}})
    env(root, "no-size", M["ms-estimate"], {"data": None, "errors": [problem("validation", "too-small", "")]})
    env(root, "estimate", M["aud-estimate"], {"data": {"attributes": {"size": 77}}})
    env(root, "brands", M["ms-brands"], {"data": [{"id": "1", "attributes": {"name": "b", "size": 3}},
                                                 {"id": "2", "attributes": {"parentId": "1"}}]}, items=ITEMS_1)
    env(root, "stats", M["ms-stats"], {"data": {"attributes": {"numberOfIdentifiers": 10, "numberOfMatches": 4,
                                                               "matchRate": 0.4}}})
    env(root, "stats", M["rm-stats"], {"data": {"numberOfIdentifiers": "10", "matchRate": "n/a"}})
    env(root, "chunk", M["upload"], {"data": {"type": "ContactlistAmendment", "attributes": {
        "operation": "add", "contactListId": 3, "nbValidIdentifiers": 2, "nbInvalidIdentifiers": 1,
        "sampleInvalidIdentifiers": ["x", "y", "z", "w", "v"]}}, "errors": [], "warnings": [
        problem("deprecation", "old-api", "")]}, items=ITEMS_2)
    env(root, "chunk-flat", M["upload"], {"data": {"nbValidIdentifiers": 3}}, items=ITEMS_8)
    env(root, "token", M["token"], {"access_token": "tok-123456", "token_type": "Bearer", "expires_in": 900})
    env(root, "token-bad-type", M["token"], {"access_token": "tok", "token_type": "MAC"})
    env(root, "token-crlf", M["token"], {"access_token": "tok\r\nX-Evil: 1", "token_type": "bearer"})
    env(root, "oauth-error", M["token"], {"error": "invalid_client", "error_description": "no"}, status=ST_401)
    env(root, "400", M["ms-update"], {"errors": [problem("validation", "bad", "@data/0", trace="t1")]},
        status=ST_400)
    env(root, "404-plain", M["ms-stats"], "not found", status=ST_404, plain=True)
    env(root, "429", M["ms-search"], "", status=ST_429)
    env(root, "503", M["upload"], {"errors": [{"title": "later"}]}, status=ST_503, framing=1)
    env(root, "not-json", M["ms-update"], '{"data":[', status=ST_200)
    env(root, "data-not-object", M["ms-sizes"], {"data": [1, "x", None]})
    # finding: a token endpoint answering 201 (fuzz_envelope.c, FUZZ_STRICT)
    env(root, "finding-201-is-ok-without-token", M["token"], {"token_type": "Bearer"}, status=ST_201)
    env(root, "finding-size-outside-compute-sizes", M["rm-update"], {"data": [{"id": "101", "attributes": {"size": 120}}]})


# ------------------------------------------------------------- identifier
# byte 0: type (bits 0-2), hash (3), rules (4-5: none, "33", "1", "0");
# byte 1: size of the small output buffer.
EMAIL, MADID, ILINK, GUM, PHONE, CUSTOMER, USER = range(7)
HASH = 0x08


def ident(root, name, b0, text, cap=127):
    write(root, "identifier", name, bytes([b0, cap]) + (text.encode("utf-8") if isinstance(text, str) else text))


def identifier_seeds(root):
    ident(root, "email", EMAIL | HASH, "  Alice@Example.COM \n")
    ident(root, "email-clear", EMAIL, "bob@shop.example", cap=10)
    ident(root, "email-utf8", EMAIL | HASH, "jos\u00e9@caf\u00e9.fr")
    ident(root, "email-two-at", EMAIL | HASH, "a@b@c")
    ident(root, "email-space", EMAIL, "a b@c")
    ident(root, "prehashed", EMAIL | HASH, "973DFE463EC85785F5F95AF5BA3906EEDB2D931C24E69824A89EA65DBA4E813B")
    ident(root, "phone-intl", PHONE | HASH, "+33 6 12 34 56 78")
    ident(root, "phone-punctuation", PHONE, "+33 (6) 12.34-56-78")
    ident(root, "phone-00", PHONE, "0044 20 7946 0958", cap=16)
    ident(root, "phone-national-fr", PHONE | 0x10, "06 12 34 56 78")
    ident(root, "phone-national-us", PHONE | 0x20 | HASH, "(555) 123-4567")
    ident(root, "phone-bad-cc", PHONE | 0x30, "06 12 34 56 78")
    ident(root, "phone-short", PHONE, "+1234567")
    ident(root, "phone-long", PHONE, "+1234567890123456")
    ident(root, "madid", MADID, "6D92078A-8246-4BA4-AE5B-76104861E7DC")
    ident(root, "madid-bad", MADID | HASH, "6D92078A_8246-4BA4-AE5B-76104861E7DC")
    ident(root, "identity-link", ILINK | HASH, "  XY1005wXyWPB7cFbY2wPvmUbFXXVRTmeWr3fRMpH3iTDCLqFHfHG  ")
    ident(root, "gum", GUM, "g-123")
    ident(root, "customer-id", CUSTOMER | HASH, "cust\u20ac42")
    ident(root, "user-id", USER, "u" * 256, cap=60)
    ident(root, "too-long", USER, "u" * 257)
    ident(root, "control", ILINK, "ab\x01cd")
    ident(root, "invalid-utf8", CUSTOMER, b"ab\xc3(cd")
    ident(root, "overlong-utf8", CUSTOMER, b"\xc0\xaf")
    ident(root, "surrogate-utf8", CUSTOMER, b"\xed\xa0\x80")
    ident(root, "empty", EMAIL, " \t\r\n\v\f ")


def main():
    if len(sys.argv) != 2:
        sys.stderr.write("usage: gen_corpus.py DIR\n")
        return 2
    root = sys.argv[1]
    http_seeds(root)
    json_seeds(root)
    splitter_seeds(root)
    envelope_seeds(root)
    identifier_seeds(root)
    return 0


if __name__ == "__main__":
    sys.exit(main())
