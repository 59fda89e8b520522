#!/usr/bin/env python3
"""validate.py - checks JSON bodies against Criteo's OpenAPI 3.0 files.

A JSON-Schema subset validator for OpenAPI 3.0, standard library only.  It
finds an operation's requestBody (or a response) schema for
application/json and reports every mismatch with a JSON path:

    $.data[0].attributes.advertiserId: expected string, got integer

Schema keywords understood: $ref (any local JSON pointer, e.g.
#/components/schemas/X; siblings of $ref are ignored as OpenAPI 3.0 says),
type (object, array, string, integer, number, boolean), nullable, enum,
required, properties, additionalProperties (false or a schema), items,
minItems, maxItems, uniqueItems, minLength, maxLength, pattern, minimum,
maximum, exclusiveMinimum/Maximum (3.0 booleans), multipleOf,
minProperties, maxProperties, format (int32 and int64 ranges, date-time,
date), allOf, anyOf, oneOf, not, and readOnly (must not be sent in a
request) / writeOnly (must not come back in a response).  Bodies are parsed
strictly: invalid UTF-8, duplicate object keys, NaN and Infinity are
errors.  With strict=True (--strict) a member the schema does not declare is
an error too, which catches a misspelt optional field that OpenAPI would
let through.

Command line (every mode prints "ok - ..." / "not ok - ...: why" lines and
ends with "N passed, N failed"; exit status 1 if anything failed):

  validate.py [--spec FILE]... --dir DIR [--strict]
      every DIR/NNNNNN-<operationId>.json (written by fake_criteo.py
      --record-bodies) against the requestBody of that operation, in every
      spec that has it
  validate.py [--spec FILE]... --op OPERATION_ID [--strict] FILE...
  validate.py [--spec FILE]... --method POST --path /2026-07/... FILE...
      the given files against one operation (path: a template or a real
      path; any version segment matches)
  validate.py [--spec FILE]... --examples OUTDIR
      writes every example of a 200/201 JSON response of the audience
      operations to OUTDIR/<operationId>-<status>[-<name>].json (for
      tests/integration/itest_examples) and checks each against its schema

Without --spec: ../shared/criteo-api/spec/full/{marketingsolutions,
retailmedia}_2026-07.json next to the repository.
"""

import argparse
import json
import math
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SPEC_DIR = os.path.join(os.path.dirname(ROOT), "shared", "criteo-api", "spec", "full")
DEFAULT_SPECS = [os.path.join(SPEC_DIR, name) for name in
                 ("marketingsolutions_2026-07.json", "retailmedia_2026-07.json")]

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
AUDIENCE_PATH_RE = re.compile(r"/(audience-segments|audiences)(/|$)")
VERSION_SEGMENT_RE = re.compile(r"^/(\{[^}/]+\}|[0-9]{4}-[0-9]{2}|experimental|preview)(?=/)")
RECORDED_RE = re.compile(r"^([0-9]+)-(.+)\.json$")
IDENT_RE = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$-]*$")
DATE_TIME_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}"
                          r"(\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})$")
DATE_RE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
INT_FORMATS = {"int32": (-2 ** 31, 2 ** 31 - 1), "int64": (-2 ** 63, 2 ** 63 - 1)}
MAX_DEPTH = 256
MAX_SHOWN = 12          # errors shown per file on the command line


# --------------------------------------------------------------------------
# JSON helpers

class BodyError(ValueError):
    """The body is not strict JSON."""


def _no_duplicates(pairs):
    obj = {}
    for key, value in pairs:
        if key in obj:
            raise BodyError("duplicate key %s in an object" % json.dumps(key))
        obj[key] = value
    return obj


def _no_constants(name):
    raise BodyError("%s is not JSON" % name)


def load_json(raw):
    """Parses bytes or text strictly; raises BodyError with the reason."""
    if isinstance(raw, bytes):
        if raw.startswith(b"\xef\xbb\xbf"):
            raise BodyError("starts with a UTF-8 byte order mark")
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise BodyError("not valid UTF-8 (%s)" % e.reason) from None
    try:
        return json.loads(raw, object_pairs_hook=_no_duplicates, parse_constant=_no_constants)
    except json.JSONDecodeError as e:
        raise BodyError("not valid JSON (%s at line %d column %d)"
                        % (e.msg, e.lineno, e.colno)) from None
    except RecursionError:
        raise BodyError("nested too deeply") from None


