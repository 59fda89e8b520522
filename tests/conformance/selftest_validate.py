#!/usr/bin/env python3
"""selftest_validate.py - proves tests/conformance/validate.py.

Correct bodies for every audience write operation of both APIs validate;
deliberately wrong ones fail with the right JSON path; the keywords the
audience schemas do not use are proven on a small spec of our own; the
command line works on recorded bodies and extracts the response examples;
and, end to end, what fake_criteo.py records and answers conforms.

Prints one "ok - ..." / "not ok - ...: why" line per check and ends with
"N passed, N failed"; exit status 1 if anything failed.

    python3 tests/conformance/selftest_validate.py
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
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "fake_criteo"))
import validate as v  # noqa: E402
from tap import check, run_group, summary  # noqa: E402

SCRIPT = os.path.join(HERE, "validate.py")
MS_SPEC, RM_SPEC = v.DEFAULT_SPECS
SPECS = {}


def spec(name):
    if name not in SPECS:
        SPECS[name] = v.Spec(MS_SPEC if name == "ms" else RM_SPEC)
    return SPECS[name]


# -- correct bodies, one (or more) per write operation --------------------------

ALG = {"and": [{"audienceSegmentId": "1"}, {"not": {"or": [{"audienceSegmentId": "2"},
                                                             {"audienceSegmentId": "3"}]}}]}
GOOD = {
    "ms": {
        "CreateAudienceSegments": [
            {"data": [{"type": "AudienceSegment", "attributes": {
                "advertiserId": "12345", "name": "kiosk opt-in", "description": "till",
                "contactList": {}}}]},
            {"data": [
                {"type": "AudienceSegment", "attributes": {
                    "advertiserId": "1", "name": "im", "inMarket": {
                        "country": "FR", "brandIds": ["1001"], "interestIds": ["166"],
                        "buyingPower": ["Low", "VeryHigh"], "priceRange": ["High"],
                        "gender": "Female"}}},
                {"type": "AudienceSegment", "attributes": {
                    "advertiserId": "1", "name": "loc", "location": {
                        "pointsOfInterest": [{"latitude": 48.8566, "longitude": 2.3522,
                                              "name": "store 12"}], "radiusInKm": 3}}},
                {"type": "AudienceSegment", "attributes": {
                    "advertiserId": "1", "name": "ll", "lookalike": {
                        "seedSegmentId": "42", "targetSize": 9007199254740993}}},
                {"type": "AudienceSegment", "attributes": {
                    "advertiserId": "1", "name": "pr", "prospecting": {
                        "usersType": "ProspectsOrNonBuyers", "daysSinceLastVisitMin": 1}}},
                {"type": "AudienceSegment", "attributes": {
                    "advertiserId": "1", "name": "rt", "retargeting": {
                        "visitorsType": "NonBuyers", "daysSinceLastVisitMin": 0,
                        "daysSinceLastVisitMax": 30}}}]}],
        "UpdateAudienceSegments": [
            {"data": [{"id": "1001", "type": "AudienceSegment", "attributes": {
                "name": "renamed", "description": {"value": None}}}]},
            {"data": [{"id": "1002", "type": "AudienceSegment", "attributes": {
                "description": {"value": "x"},
                "inMarket": {"gender": {"value": None}, "brandIds": []},
                "prospecting": {"daysSinceLastVisitMax": {"value": 7},
                                "daysSinceLastVisitMin": {"value": None}},
                "lookalike": {"targetSize": 5},
                "location": {"registryType": "PointOfInterest", "radiusInKm": 1},
                "retargeting": {"visitorsType": "All"}}}]}],
        "DeleteAudienceSegments": [{"data": [{"id": "1001", "type": "AudienceSegment",
                                              "attributes": {}}]}],
        "SearchAudienceSegments": [
            {"data": {"type": "AudienceSegment", "attributes": {
                "advertiserIds": ["1"], "audienceSegmentIds": ["2"],
                "audienceSegmentTypes": ["ContactList", "Lookalike"]}}},
            {"data": {"type": "AudienceSegment", "attributes": {}}}],
        "ComputeAudienceSegmentsSizes": [{"data": [{"id": "1", "type": "AudienceSegment",
                                                    "attributes": {}}]}],
        "EstimateAudienceSegmentsSizes": [
            {"data": {"type": "AudienceSegment", "attributes": {
                "advertiserId": "1", "inMarket": {"country": "DE"}}}},
            {"data": {"type": "AudienceSegment", "attributes": {
                "advertiserId": "1", "location": {"pointsOfInterest": [], "radiusInKm": 2}}}}],
        "UpdateContactListByAudienceSegment": [
            {"data": {"type": "ContactlistAmendment", "attributes": {
                "operation": "add", "identifierType": "email", "identifiers": ["a@b.c"]}}},
            {"data": {"type": "ContactlistAmendment", "attributes": {
                "operation": "remove", "identifierType": "gum", "gumCallerId": 42,
                "identifiers": ["g1"]}}}],
        "CreateAudiences": [{"data": [{"type": "Audience", "attributes": {
            "advertiserId": "1", "name": "a", "description": "d", "algebra": ALG}}]}],
        "UpdateAudiences": [{"data": [{"id": "500001", "type": "Audience", "attributes": {
            "name": "b", "description": {"value": "x"}, "algebra": {"audienceSegmentId": "1"}}}]}],
        "DeleteAudiences": [{"data": [{"id": "500001", "type": "Audience", "attributes": {}}]}],
        "SearchAudiences": [{"data": {"type": "Audience", "attributes": {
            "audienceIds": ["1"], "advertiserIds": ["2"], "adSetIds": ["3"],
            "audienceSegmentIds": ["4"]}}}],
        "ComputeAudiencesSizes": [{"data": [{"id": "500001", "type": "Audience",
                                             "attributes": {}}]}],
        "EstimateAudiencesSizes": [{"data": {"type": "Audience", "attributes": {
            "advertiserId": "1", "algebra": ALG}}}],
    },
    "rm": {
        "bulkCreateAudienceSegments": [{"data": [{"type": "RetailMediaAudienceSegment",
                                                  "attributes": {
            "name": "opt-in", "retailerId": "12", "description": "till",
            "contactList": {"identifierType": "CustomerId"}}}]}],
        "bulkUpdateAudienceSegments": [{"data": [{"id": "920472839472539402",
                                                  "type": "RetailMediaAudienceSegment",
                                                  "attributes": {
            "name": "x", "description": {"value": None}, "contactList": {}}}]}],
        "bulkDeleteAudienceSegments": [{"data": [{"id": "920472839472539402",
                                                  "type": "RetailMediaAudienceSegment",
                                                  "attributes": {}}]}],
        "searchAudienceSegments": [{"data": {"type": "RetailMediaAudienceSegment",
                                             "attributes": {
            "audienceSegmentIds": ["920472839472539402"], "retailerIds": ["12"],
            "audienceSegmentTypes": ["ContactList", "Events"]}}}],
        "searchAudiences": [{"data": {"type": "RetailMediaAudience", "attributes": {
            "audienceIds": ["1"], "audienceSegmentIds": ["2"], "retailerIds": ["3"]}}}],
        "AddRemoveContactListByAudienceSegment": [
            {"data": {"type": "AddRemoveContactlist", "attributes": {
                "operation": "add", "identifierType": "Gum", "identifiers": ["g"]}}},
            {"data": {"attributes": {"operation": "remove", "identifiers": []}}}],
        "PutAudienceTargetsByLineItemId": [{"data": {"type": "AudienceTarget", "attributes": {
            "scope": "include", "audienceIds": ["1", "2"]}}}],
        "AppendAudienceTargetsByLineItemId": [{"data": {"type": "AudienceIds",
                                                        "attributes": {"audienceIds": ["1"]}}}],
        "DeleteAudienceTargetsByLineItemId": [{"data": {"attributes": {"audienceIds": []}}}],
    },
}


def test_good_bodies():
    for product in ("ms", "rm"):
        s = spec(product)
        writes = {op.operation_id for op in s.audience_operations()
                  if op.request_schema() is not None}
        check("%s: a correct body for each of the %d audience operations with a body"
              % (product, len(writes)), writes == set(GOOD[product]),
              sorted(writes ^ set(GOOD[product])))
        for op_id, bodies in sorted(GOOD[product].items()):
            for i, body in enumerate(bodies):
                for strict in (False, True):
                    errors = v.validate_body(s, json.dumps(body), op_id, strict=strict)
                    check("%s %s #%d validates%s" % (product, op_id, i + 1,
                                                     " (strict)" if strict else ""),
                          errors == [], errors)


# -- wrong bodies fail at the right path -------------------------------------------

def edit(body, fn):
    body = json.loads(json.dumps(body))
    fn(body)
    return body


def ms_create(**attrs):
    a = {"advertiserId": "1", "name": "n", "contactList": {}}
    a.update(attrs)
    for k in [k for k, x in a.items() if x is Ellipsis]:
        del a[k]
    return {"data": [{"type": "AudienceSegment", "attributes": a}]}


def amendment(**attrs):
    a = {"operation": "add", "identifierType": "email", "identifiers": ["a@b.c"]}
    a.update(attrs)
    return {"data": {"type": "ContactlistAmendment", "attributes": a}}


def rm_amendment(**attrs):
    a = {"operation": "add", "identifierType": "Email", "identifiers": ["a@b.c"]}
    a.update(attrs)
    return {"data": {"type": "AddRemoveContactlist", "attributes": a}}


BAD = [
    # (name, product, operationId, body, expected path, message fragment, strict)
    ("missing required advertiserId", "ms", "CreateAudienceSegments",
     ms_create(advertiserId=...), "$.data[0].attributes.advertiserId", "is required", False),
    ("missing required nested radiusInKm", "ms", "CreateAudienceSegments",
     ms_create(contactList=..., location={"pointsOfInterest": []}),
     "$.data[0].attributes.location.radiusInKm", "is required", False),
    ("missing required data", "rm", "AddRemoveContactListByAudienceSegment",
     {"date": {}}, "$.data", "is required", False),
    ("missing required identifiers", "rm", "AddRemoveContactListByAudienceSegment",
     edit(rm_amendment(), lambda b: b["data"]["attributes"].pop("identifiers")),
     "$.data.attributes.identifiers", "is required", False),
    ("missing required algebra", "ms", "CreateAudiences",
     {"data": [{"attributes": {"advertiserId": "1", "name": "a"}}]},
     "$.data[0].attributes.algebra", "is required", False),
    ("enum case: \"Email\" in MS", "ms", "UpdateContactListByAudienceSegment",
     amendment(identifierType="Email"), "$.data.attributes.identifierType", "must be one of",
     False),
    ("enum case: \"email\" in RM", "rm", "AddRemoveContactListByAudienceSegment",
     rm_amendment(identifierType="email"), "$.data.attributes.identifierType",
     "must be one of", False),
    ("enum case: operation \"Add\"", "ms", "UpdateContactListByAudienceSegment",
     amendment(operation="Add"), "$.data.attributes.operation", "must be one of", False),
    ("enum: search type \"contactList\"", "ms", "SearchAudienceSegments",
     {"data": {"attributes": {"audienceSegmentTypes": ["ContactList", "contactList"]}}},
     "$.data.attributes.audienceSegmentTypes[1]", "must be one of", False),
    ("enum: RM create identifierType Gum", "rm", "bulkCreateAudienceSegments",
     {"data": [{"attributes": {"name": "a", "retailerId": "1",
                               "contactList": {"identifierType": "Gum"}}}]},
     "$.data[0].attributes.contactList.identifierType", "must be one of", False),
    ("integer where a string id is required", "ms", "CreateAudienceSegments",
     ms_create(advertiserId=12345), "$.data[0].attributes.advertiserId",
     "expected string, got integer", False),
    ("integer id in a delete item", "ms", "DeleteAudienceSegments",
     {"data": [{"id": 1001, "type": "AudienceSegment", "attributes": {}}]},
     "$.data[0].id", "expected string, got integer", False),
    ("integer in an RM id filter", "rm", "searchAudienceSegments",
     {"data": {"attributes": {"retailerIds": ["12", 13]}}},
     "$.data.attributes.retailerIds[1]", "expected string, got integer", False),
    ("integer RM segment id in an algebra leaf", "ms", "EstimateAudiencesSizes",
     {"data": {"attributes": {"advertiserId": "1", "algebra": {
         "or": [{"audienceSegmentId": "1"}, {"not": {"audienceSegmentId": 920472839472539402}}]}}}},
     "$.data.attributes.algebra.or[1].not.audienceSegmentId", "expected string", False),
    ("string where an integer is required", "ms", "CreateAudienceSegments",
     ms_create(contactList=..., location={"pointsOfInterest": [], "radiusInKm": "3"}),
     "$.data[0].attributes.location.radiusInKm", "expected integer, got string", False),
    ("gumCallerId as a string", "ms", "UpdateContactListByAudienceSegment",
     amendment(identifierType="gum", gumCallerId="42"), "$.data.attributes.gumCallerId",
     "expected integer, got string", False),
    ("1.5 for an int64", "ms", "CreateAudienceSegments",
     ms_create(contactList=..., lookalike={"seedSegmentId": "1", "targetSize": 1.5}),
     "$.data[0].attributes.lookalike.targetSize", "expected integer, got number", False),
    ("true for an integer", "ms", "CreateAudienceSegments",
     ms_create(contactList=..., location={"pointsOfInterest": [], "radiusInKm": True}),
     "$.data[0].attributes.location.radiusInKm", "expected integer, got boolean", False),
    ("int32 overflow", "ms", "CreateAudienceSegments",
     ms_create(contactList=..., location={"pointsOfInterest": [], "radiusInKm": 2 ** 31}),
     "$.data[0].attributes.location.radiusInKm", "out of the int32 range", False),
    ("int64 overflow", "ms", "CreateAudienceSegments",
     ms_create(contactList=..., lookalike={"seedSegmentId": "1", "targetSize": 2 ** 63}),
     "$.data[0].attributes.lookalike.targetSize", "out of the int64 range", False),
    ("string latitude", "ms", "CreateAudienceSegments",
     ms_create(contactList=..., location={"pointsOfInterest": [{"latitude": "48.8"}],
                                          "radiusInKm": 1}),
     "$.data[0].attributes.location.pointsOfInterest[0].latitude",
     "expected number, got string", False),
    ("null name (not nullable)", "ms", "CreateAudienceSegments", ms_create(name=None),
     "$.data[0].attributes.name", "must not be null", False),
    ("repeated brand id (uniqueItems)", "ms", "CreateAudienceSegments",
     ms_create(contactList=..., inMarket={"country": "FR", "brandIds": ["1", "2", "1"]}),
     "$.data[0].attributes.inMarket.brandIds[2]", "uniqueItems", False),
    ("nesting: search data as an array", "ms", "SearchAudienceSegments",
     {"data": [{"attributes": {}}]}, "$.data", "expected object, got array", False),
    ("nesting: create data as an object", "ms", "CreateAudienceSegments",
     {"data": ms_create()["data"][0]}, "$.data", "expected array, got object", False),
    ("nesting: amendment data as an array", "ms", "UpdateContactListByAudienceSegment",
     {"data": [amendment()["data"]]}, "$.data", "expected object, got array", False),
    ("nesting: description as a plain string (NillableString)", "ms", "UpdateAudienceSegments",
     {"data": [{"id": "1", "attributes": {"description": "x"}}]},
     "$.data[0].attributes.description", "expected object, got string", False),
    ("nesting: algebra and as an object", "ms", "CreateAudiences",
     {"data": [{"attributes": {"advertiserId": "1", "name": "a",
                               "algebra": {"and": {"audienceSegmentId": "1"}}}}]},
     "$.data[0].attributes.algebra.and", "expected array, got object", False),
    ("nesting: attributes object as a list", "rm", "bulkDeleteAudienceSegments",
     {"data": [{"id": "1", "attributes": []}]}, "$.data[0].attributes",
     "expected object, got array", False),
    ("strict: fields outside attributes", "ms", "CreateAudienceSegments",
     {"data": [{"type": "AudienceSegment", "advertiserId": "1", "name": "n",
                "attributes": {"advertiserId": "1", "name": "n", "contactList": {}}}]},
     "$.data[0].advertiserId", "is not declared", True),
    ("strict: misspelt optional identifierType", "ms", "UpdateContactListByAudienceSegment",
     edit(amendment(), lambda b: b["data"]["attributes"].update(
         identifiertype=b["data"]["attributes"].pop("identifierType"))),
     "$.data.attributes.identifiertype", "is not declared", True),
    ("strict: gumCallerId sent to RM", "rm", "AddRemoveContactListByAudienceSegment",
     rm_amendment(gumCallerId=42), "$.data.attributes.gumCallerId", "is not declared", True),
]


def test_bad_bodies():
    for name, product, op_id, body, where, fragment, strict in BAD:
        errors = v.validate_body(spec(product), json.dumps(body), op_id, strict=strict)
        hit = [e for e in errors if e.startswith(where + ":") and fragment in e]
        check("%s %s: %s -> %s" % (product, op_id, name, where), hit != [], errors)
    # the same misspelling passes without --strict: OpenAPI allows unknown members
    loose = v.validate_body(spec("ms"), json.dumps(BAD[-2][3]), "UpdateContactListByAudienceSegment")
    check("without strict, an undeclared member is allowed (OpenAPI default)", loose == [], loose)
    errors = v.validate_body(spec("ms"), json.dumps(ms_create(
        advertiserId=7, name=None, contactList=..., lookalike={"targetSize": "x"})),
        "CreateAudienceSegments")
    check("every error of a body is reported, each with its own path",
          sorted(e.split(":")[0] for e in errors) == sorted([
              "$.data[0].attributes.advertiserId", "$.data[0].attributes.name",
              "$.data[0].attributes.lookalike.seedSegmentId",
              "$.data[0].attributes.lookalike.targetSize"]), errors)


def test_parsing():
    s = spec("ms")
    op = "UpdateContactListByAudienceSegment"
    good = json.dumps(amendment()).encode()
    for name, raw, fragment in (
            ("duplicate key", b'{"data":{"type":"a","type":"b","attributes":{}}}',
             "duplicate key \"type\""),
            ("NaN", b'{"data":NaN}', "NaN is not JSON"),
            ("invalid UTF-8", b'{"data":"\xff"}', "not valid UTF-8"),
            ("byte order mark", b"\xef\xbb\xbf" + good, "byte order mark"),
            ("trailing garbage", good + b"}", "not valid JSON"),
            ("empty body (required)", b"", "empty")):
        errors = v.validate_body(s, raw, op)
        check("strict JSON: %s rejected" % name,
              len(errors) == 1 and fragment in errors[0], errors)
    check("strict JSON: a correct body passes as bytes, text or value",
          v.validate_body(s, good, op) == [] and v.validate_body(s, good.decode(), op) == []
          and v.validate_body(s, amendment(), op) == [])
    big = json.loads(b'{"n": 920472839472539402}')
    check("large integers keep every digit", big["n"] == 920472839472539402)
    check("an operation without a JSON body says so",
          "takes no JSON request body" in v.validate_body(
              s, b"{}", "GetAudienceSegmentContactListStatistics")[0])
    check("an unknown operation says so",
          "is not in" in v.validate_body(s, b"{}", "NoSuchOperation")[0])


def test_find():
    ms, rm = spec("ms"), spec("rm")
    cases = [
        (ms, "POST", "/2026-07/marketing-solutions/audience-segments/create",
         "CreateAudienceSegments"),
        (ms, "PATCH", "/2027-01/marketing-solutions/audience-segments/1234/contact-list",
         "UpdateContactListByAudienceSegment"),
        (ms, "PATCH", "/{version}/marketing-solutions/audience-segments/{id}/contact-list",
         "UpdateContactListByAudienceSegment"),
        (ms, "patch", "/experimental/marketing-solutions/audience-segments",
         "UpdateAudienceSegments"),
        (ms, "POST", "/2026-07/marketing-solutions/audiences/search?limit=5&offset=0",
         "SearchAudiences"),
        (rm, "POST", "/2026-07/retail-media/accounts/300/audience-segments/search",
         "searchAudienceSegments"),
        (rm, "GET", "/2026-07/retail-media/accounts/300/audience-segments/"
                    "920472839472539402/contact-list", "getAudienceSegmentContactListStatistics"),
        (rm, "POST", "/2026-07/retail-media/audience-segments/9/contact-list/clear",
         "ClearContactListByAudienceSegment"),
        (ms, "GET", "/2026-07/marketing-solutions/audience-segments/create", None),
        (ms, "POST", "/2026-07/marketing-solutions/audience-segments/1/2/contact-list", None),
    ]
    for s, method, path, want in cases:
        op = s.find(method=method, path=path)
        check("find %s %s -> %s" % (method.upper(), path, want),
              (op.operation_id if op else None) == want, op)
    check("by method+path, the same validation as by operationId",
          v.validate_body(ms, json.dumps(amendment(identifierType="Email")), method="PATCH",
                          path="/2026-07/marketing-solutions/audience-segments/1/contact-list")
          == v.validate_body(ms, json.dumps(amendment(identifierType="Email")),
                             "UpdateContactListByAudienceSegment"))


# -- keywords the audience schemas do not use: a spec of our own ---------------------

TOY = v.Spec({"openapi": "3.0.1", "paths": {"/x": {"post": {
    "operationId": "Toy",
    "requestBody": {"required": True, "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/Toy"}}}},
    "responses": {"200": {"description": "ok", "content": {"application/json": {
        "schema": {"$ref": "#/components/schemas/Toy"}}}}}}}},
    "components": {"schemas": {
        "Toy": {"type": "object", "additionalProperties": False, "required": ["name"],
                "properties": {
                    "name": {"type": "string", "minLength": 2, "maxLength": 5,
                             "pattern": "^[a-z]+$"},
                    "tags": {"type": "array", "minItems": 1, "maxItems": 2,
                             "items": {"type": "string"}},
                    "labels": {"type": "object", "additionalProperties": {"type": "integer"}},
                    "ratio": {"type": "number", "minimum": 0, "maximum": 1,
                              "exclusiveMaximum": True},
                    "step": {"type": "integer", "multipleOf": 5},
                    "when": {"type": "string", "format": "date-time"},
                    "day": {"type": "string", "format": "date"},
                    "shape": {"oneOf": [{"$ref": "#/components/schemas/Circle"},
                                        {"$ref": "#/components/schemas/Square"}]},
                    "id": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                    "both": {"allOf": [{"$ref": "#/components/schemas/HasA"},
                                       {"$ref": "#/components/schemas/HasB"}]},
                    "other": {"not": {"type": "string"}},
                    "alias": {"$ref": "#/components/schemas/Alias"},
                    "serverId": {"type": "string", "readOnly": True},
                    "secret": {"type": "string", "writeOnly": True},
                    "loop": {"$ref": "#/components/schemas/Loop1"},
                    "maybe": {"type": "string", "nullable": True, "enum": ["a"]},
                }},
        "Circle": {"type": "object", "required": ["r"], "properties": {"r": {"type": "number"}}},
        "Square": {"type": "object", "required": ["side"],
                   "properties": {"side": {"type": "number"}}},
        "HasA": {"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}},
        "HasB": {"type": "object", "required": ["b"], "properties": {"b": {"type": "integer"}}},
        "Alias": {"$ref": "#/components/schemas/Real"},
        "Real": {"type": "boolean"},
        "Loop1": {"$ref": "#/components/schemas/Loop2"},
        "Loop2": {"$ref": "#/components/schemas/Loop1"},
    }}}, name="toy")


def toy(body, direction="request", strict=False):
    schema = TOY.find("Toy").request_schema()
    return v.validate_value(TOY, schema, body, direction, strict)


def test_keywords():
    ok = {"name": "abc", "tags": ["x"], "labels": {"a": 1}, "ratio": 0.5, "step": 10,
          "when": "2018-12-10T10:00:50.0000000+00:00", "day": "2026-07-01",
          "shape": {"r": 1}, "id": 5, "both": {"a": "x", "b": 2}, "other": 3,
          "alias": True, "maybe": None}
    check("toy: a body using every keyword validates", toy(ok) == [], toy(ok))
    cases = [
        ("additionalProperties false", {"extra": 1}, "$.extra", "additionalProperties: false"),
        ("additionalProperties schema", {"labels": {"a": "1"}}, "$.labels.a",
         "expected integer"),
        ("minLength", {"name": "a"}, "$.name", "shorter than 2"),
        ("maxLength", {"name": "abcdef"}, "$.name", "longer than 5"),
        ("pattern", {"name": "ABC"}, "$.name", "does not match pattern"),
        ("minItems", {"tags": []}, "$.tags", "fewer than 1 items"),
        ("maxItems", {"tags": ["a", "b", "c"]}, "$.tags", "more than 2 items"),
        ("minimum", {"ratio": -0.1}, "$.ratio", "must be >= 0"),
        ("exclusiveMaximum", {"ratio": 1}, "$.ratio", "must be < 1"),
        ("multipleOf", {"step": 7}, "$.step", "multiple of 5"),
        ("date-time", {"when": "2018-12-10 10:00:50"}, "$.when", "RFC 3339"),
        ("date", {"day": "01/07/2026"}, "$.day", "YYYY-MM-DD"),
        ("oneOf: none", {"shape": {"x": 1}}, "$.shape", "exactly one of oneOf (matches none"),
        ("oneOf: two", {"shape": {"r": 1, "side": 2}}, "$.shape", "(matches 2)"),
        ("anyOf", {"id": 1.5}, "$.id", "none of anyOf"),
        ("allOf", {"both": {"a": "x"}}, "$.both.b", "is required"),
        ("not", {"other": "s"}, "$.other", "must not match"),
        ("$ref to a $ref", {"alias": 1}, "$.alias", "expected boolean"),
        ("$ref cycle", {"loop": 1}, "$.loop", "$ref cycle"),
        ("required", {}, "$.name", "is required"),
        ("readOnly sent in a request", {"serverId": "1"}, "$.serverId", "read-only"),
        ("nullable enum still checks values", {"maybe": "b"}, "$.maybe", "must be one of"),
        ("null where not nullable", {"name": None}, "$.name", "must not be null"),
    ]
    for name, extra, where, fragment in cases:
        body = dict({"name": "abc"}, **extra)
        if not extra:
            body = {}
        errors = toy(body)
        check("toy: %s -> %s" % (name, where),
              any(e.startswith(where + ":") and fragment in e for e in errors), errors)
    check("toy: writeOnly is fine in a request, an error in a response",
          toy({"name": "abc", "secret": "s"}) == []
          and any("write-only" in e for e in toy({"name": "abc", "secret": "s"}, "response")))
    check("toy: readOnly is fine in a response", toy({"name": "abc", "serverId": "1"},
                                                     "response") == [])
    check("toy: strict counts allOf members' properties as declared",
          toy({"name": "abc", "both": {"a": "x", "b": 1}}, strict=True) == [],
          toy({"name": "abc", "both": {"a": "x", "b": 1}}, strict=True))
    check("toy: strict flags an undeclared member inside allOf",
          any(e.startswith("$.both.c:") for e in toy(
              {"name": "abc", "both": {"a": "x", "b": 1, "c": 0}}, strict=True)))


# -- the command line -----------------------------------------------------------

def run_cli(*args):
    p = subprocess.run([sys.executable, SCRIPT] + list(args), capture_output=True, text=True,
                       timeout=60)
    return p.returncode, p.stdout, p.stderr


def test_cli_dir_and_ops():
    with tempfile.TemporaryDirectory() as d:
        files = {
            "000001-CreateAudienceSegments.json": json.dumps(GOOD["ms"]["CreateAudienceSegments"][0]),
            "000002-UpdateContactListByAudienceSegment.json":
                json.dumps(amendment(identifierType="Email")),
            "000003-AddRemoveContactListByAudienceSegment.json": json.dumps(rm_amendment()),
            "000004-NoSuchOperation.json": "{}",
            "000005-searchAudiences.json": "{\"data\": ",
        }
        for name, text in files.items():
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
        rc, out, err = run_cli("--spec", MS_SPEC, "--spec", RM_SPEC, "--dir", d)
        lines = out.strip().splitlines()
        check("cli --dir: one line per file, summary last, exit 1",
              rc == 1 and lines[-1] == "2 passed, 3 failed" and len(lines) == 6, out + err)
        check("cli --dir: ok lines", "ok - 000001-CreateAudienceSegments.json" in lines
              and "ok - 000003-AddRemoveContactListByAudienceSegment.json" in lines, out)
        check("cli --dir: a wrong enum named with its path",
              any(l.startswith("not ok - 000002-UpdateContactListByAudienceSegment.json: "
                               "$.data.attributes.identifierType: must be one of") for l in lines),
              out)
        check("cli --dir: unknown operationId and broken JSON reported",
              any(l.startswith("not ok - 000004-NoSuchOperation.json: operationId "
                               "NoSuchOperation is in none") for l in lines)
              and any(l.startswith("not ok - 000005-searchAudiences.json: $: not valid JSON")
                      for l in lines), out)
        rc, out, _ = run_cli("--dir", d)
        check("cli: both 2026-07 specs are the default", out.strip().endswith("2 passed, 3 failed"),
              out)
        one = os.path.join(d, "000002-UpdateContactListByAudienceSegment.json")
        rc, out, _ = run_cli("--op", "UpdateContactListByAudienceSegment", one)
        check("cli --op: validates given files", rc == 1 and "identifierType" in out
              and out.strip().endswith("0 passed, 1 failed"), out)
        good = os.path.join(d, "000003-AddRemoveContactListByAudienceSegment.json")
        rc, out, _ = run_cli("--method", "POST", "--path",
                             "/2026-07/retail-media/audience-segments/1/contact-list/add-remove",
                             good)
        check("cli --method/--path: validates given files", rc == 0
              and out.strip().endswith("1 passed, 0 failed"), out)
        typo = os.path.join(d, "typo.json")
        with open(typo, "w") as f:
            json.dump(BAD[-2][3], f)         # identifiertype, misspelt
        rc1, out1, _ = run_cli("--op", "UpdateContactListByAudienceSegment", typo)
        rc2, out2, _ = run_cli("--op", "UpdateContactListByAudienceSegment", "--strict", typo)
        check("cli --strict: a misspelt optional member passes plain, fails strict",
              rc1 == 0 and rc2 == 1 and "$.data.attributes.identifiertype: is not declared" in out2,
              out1 + out2)
    with tempfile.TemporaryDirectory() as d:
        rc, out, _ = run_cli("--dir", d)
        check("cli --dir: an empty directory is 0 passed, 0 failed",
              rc == 0 and out.strip().endswith("0 passed, 0 failed"), out)


def test_cli_examples():
    with tempfile.TemporaryDirectory() as d:
        rc, out, err = run_cli("--spec", MS_SPEC, "--spec", RM_SPEC, "--examples", d)
        names = sorted(os.listdir(d))
        check("cli --examples: the three 200 examples of the audience operations",
              rc == 0 and names == ["AddRemoveContactListByAudienceSegment-200.json",
                                    "DeleteContactListByAudienceSegment-200.json",
                                    "UpdateContactListByAudienceSegment-200.json"], (names, out))
        check("cli --examples: each checked against its response schema",
              out.strip().endswith("3 passed, 0 failed"), out)
        with open(os.path.join(d, "AddRemoveContactListByAudienceSegment-200.json")) as f:
            text = f.read()
        doc = v.load_json(text)
        check("cli --examples: written as JSON, int64 digits intact",
              "568708742535471104" in text and doc["data"]["contactListId"] == 568708742535471104
              and doc["type"] == "AddRemoveContactlistResult", text[:120])
        full = os.path.join(os.path.dirname(MS_SPEC))
        more = [os.path.join(full, n) for n in ("marketingsolutions_2026-01.json",
                                                 "marketingsolutions_2027-01.json")]
        if all(os.path.exists(p) for p in more):
            with tempfile.TemporaryDirectory() as d2:
                rc, out, _ = run_cli("--spec", more[0], "--spec", more[1], "--spec", MS_SPEC,
                                     "--examples", d2)
                check("cli --examples: identical examples of several versions written once",
                      rc == 0 and len(os.listdir(d2)) == 2, os.listdir(d2))


# -- end to end: what the fake records and answers conforms ----------------------------

def test_fake_end_to_end():
    import http.client
    from fake_server import FakeCriteo
    import fake_criteo
    ms, rm = spec("ms"), spec("rm")
    # every route of the fake names a real operation of the right method and path
    for method, rx, op_id, _, _ in fake_criteo.ROUTES:
        owner = ms if "marketing-solutions" in rx.pattern else rm
        op = owner.find(op_id)
        template = re.sub(r"\(\?P<\w+>\[\^/\]\*\)", "{}", rx.pattern)
        ok = op is not None and op.method == method and \
            v.normalise_path(op.path) == v.normalise_path(template.replace("{}", "{x}"))
        check("fake route %s %s is the spec's %s" % (method, template, op_id), ok, op)
    served = {r[2] for r in fake_criteo.ROUTES}
    unserved = {op.operation_id for s in (ms, rm) for op in s.audience_operations()} - served
    check("fake serves every audience operation except line-item targeting",
          unserved == {"GetAudienceTargetsByLineItemId", "PutAudienceTargetsByLineItemId",
                       "AppendAudienceTargetsByLineItemId", "DeleteAudienceTargetsByLineItemId"},
          sorted(unserved))

    with tempfile.TemporaryDirectory() as bodies, FakeCriteo(record_bodies=bodies) as fc:
        conn = http.client.HTTPSConnection("localhost", fc.port, timeout=15,
                                           context=fc.ssl_context())
        conn.request("POST", "/oauth2/token",
                     "client_id=demo-client&client_secret=demo-secret&"
                     "grant_type=client_credentials",
                     {"Content-Type": "application/x-www-form-urlencoded"})
        token = json.loads(conn.getresponse().read())["access_token"]
        answers = []

        def call(method, path, body=None, query=""):
            headers = {"Authorization": "Bearer " + token}
            raw = None
            if body is not None:
                raw = json.dumps(body)
                headers["Content-Type"] = "application/json"
            conn.request(method, path + ("?" + query if query else ""), raw, headers)
            resp = conn.getresponse()
            data = resp.read()
            answers.append((method, path, resp.status, data))
            return resp.status, (json.loads(data) if data else None)

        P, R = "/2026-07/marketing-solutions/", "/2026-07/retail-media/"
        _, b = call("POST", P + "audience-segments/create", {"data": [
            {"type": "AudienceSegment", "attributes": {"advertiserId": "1", "name": "a",
                                                       "contactList": {}}},
            {"type": "AudienceSegment", "attributes": {"advertiserId": "1", "name": "a",
                                                       "contactList": {}}},
            {"type": "AudienceSegment", "attributes": {
                "advertiserId": "1", "name": "b", "inMarket": {"country": "FR"}}}]})
        a, other = b["data"][0]["id"], b["data"][1]["id"]
        call("PATCH", P + "audience-segments/%s/contact-list" % a, amendment())
        call("GET", P + "audience-segments/%s/contact-list/statistics" % a)
        for op_id, examples in GOOD["ms"].items():
            if op_id in ("CreateAudienceSegments", "UpdateContactListByAudienceSegment",
                         "DeleteAudienceSegments"):
                continue
            # the first correct body of each other operation, on real ids
            body = json.loads(json.dumps(examples[0]).replace('"1001"', '"%s"' % a)
                              .replace('"1002"', '"%s"' % other))
            op = ms.find(op_id)
            call(op.method, op.path, body, "limit=10" if "search" in op.path else "")
        _, b = call("POST", P + "audiences/create", {"data": [{"attributes": {
            "advertiserId": "1", "name": "aud", "algebra": {"audienceSegmentId": a}}}]})
        # a is used by the audience (error), other goes, 77 is unknown (warning)
        _, b = call("POST", P + "audience-segments/delete", ids_of([a, other, "77"]))
        check("end to end: the delete answer lists the deleted segment",
              [d["id"] for d in b["data"]] == [other] and len(b["errors"]) == 1
              and len(b["warnings"]) == 1, b)
        call("GET", P + "audience-segments/in-market-brands", query="advertiser-id=1&country=FR")
        call("GET", P + "audience-segments/in-market-interests",
             query="advertiser-id=1&country=FR")
        call("DELETE", P + "audience-segments/%s/contact-list" % a)
        _, b = call("POST", R + "accounts/300/audience-segments/create", {"data": [
            {"attributes": {"name": "r", "retailerId": "12",
                            "contactList": {"identifierType": "Email"}}},
            {"attributes": {"name": "r", "retailerId": "12",
                            "contactList": {"identifierType": "Email"}}}]})
        r = b["data"][0]["id"]
        fc.rm_audience("300", "12", "seeded", {"audienceSegmentId": r})
        call("POST", R + "audience-segments/%s/contact-list/add-remove" % r, rm_amendment())
        call("GET", R + "accounts/300/audience-segments/%s/contact-list" % r)
        call("PATCH", R + "accounts/300/audience-segments",
             {"data": [{"id": r, "attributes": {"description": {"value": "d"}}},
                       {"id": "5", "attributes": {}}]})
        call("POST", R + "accounts/300/audience-segments/search",
             {"data": {"attributes": {"retailerIds": ["12"]}}})
        call("POST", R + "accounts/300/audiences/search", {"data": {"attributes": {}}})
        call("POST", R + "accounts/300/audience-segments/delete", ids_of([r, "6"]))
        call("POST", R + "audience-segments/%s/contact-list/clear" % r)
        conn.close()

        rc, out, _ = run_cli("--spec", MS_SPEC, "--spec", RM_SPEC, "--strict", "--dir", bodies)
        recorded = len(os.listdir(bodies))
        check("end to end: every body the fake recorded conforms (strict), %d files" % recorded,
              rc == 0 and recorded >= 20 and out.strip().endswith("%d passed, 0 failed"
                                                                    % recorded), out[-600:])
        failures = []
        statuses = set()
        for method, path, status, data in answers:
            owner = rm if "/retail-media/" in path else ms
            op = owner.find(method=method, path=path)
            statuses.add(status)
            if status == 204:
                if data:
                    failures.append("%s %s: 204 with a body" % (method, path))
                continue
            errors = v.validate_response(owner, data, op.operation_id, str(status), strict=True)
            failures += ["%s %s: %s" % (method, path, e) for e in errors]
        check("end to end: every answer of the fake matches its response schema (strict)",
              failures == [] and statuses == {200, 204}, failures[:5] or statuses)
        # the switch's wrapped RM shape is the guide's, not the spec's: the
        # validator must see the difference
        wrapped = {"data": {"type": "ContactlistAmendment", "attributes": {
            "contactListId": 1, "operation": "add", "nbValidIdentifiers": 1}},
            "errors": [], "warnings": []}
        errors = v.validate_response(rm, wrapped, "AddRemoveContactListByAudienceSegment")
        check("the RM guide's wrapped counts do not match the spec's schema",
              "$.data.contactListId: is required" in errors, errors)


def ids_of(ids):
    return {"data": [{"id": i, "type": "x", "attributes": {}} for i in ids]}


def main():
    t0 = time.monotonic()
    missing = [p for p in (MS_SPEC, RM_SPEC) if not os.path.exists(p)]
    if not check("the 2026-07 spec files are there", not missing, missing):
        return summary()
    for group in (test_good_bodies, test_bad_bodies, test_parsing, test_find, test_keywords,
                  test_cli_dir_and_ops, test_cli_examples, test_fake_end_to_end):
        run_group(group)
    sys.stderr.write("selftest_validate took %.1f s\n" % (time.monotonic() - t0))
    return summary()


if __name__ == "__main__":
    sys.exit(main())