def json_type(value):
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
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def child(path, key):
    if isinstance(key, int):
        return "%s[%d]" % (path, key)
    if IDENT_RE.match(key):
        return "%s.%s" % (path, key)
    return "%s[%s]" % (path, json.dumps(key))


def same(a, b):
    """JSON equality: true is not 1, 1 is 1.0, objects and arrays deep."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


def short(value, limit=60):
    text = json.dumps(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


# --------------------------------------------------------------------------
# Specs and operations

class Operation:
    def __init__(self, spec, method, path, op):
        self.spec, self.method, self.path, self.op = spec, method.upper(), path, op
        self.operation_id = op.get("operationId")

    def __repr__(self):
        return "%s %s (%s)" % (self.method, self.path, self.operation_id)

    def request_schema(self):
        """The application/json requestBody schema, or None."""
        body = self.spec.deref(self.op.get("requestBody"))
        if not isinstance(body, dict):
            return None
        return _json_media_schema(self.spec, body.get("content"))

    def request_required(self):
        body = self.spec.deref(self.op.get("requestBody"))
        return isinstance(body, dict) and body.get("required") is True

    def responses(self):
        """{status: response object} with $refs resolved."""
        return {str(k): self.spec.deref(v) for k, v in (self.op.get("responses") or {}).items()}

    def response_schema(self, status):
        resp = self.responses().get(str(status))
        return None if not isinstance(resp, dict) else \
            _json_media_schema(self.spec, resp.get("content"))


def _json_media(content):
    """The JSON media type object of a content map (application/json first)."""
    if not isinstance(content, dict):
        return None
    for name in ("application/json",) + tuple(sorted(content)):
        base = name.split(";", 1)[0].strip().lower()
        if base == "application/json" or base.endswith("+json") or base == "text/json":
            if isinstance(content.get(name), dict):
                return content[name]
    return None


def _json_media_schema(spec, content):
    media = _json_media(content)
    return None if media is None else media.get("schema")


def normalise_path(path):
    """/2026-07/x/{id} and /{version}/x/{other} compare equal."""
    path = path.split("?", 1)[0]
    path = VERSION_SEGMENT_RE.sub("/{version}", path, count=1)
    return re.sub(r"\{[^}/]+\}", "{}", path)


class Spec:
    """One OpenAPI 3.0 document."""

    def __init__(self, source, name=None):
        if isinstance(source, dict):
            self.doc, self.name = source, name or "spec"
        else:
            with open(source, "rb") as f:
                self.doc = load_json(f.read())
            self.name = name or os.path.basename(source)
        self.operations = {}            # operationId -> [Operation]
        self.all_operations = []
        for path, item in (self.doc.get("paths") or {}).items():
            item = self.deref(item)
            for method in METHODS:
                op = item.get(method) if isinstance(item, dict) else None
                if isinstance(op, dict):
                    o = Operation(self, method, path, op)
                    self.all_operations.append(o)
                    if o.operation_id:
                        self.operations.setdefault(o.operation_id, []).append(o)

    def deref(self, node, seen=None):
        """Follows $ref (local JSON pointers) until a non-reference."""
        seen = set() if seen is None else seen
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if not isinstance(ref, str) or not ref.startswith("#"):
                raise ValueError("unsupported $ref %r (only local references)" % (ref,))
            if ref in seen:
                raise ValueError("$ref cycle through %s" % ref)
            seen.add(ref)
            node = self.pointer(ref[1:])
        return node

    def pointer(self, pointer):
        node = self.doc
        if pointer in ("", "/"):
            return node
        for part in pointer.lstrip("/").split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            elif isinstance(node, dict) and part in node:
                node = node[part]
            else:
                raise ValueError("$ref target #%s not found in %s" % (pointer, self.name))
        return node

    def find(self, operation_id=None, method=None, path=None):
        """One operation by operationId, or by method and path (a template or
        a real path; the version segment is ignored).  None if absent."""
        if operation_id is not None:
            ops = self.operations.get(operation_id) or []
            return ops[0] if ops else None
        method = (method or "").upper()
        want = (path or "").split("?", 1)[0]
        best = None
        for op in self.all_operations:
            if op.method != method:
                continue
            template = VERSION_SEGMENT_RE.sub("/{version}", op.path, count=1)
            # Each {parameter} (and the version) matches one path segment;
            # a template given as such matches itself the same way.
            pattern = "^" + re.sub(r"\\\{[^/]*?\\\}", "[^/]+", re.escape(template)) + "$"
            if re.match(pattern, want):
                # The most literal template wins (/audiences/search over /audiences/{id}).
                if best is None or op.path.count("{") < best.path.count("{"):
                    best = op
        return best

    def audience_operations(self):
        return [op for op in self.all_operations if AUDIENCE_PATH_RE.search(op.path)]


# --------------------------------------------------------------------------
# The validator

class Validator:
    """Validates values against schemas of one Spec.

    direction: "request" (readOnly members must not be sent) or "response"
    (writeOnly members must not come back).  strict: undeclared members of
    objects without additionalProperties are errors as well."""

    def __init__(self, spec, direction="request", strict=False):
        self.spec, self.direction, self.strict = spec, direction, strict

    def validate(self, schema, value, path="$"):
        errors = []
        self._check(schema, value, path, errors, 0, False)
        return errors

    # -- internals -------------------------------------------------------
    def _declared(self, schema, depth=0):
        """Property names a schema declares, through allOf/anyOf/oneOf; None
        if it accepts any member (additionalProperties given, or no
        properties declared anywhere: a free-form object)."""
        names, seen = set(), [False]

        def walk(node, level):
            node = self.spec.deref(node)
            if not isinstance(node, dict) or level > 32:
                return True
            if node.get("additionalProperties") not in (None, False):
                return False
            if "properties" in node:
                seen[0] = True
                names.update(node["properties"])
            return all(walk(sub, level + 1) for key in ("allOf", "anyOf", "oneOf")
                       for sub in node.get(key) or ())
        if not walk(schema, depth) or not seen[0]:
            return None
        return names

    def _check(self, schema, value, path, errors, depth, in_combinator):
        if depth > MAX_DEPTH:
            errors.append("%s: nested deeper than %d levels" % (path, MAX_DEPTH))
            return
        try:
            schema = self.spec.deref(schema)
        except ValueError as e:
            errors.append("%s: %s" % (path, e))
            return
        if schema is True or schema is None or schema == {}:
            return
        if schema is False:
            errors.append("%s: no value is allowed here" % path)
            return
        if not isinstance(schema, dict):
            errors.append("%s: schema is not an object (%s)" % (path, short(schema)))
            return

        if value is None:
            # OpenAPI 3.0: null only where nullable: true (or no type at all).
            if schema.get("nullable") is True:
                return
            if "type" in schema or "enum" in schema:
                errors.append("%s: must not be null (not nullable)" % path)
                return
        else:
            stype = schema.get("type")
            if stype is not None and not self._type_ok(stype, value):
                errors.append("%s: expected %s, got %s" % (path, stype, json_type(value)))
                return
            if "enum" in schema and not any(same(value, e) for e in schema["enum"]):
                errors.append("%s: must be one of %s (got %s)"
                              % (path, ", ".join(short(e, 40) for e in schema["enum"]),
                                 short(value)))
            self._check_format(schema, value, path, errors)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                self._check_number(schema, value, path, errors)
            elif isinstance(value, str):
                self._check_string(schema, value, path, errors)
            elif isinstance(value, list):
                self._check_array(schema, value, path, errors, depth)
            elif isinstance(value, dict):
                self._check_object(schema, value, path, errors, depth, in_combinator)

        for sub in schema.get("allOf") or ():
            self._check(sub, value, path, errors, depth + 1, True)
        if "anyOf" in schema:
            results = [self._try(sub, value, path, depth) for sub in schema["anyOf"]]
            if all(results):
                errors.append("%s: matches none of anyOf (first: %s)"
                              % (path, results[0][0] if results and results[0] else "?"))
        if "oneOf" in schema:
            results = [self._try(sub, value, path, depth) for sub in schema["oneOf"]]
            matching = sum(1 for r in results if not r)
            if matching != 1:
                why = "none" if matching == 0 else "%d" % matching
                first = next((r[0] for r in results if r), "")
                errors.append("%s: must match exactly one of oneOf (matches %s%s)"
                              % (path, why, "; first: " + first if matching == 0 else ""))
        if "not" in schema and not self._try(schema["not"], value, path, depth):
            errors.append("%s: must not match the schema under \"not\"" % path)

    def _try(self, schema, value, path, depth):
        errors = []
        self._check(schema, value, path, errors, depth + 1, True)
        return errors

    @staticmethod
    def _type_ok(stype, value):
        if stype == "object":
            return isinstance(value, dict)
        if stype == "array":
            return isinstance(value, list)
        if stype == "string":
            return isinstance(value, str)
        if stype == "boolean":
            return isinstance(value, bool)
        if stype == "integer":
            return isinstance(value, int) and not isinstance(value, bool)
        if stype == "number":
            return isinstance(value, (int, float)) and not isinstance(value, bool) \
                and math.isfinite(value)
        return True         # an unknown type name constrains nothing

    @staticmethod
    def _check_format(schema, value, path, errors):
        fmt = schema.get("format")
        if fmt in INT_FORMATS and isinstance(value, int) and not isinstance(value, bool):
            lo, hi = INT_FORMATS[fmt]
            if not lo <= value <= hi:
                errors.append("%s: %d is out of the %s range" % (path, value, fmt))
        elif fmt in INT_FORMATS and isinstance(value, float) and schema.get("type") == "integer":
            errors.append("%s: %s is not a whole number" % (path, value))
        elif fmt == "date-time" and isinstance(value, str) and not DATE_TIME_RE.match(value):
            errors.append("%s: %s is not an RFC 3339 date-time" % (path, short(value)))
        elif fmt == "date" and isinstance(value, str) and not DATE_RE.match(value):
            errors.append("%s: %s is not a date (YYYY-MM-DD)" % (path, short(value)))

    @staticmethod
    def _check_number(schema, value, path, errors):
        lo, hi = schema.get("minimum"), schema.get("maximum")
        if lo is not None:
            if schema.get("exclusiveMinimum") is True and not value > lo:
                errors.append("%s: must be > %s (got %s)" % (path, lo, value))
            elif value < lo:
                errors.append("%s: must be >= %s (got %s)" % (path, lo, value))
        if hi is not None:
            if schema.get("exclusiveMaximum") is True and not value < hi:
                errors.append("%s: must be < %s (got %s)" % (path, hi, value))
            elif value > hi:
                errors.append("%s: must be <= %s (got %s)" % (path, hi, value))
        step = schema.get("multipleOf")
        if step and (value / step) != int(value / step):
            errors.append("%s: must be a multiple of %s" % (path, step))

    @staticmethod
    def _check_string(schema, value, path, errors):
        n = len(value)
        if "minLength" in schema and n < schema["minLength"]:
            errors.append("%s: shorter than %d characters" % (path, schema["minLength"]))
        if "maxLength" in schema and n > schema["maxLength"]:
            errors.append("%s: longer than %d characters (%d)" % (path, schema["maxLength"], n))
        if "pattern" in schema:
            try:
                if re.search(schema["pattern"], value) is None:
                    errors.append("%s: does not match pattern %s" % (path, schema["pattern"]))
            except re.error:
                pass        # an ECMA-only pattern: not checked

    def _check_array(self, schema, value, path, errors, depth):
        if "minItems" in schema and len(value) < schema["minItems"]:
            errors.append("%s: fewer than %d items (%d)" % (path, schema["minItems"], len(value)))
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            errors.append("%s: more than %d items (%d)" % (path, schema["maxItems"], len(value)))
        if schema.get("uniqueItems") is True:
            for i in range(len(value)):
                if any(same(value[i], value[j]) for j in range(i)):
                    errors.append("%s: repeats an earlier item (uniqueItems)" % child(path, i))
        items = schema.get("items")
        if items is not None:
            for i, item in enumerate(value):
                self._check(items, item, child(path, i), errors, depth + 1, False)

    def _check_object(self, schema, value, path, errors, depth, in_combinator):
        props = schema.get("properties") or {}
        for name in schema.get("required") or ():
            if name not in value:
                errors.append("%s: is required" % child(path, name))
        if "minProperties" in schema and len(value) < schema["minProperties"]:
            errors.append("%s: fewer than %d members" % (path, schema["minProperties"]))
        if "maxProperties" in schema and len(value) > schema["maxProperties"]:
            errors.append("%s: more than %d members" % (path, schema["maxProperties"]))
        extra = schema.get("additionalProperties")
        declared = None
        if self.strict and extra is None and not in_combinator:
            declared = self._declared(schema)
        for key, item in value.items():
            where = child(path, key)
            if key in props:
                sub = props[key]
                try:
                    target = self.spec.deref(sub)
                except ValueError:
                    target = None
                if isinstance(target, dict):
                    if self.direction == "request" and target.get("readOnly") is True:
                        errors.append("%s: is read-only and must not be sent" % where)
                        continue
                    if self.direction == "response" and target.get("writeOnly") is True:
                        errors.append("%s: is write-only and must not come back" % where)
                        continue
                self._check(sub, item, where, errors, depth + 1, False)
            elif extra is False:
                errors.append("%s: is not allowed (additionalProperties: false)" % where)
            elif isinstance(extra, dict):
                self._check(extra, item, where, errors, depth + 1, False)
            elif declared is not None and key not in declared:
                errors.append("%s: is not declared by the schema (strict)" % where)


# --------------------------------------------------------------------------
# Entry points

def validate_value(spec, schema, value, direction="request", strict=False):
    return Validator(spec, direction, strict).validate(schema, value)


def validate_body(spec, body, operation_id=None, method=None, path=None, strict=False):
    """Errors of one request body (bytes, text or an already parsed value)
    against an operation's requestBody; [] when it conforms."""
    op = spec.find(operation_id, method, path)
    if op is None:
        return ["operation %s is not in %s" % (operation_id or "%s %s" % (method, path),
                                               spec.name)]
    schema = op.request_schema()
    if schema is None:
        return ["%s takes no JSON request body in %s" % (op.operation_id, spec.name)]
    if isinstance(body, (bytes, str)):
        if not body.strip():
            return ["the body is empty"] if op.request_required() else []
        try:
            body = load_json(body)
        except BodyError as e:
            return ["$: %s" % e]
    return validate_value(spec, schema, body, "request", strict)


def validate_response(spec, body, operation_id, status="200", strict=False):
    op = spec.find(operation_id)
    if op is None:
        return ["operation %s is not in %s" % (operation_id, spec.name)]
    schema = op.response_schema(status)
    if schema is None:
        return ["%s has no JSON %s response in %s" % (operation_id, status, spec.name)]
    if isinstance(body, (bytes, str)):
        try:
            body = load_json(body)
        except BodyError as e:
            return ["$: %s" % e]
    return validate_value(spec, schema, body, "response", strict)


def specs_with(specs, operation_id):
    return [s for s in specs if operation_id in s.operations]


def validate_recorded(specs, path, strict=False):
    """Errors of one DIR/NNNNNN-<operationId>.json file (see --dir)."""
    m = RECORDED_RE.match(os.path.basename(path))
    if m is None:
        return ["the name is not NNNNNN-<operationId>.json"]
    op_id = m.group(2)
    owners = specs_with(specs, op_id)
    if not owners:
        return ["operationId %s is in none of the specs (%s)"
                % (op_id, ", ".join(s.name for s in specs))]
    with open(path, "rb") as f:
        raw = f.read()
    errors = []
    for spec in owners:
        found = validate_body(spec, raw, operation_id=op_id, strict=strict)
        prefix = "[%s] " % spec.name if len(owners) > 1 else ""
        errors += [prefix + e for e in found]
    return errors


def example_values(spec, media):
    """(suffix, value) of a media type object's example/examples."""
    out = []
    if not isinstance(media, dict):
        return out
    if "example" in media:
        out.append(("", media["example"]))
    for key, ex in sorted((media.get("examples") or {}).items()):
        ex = spec.deref(ex)
        if isinstance(ex, dict) and "value" in ex:
            out.append(("-" + re.sub(r"[^A-Za-z0-9_.-]+", "_", key), ex["value"]))
    if not out:
        schema = spec.deref(media.get("schema"))
        if isinstance(schema, dict) and "example" in schema:
            out.append(("-schema", schema["example"]))
    return out


def extract_examples(specs, outdir, statuses=("200", "201")):
    """Writes the audience operations' response examples; returns
    [(file name, spec, operation, status, value)]."""
    os.makedirs(outdir, exist_ok=True)
    written, contents = [], {}
    for spec in specs:
        for op in spec.audience_operations():
            for status, resp in sorted(op.responses().items()):
                if status not in statuses or not isinstance(resp, dict):
                    continue
                media = _json_media(resp.get("content"))
                for suffix, value in example_values(spec, media):
                    name = "%s-%s%s.json" % (op.operation_id, status, suffix)
                    if name in contents:
                        if same(contents[name], value):
                            continue            # the same example in another version
                        version = str((spec.doc.get("info") or {}).get("version", spec.name))
                        name = name[:-5] + "-" + re.sub(r"[^A-Za-z0-9_.-]+", "_", version) + ".json"
                    contents[name] = value
                    with open(os.path.join(outdir, name), "w", encoding="utf-8") as f:
                        json.dump(value, f, indent=2, ensure_ascii=False)
                        f.write("\n")
                    written.append((name, spec, op, status, value))
    return written


# --------------------------------------------------------------------------
# Command line

class Tally:
    def __init__(self):
        self.passed = self.failed = 0

    def report(self, name, errors):
        if errors:
            self.failed += 1
            shown = errors[:MAX_SHOWN]
            more = len(errors) - len(shown)
            print("not ok - %s: %s%s" % (name, "; ".join(shown),
                                          "; ... and %d more" % more if more else ""))
        else:
            self.passed += 1
            print("ok - %s" % name)
        sys.stdout.flush()

    def summary(self):
        print("%d passed, %d failed" % (self.passed, self.failed))
        return 1 if self.failed else 0


def main(argv=None):
    p = argparse.ArgumentParser(
        description="Validate JSON bodies against Criteo's OpenAPI 3.0 specifications.")
    p.add_argument("--spec", action="append", metavar="FILE",
                   help="an OpenAPI JSON file (repeatable); default: both 2026-07 specs")
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--dir", help="validate DIR/NNNNNN-<operationId>.json request bodies")
    mode.add_argument("--op", metavar="OPERATION_ID", help="validate FILEs against this operation")
    mode.add_argument("--method", help="with --path: validate FILEs against this operation")
    mode.add_argument("--examples", metavar="OUTDIR",
                      help="write the audience operations' 200/201 response examples")
    p.add_argument("--path", help="path (template or real) for --method")
    p.add_argument("--strict", action="store_true",
                   help="also reject members the schema does not declare")
    p.add_argument("files", nargs="*", help="bodies for --op / --method")
    args = p.parse_args(argv)
    if args.method and not args.path:
        p.error("--method needs --path")
    if (args.op or args.method) and not args.files:
        p.error("--op and --method need FILEs")
    try:
        specs = [Spec(path) for path in (args.spec or DEFAULT_SPECS)]
    except (OSError, ValueError) as e:
        sys.stderr.write("validate.py: cannot load a spec: %s\n" % e)
        print("0 passed, 1 failed")
        return 2
    tally = Tally()

    if args.dir:
        try:
            names = sorted(n for n in os.listdir(args.dir) if n.endswith(".json"))
        except OSError as e:
            tally.report(args.dir, ["cannot list: %s" % e])
            return tally.summary()
        if not names:
            print("# no recorded bodies in %s" % args.dir)
        for name in names:
            tally.report(name, validate_recorded(specs, os.path.join(args.dir, name),
                                                 args.strict))
        return tally.summary()

    if args.examples:
        written = extract_examples(specs, args.examples)
        for name, spec, op, status, value in written:
            tally.report("%s (%s %s, %s)" % (name, op.method, op.path, spec.name),
                         validate_value(spec, op.response_schema(status), value, "response",
                                        args.strict))
        print("# %d example%s written to %s" % (len(written), "" if len(written) == 1 else "s",
                                                 args.examples))
        return tally.summary()

    for path in args.files:
        try:
            with open(path, "rb") as f:
                raw = f.read()
        except OSError as e:
            tally.report(path, ["cannot read: %s" % e])
            continue
        errors, owners = [], 0
        for spec in specs:
            op = spec.find(args.op, args.method, args.path)
            if op is None:
                continue
            owners += 1
            errors += validate_body(spec, raw, operation_id=op.operation_id, strict=args.strict)
        if owners == 0:
            errors = ["operation %s is in none of the specs"
                      % (args.op or "%s %s" % (args.method.upper(), args.path))]
        tally.report(path, errors)
    return tally.summary()


if __name__ == "__main__":
    sys.exit(main())
