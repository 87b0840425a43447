#!/usr/bin/env python3
"""Differential-test corpus for the OCPP schema validator.

For every official OCA JSON schema shipped in the PyPI package `ocpp` (1.6, 2.0.1, 2.1)
this script synthesizes deterministic (seeded) payloads:

* VALID payloads: only the required properties; every property filled (arrays at minItems
  or 1..2 elements, strings at random lengths within maxLength with non-ASCII characters,
  numbers within bounds and respecting multipleOf, date-times with Z / offsets / fractions);
  a mix of both; and a boundary variant with every string at exactly maxLength code points
  and every bounded number at its bound.
* MUTATED payloads: a valid payload with exactly one change, each with the error class the
  generator expects (formation / type / occurrence / property), at every depth.

The verdict of record is the independent Python `jsonschema` validator (Draft4Validator for
draft-04 files, Draft6Validator for draft-06 files) with `FormatChecker()`. Every intended
violation is checked against it; a mutation that jsonschema accepts is recorded as valid
only when the generator marked it as possibly valid (integral floats such as `3.0` for an
`integer` in draft-06); any other surprise is a generator bug and aborts the run.

Schemas and payloads are parsed with `parse_float=decimal.Decimal` so that numbers compare
in exact decimal (multipleOf 0.1 accepts 0.3) and are written back without loss.

Output: JSON Lines, one payload per line:
  {"id", "version", "action", "kind", "payload", "valid", "expectedClass", "mutation", "path"}
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import sys
import time
from decimal import Decimal
from importlib import metadata
from pathlib import Path

import ocpp
from jsonschema import Draft4Validator, Draft6Validator, FormatChecker, validators

VERSIONS = (("1.6", "v16"), ("2.0.1", "v201"), ("2.1", "v21"))
CLASSES = ("formation", "type", "occurrence", "property")

# ---------------------------------------------------------------------------------------
# jsonschema set-up


def _is_integer_draft6(checker, instance) -> bool:
    """jsonschema's own draft-06 `integer` rule (an int, or a float with no fraction),
    extended to the Decimals that `parse_float=Decimal` produces. Without this, draft-06
    would refuse `2.0` only because of how this script parses JSON, which the draft-06
    specification does not intend ("integer" = any number with a zero fractional part)."""
    if isinstance(instance, bool):
        return False
    if isinstance(instance, int):
        return True
    if isinstance(instance, float):
        return instance.is_integer()
    if isinstance(instance, Decimal):
        return instance.is_finite() and instance == instance.to_integral_value()
    return False


Draft6DecimalValidator = validators.extend(
    Draft6Validator,
    type_checker=Draft6Validator.TYPE_CHECKER.redefine("integer", _is_integer_draft6),
)

KEYWORD_CLASS = {
    "additionalProperties": "formation",
    "type": "type",
    "required": "occurrence",
    "minItems": "occurrence",
    "maxItems": "occurrence",
    "enum": "property",
    "maxLength": "property",
    "minLength": "property",
    "minimum": "property",
    "maximum": "property",
    "multipleOf": "property",
    "format": "property",
}


def error_class(errors) -> str | None:
    """The OCPP error class that jsonschema's errors map to (first in precedence order)."""
    found = set()
    for e in errors:
        cls = KEYWORD_CLASS.get(e.validator)
        if cls is None:
            raise RuntimeError(f"unmapped jsonschema keyword {e.validator!r}: {e.message}")
        if e.validator == "type" and len(e.absolute_path) == 0:
            cls = "formation"  # the payload itself is not an object
        found.add(cls)
    for cls in CLASSES:
        if cls in found:
            return cls
    return None


def make_validator(schema: dict):
    draft4 = "draft-04" in schema.get("$schema", "")
    cls = Draft4Validator if draft4 else Draft6DecimalValidator
    return cls(schema, format_checker=FormatChecker()), draft4


# ---------------------------------------------------------------------------------------
# Schema files


def schema_files(version_dir: str):
    """(action, kind, path) for every schema of one version, sorted."""
    root = Path(ocpp.__file__).parent / version_dir / "schemas"
    out = []
    for path in sorted(root.glob("*.json")):
        stem = path.stem
        if stem.endswith("Response"):
            action, kind = stem[: -len("Response")], "response"
        elif stem.endswith("Request"):
            action, kind = stem[: -len("Request")], "request"
        else:  # 1.6 requests, and 2.1 NotifyPeriodicEventStream (SEND, no response)
            action, kind = stem, "request"
        out.append((action, kind, path))
    return out


def load_json(path: Path):
    with open(path, encoding="utf-8") as f:
        return json.load(f, parse_float=Decimal)


# ---------------------------------------------------------------------------------------
# JSON output without loss


class Literal(Decimal):
    """A number written with a chosen literal text (`3.0`, `4.2e1`), which a plain Decimal
    would normalize when printed. jsonschema sees its decimal value."""

    def __new__(cls, text: str):
        obj = super().__new__(cls, text)
        obj.text = text
        return obj


class IntLiteral(int):
    """An integer written with a chosen literal text (`-0`); jsonschema sees an int, as it
    would after parsing that text."""

    def __new__(cls, text: str):
        obj = super().__new__(cls, int(text))
        obj.text = text
        return obj


def dump(v, ascii_only: bool = False) -> str:
    """Compact JSON; Decimals written as their exact text, non-ASCII kept as UTF-8."""
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, IntLiteral):
        return v.text
    if isinstance(v, int):
        return str(v)
    if isinstance(v, Literal):
        return v.text
    if isinstance(v, Decimal):
        if not v.is_finite():
            raise ValueError("non-finite number")
        return str(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=ascii_only)
    if isinstance(v, list):
        return "[" + ",".join(dump(x, ascii_only) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ",".join(json.dumps(k, ensure_ascii=ascii_only) + ":" + dump(x, ascii_only)
                              for k, x in v.items()) + "}"
    raise TypeError(f"cannot encode {type(v).__name__}")


def same_json(a, b) -> bool:
    """JSON equality with exact decimal numbers (bools are not numbers)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, Decimal)) and isinstance(b, (int, Decimal)):
        return Decimal(a) == Decimal(b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


# ---------------------------------------------------------------------------------------
# Values

# Single code points: ASCII (with JSON escapes), Latin, Greek, Cyrillic, CJK, symbols,
# astral emoji (two UTF-16 units, four UTF-8 bytes), a combining accent, zero-width space.
ASCII = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_.:/"
SPECIAL = ['"', "\\", "\n", "\t", "\u0001", "/", "\u0000", "\u007f"]
NON_ASCII = ["é", "ß", "ü", "Ω", "Ж", "中", "文", "€", "😀", "🚗", "\u0301", "\u200b", "ñ", "ø", "𝄞"]


_POOL = list(ASCII) + SPECIAL + NON_ASCII
_WEIGHTS = [72 / len(ASCII)] * len(ASCII) + [3 / len(SPECIAL)] * len(SPECIAL) + [25 / len(NON_ASCII)] * len(NON_ASCII)
_ASCII_POOL = list(ASCII) + SPECIAL
_ASCII_WEIGHTS = [97 / len(ASCII)] * len(ASCII) + [3 / len(SPECIAL)] * len(SPECIAL)


def random_string(rng: random.Random, length: int, non_ascii: bool = True) -> str:
    """`length` code points: mostly ASCII, some JSON escapes, a quarter non-ASCII."""
    if non_ascii:
        return "".join(rng.choices(_POOL, weights=_WEIGHTS, k=length))
    return "".join(rng.choices(_ASCII_POOL, weights=_ASCII_WEIGHTS, k=length))


def max_length_string(rng: random.Random, length: int) -> str:
    """Exactly `length` code points, mostly multi-byte (UTF-8 longer than `length`)."""
    if length <= 200:
        return "".join(rng.choices(NON_ASCII + ["a", "b"], k=length))
    return "".join(rng.choices(NON_ASCII, k=50)) + random_string(rng, length - 50, non_ascii=False)


def valid_date_time(rng: random.Random) -> str:
    year = rng.choice([1970, 1999, 2000, 2024, 2025, 2026, 2038, 2099, rng.randint(1980, 2090)])
    month = rng.randint(1, 12)
    days = [31, 29 if (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 else 28,
            31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    day = rng.choice([1, days, rng.randint(1, days)])
    if rng.random() < 0.1 and year == 2024:
        month, day = 2, 29
    hh, mm, ss = rng.choice([(0, 0, 0), (23, 59, 59), (rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59))])
    fraction = rng.choice(["", "", ".1", ".123", ".123456", ".5", ".000000001"])
    offset = rng.choice(["Z", "Z", "+00:00", "-00:00", "+01:00", "+05:30", "-08:00", "+14:00", "-12:00", "+23:59"])
    t = "T"
    if rng.random() < 0.05:  # RFC 3339 allows lower-case T and Z
        t = "t"
        offset = offset.lower()
    return f"{year:04d}-{month:02d}-{day:02d}{t}{hh:02d}:{mm:02d}:{ss:02d}{fraction}{offset}"


BAD_DATE_TIMES = [
    ("no offset", "2024-01-15T10:00:00"),
    ("no offset, fraction", "2024-01-15T10:00:00.123"),
    ("month 13", "2024-13-01T00:00:00Z"),
    ("month 00", "2024-00-10T00:00:00Z"),
    ("Feb 30", "2024-02-30T00:00:00Z"),
    ("Feb 29 in a common year", "2023-02-29T12:00:00Z"),
    ("Apr 31", "2025-04-31T12:00:00+02:00"),
    ("hour 25", "2024-01-15T25:00:00Z"),
    ("hour 24", "2024-01-15T24:00:00Z"),
    ("minute 60", "2024-01-15T10:60:00Z"),
    ("space instead of T", "2024-01-15 10:00:00Z"),
    ("no seconds", "2024-01-15T10:00Z"),
    ("offset without colon", "2024-01-15T10:00:00+0100"),
    ("offset hour 24", "2024-01-15T10:00:00+24:00"),
    ("date only", "2024-01-15"),
    ("empty", ""),
    ("empty fraction", "2024-01-15T10:00:00.Z"),
    ("two-digit year", "24-01-15T10:00:00Z"),
    ("trailing text", "2024-01-15T10:00:00Z+"),
    ("unix seconds as string", "1705312800"),
    ("leap second", "2016-12-31T23:59:60Z"),
    ("offset with seconds", "2024-01-15T10:00:00+01:00:00"),
    ("comma before fraction", "2024-01-15T10:00:00,5Z"),
    ("five-digit year", "10000-01-01T00:00:00Z"),
    ("non-ASCII digits", "\u0662\u0660\u0662\u0664-01-15T10:00:00Z"),
    ("day 00", "2024-01-00T10:00:00Z"),
]
# Deliberately absent (jsonschema/rfc3339-validator quirks the RFC does not intend; see README):
#   "2024-01-15T10:00:00Z\n" -- accepted by rfc3339-validator: Python's `$` matches before a
#                                final newline;
#   "0000-01-01T00:00:00Z"   -- refused by rfc3339-validator (calendar has no year 0) although
#                                RFC 3339 date-fullyear is any 4DIGIT.


def any_value(rng: random.Random, depth: int = 0):
    """A value for a property without `type` (2.x DataTransfer `data`)."""
    choices = ["string", "int", "decimal", "bool", "null"]
    if depth < 2:
        choices += ["object", "array"]
    kind = rng.choice(choices)
    if kind == "string":
        return random_string(rng, rng.randint(0, 30))
    if kind == "int":
        return rng.choice([0, -7, 42, 2**53 + 1, rng.randint(-10**6, 10**6)])
    if kind == "decimal":
        return rng.choice([Decimal("0.1"), Decimal("12.34"), Decimal("-3.5"), Decimal("1.5E+2"), Decimal("12.50")])
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "null":
        return None
    if kind == "object":
        return {rng.choice(["a", "é", "key", "n"]) + str(i): any_value(rng, depth + 1) for i in range(rng.randint(0, 3))}
    return [any_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]


# ---------------------------------------------------------------------------------------
# Generation


class Generator:
    """Valid payloads for one schema. Modes: `min` (required only), `full` (every property),
    `mixed` (optional properties at random), `bound` (full, strings at maxLength, numbers at
    a bound)."""

    def __init__(self, schema: dict, rng: random.Random, draft4: bool):
        self.root = schema
        self.rng = rng
        self.draft4 = draft4

    def resolve(self, s: dict) -> dict:
        seen = 0
        while "$ref" in s:
            ref = s["$ref"]
            if not ref.startswith("#/"):
                raise ValueError(f"unsupported $ref {ref}")
            node = self.root
            for part in ref[2:].split("/"):
                node = node[part]
            s = node
            seen += 1
            if seen > 20:
                raise ValueError("$ref cycle")
        return s

    def gen(self, s: dict, mode: str, depth: int = 0):
        s = self.resolve(s)
        if depth > 40:
            raise ValueError("schema nesting too deep")
        t = s.get("type")
        if t == "object" or (t is None and "properties" in s):
            return self.gen_object(s, mode, depth)
        if t == "array":
            return self.gen_array(s, mode, depth)
        if t == "string":
            return self.gen_string(s, mode)
        if t == "integer":
            return self.gen_integer(s, mode)
        if t == "number":
            return self.gen_number(s, mode)
        if t == "boolean":
            return self.rng.random() < 0.5
        if t is None:
            return any_value(self.rng)
        raise ValueError(f"unsupported type {t!r}")

    def gen_object(self, s, mode, depth):
        required = s.get("required", [])
        out = {}
        for name, sub in s.get("properties", {}).items():
            take = name in required or mode in ("full", "bound") or (mode == "mixed" and self.rng.random() < 0.5)
            if take:
                out[name] = self.gen(sub, mode, depth + 1)
        if s.get("additionalProperties", True) is not False and mode in ("full", "mixed", "bound"):
            # An open object (2.x CustomDataType): vendor extensions must be accepted and kept.
            out[self.rng.choice(["vendorExtension", "zählerstand", "x-ext"])] = any_value(self.rng, 1)
        if mode != "full":
            keys = list(out)
            self.rng.shuffle(keys)  # member order must not matter
            out = {k: out[k] for k in keys}
        return out

    def gen_array(self, s, mode, depth):
        lo = s.get("minItems", 0)
        hi = s.get("maxItems")
        if mode == "min":
            n = lo
        else:
            n = self.rng.randint(max(lo, 1), max(lo, 2))
            if hi is not None:
                n = min(n, hi)
            if mode == "bound" and hi is not None and hi <= 8:
                n = hi
        return [self.gen(s["items"], mode, depth + 1) for _ in range(n)]

    def gen_string(self, s, mode):
        if "enum" in s:
            return self.rng.choice(s["enum"])
        fmt = s.get("format")
        if fmt == "date-time":
            return valid_date_time(self.rng)
        if fmt == "uri":  # not checked by either side; any string is valid
            return self.rng.choice(["https://example.com/fw.bin", "ftp://u:p@host/diag", "not a uri", ""])
        hi = s.get("maxLength")
        lo = s.get("minLength", 0)
        if mode == "bound" and hi is not None:
            return max_length_string(self.rng, hi)
        cap = 40 if hi is None else min(hi, 40)
        n = self.rng.choice([lo, cap, self.rng.randint(lo, max(lo, cap)), self.rng.randint(lo, max(lo, cap))])
        return random_string(self.rng, n)

    def int_bounds(self, s):
        lo = s.get("minimum")
        hi = s.get("maximum")
        lo = None if lo is None else int(Decimal(lo).to_integral_value(rounding="ROUND_CEILING"))
        hi = None if hi is None else int(Decimal(hi).to_integral_value(rounding="ROUND_FLOOR"))
        return lo, hi

    def gen_integer(self, s, mode):
        lo, hi = self.int_bounds(s)
        if mode == "bound":
            if lo is not None or hi is not None:
                return self.rng.choice([b for b in (lo, hi) if b is not None])
            return self.rng.choice([2**31 - 1, -(2**31), 2**53 + 1])
        a = lo if lo is not None else -1000
        b = hi if hi is not None else 2**31 - 1
        if a <= 0 <= b and self.rng.random() < 0.03:
            return IntLiteral("-0")
        return self.rng.choice([a, b, self.rng.randint(a, min(b, a + 100)), self.rng.randint(a, b),
                                max(a, min(b, self.rng.randint(0, 10)))])

    def gen_number(self, s, mode):
        lo = s.get("minimum")
        hi = s.get("maximum")
        m = s.get("multipleOf")
        lo_d = Decimal(lo) if lo is not None else Decimal(-100000)
        hi_d = Decimal(hi) if hi is not None else Decimal(100000)
        if mode == "bound" and (lo is not None or hi is not None):
            return self.rng.choice([Decimal(b) for b in (lo, hi) if b is not None])
        if m is not None:
            m = Decimal(m)
            k_lo = int((lo_d / m).to_integral_value(rounding="ROUND_CEILING"))
            k_hi = int((hi_d / m).to_integral_value(rounding="ROUND_FLOOR"))
            candidates = [m * self.rng.randint(k_lo, k_hi), m * self.rng.randint(0, 200), Decimal("0.3"),
                          Decimal("12.3"), Decimal("1E-1"), Decimal("32.0"), 16]
            return self.rng.choice([c for c in candidates if lo_d <= c <= hi_d])
        candidates = [
            Decimal("0.1"), Decimal("12.34"), Decimal("230.5"), Decimal("12.50"), Decimal("-0.75"),
            Decimal("1.5E+2"), Literal("7e-3"), Literal("1E2"), Literal("2.5e+1"), Literal("0e0"), Literal("-0.0"),
            0, 400, -17, Decimal("3.0"), Decimal("123456789.123456"),
            Decimal(self.rng.randint(-10**6, 10**6)) / Decimal(10 ** self.rng.randint(0, 6)),
        ]
        ok = [c for c in candidates if lo_d <= c <= hi_d]
        return self.rng.choice(ok or [lo_d])


# ---------------------------------------------------------------------------------------
# Mutations


def pointer(path) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def set_at(doc, path, value):
    """A copy of `doc` with the value at `path` replaced (or removed when value is DROP)."""
    if not path:
        return value
    doc = dict(doc) if isinstance(doc, dict) else list(doc)
    head = path[0]
    if len(path) == 1:
        if value is DROP:
            del doc[head]
        else:
            doc[head] = value
    else:
        doc[head] = set_at(doc[head], path[1:], value)
    return doc


DROP = object()


class Mutation:
    __slots__ = ("category", "path", "value", "expected", "desc", "maybe_valid", "site")

    def __init__(self, category, path, value, expected, desc, maybe_valid=False):
        self.category, self.path, self.value = category, path, value
        self.expected, self.desc, self.maybe_valid = expected, desc, maybe_valid
        self.site = None  # where in the schema (set by `mutations`)


# Code points whose canonical decomposition is a single ASCII character: a different string
# for JSON Schema (which compares code points), the same string for Swift's `==` (canonical
# equivalence). KELVIN SIGN -> K, GREEK QUESTION MARK -> ;, GREEK VARIA -> `.
CANONICAL_TWINS = {"K": "\u212a", ";": "\u037e", "`": "\u1fef"}


def canonical_twin(text: str) -> str | None:
    """`text` with its first twin-able ASCII character replaced by its canonical twin."""
    for i, c in enumerate(text):
        if c in CANONICAL_TWINS:
            return text[:i] + CANONICAL_TWINS[c] + text[i + 1:]
    return None


WRONG_TYPE_VALUES = {
    "string": [("integer", 42), ("boolean", True), ("null", None), ("object", {}), ("array", ["x"]),
               ("number", Decimal("1.5"))],
    "integer": [("string", "1"), ("number 1.5", Decimal("1.5")), ("boolean", False), ("null", None),
                ("array", [1]), ("object", {"value": 1})],
    "number": [("string", "12.5"), ("boolean", True), ("null", None), ("array", [Decimal("1.0")]),
               ("object", {})],
    "boolean": [("string", "true"), ("integer", 1), ("integer 0", 0), ("null", None), ("array", [True])],
    "object": [("array", []), ("string", "{}"), ("integer", 1), ("null", None), ("boolean", True)],
    "array": [("object", {}), ("string", "[]"), ("integer", 0), ("null", None)],
}


def mutations(gen: Generator, schema: dict, value, path=()):
    """Every single-change mutation of the valid `value` at and below `path`."""
    rng = gen.rng
    s = gen.resolve(schema)
    t = s.get("type")
    out = []
    if path and t in WRONG_TYPE_VALUES:
        label, wrong = rng.choice(WRONG_TYPE_VALUES[t])
        out.append(Mutation("wrong-type", path, wrong, "type", f"{t} replaced by {label}"))
    if t == "object":
        if not path:
            label, wrong = rng.choice([("array", []), ("string", "payload"), ("integer", 42), ("null", None),
                                       ("boolean", False), ("array of object", [value])])
            out.append(Mutation("not-object", path, wrong, "formation", f"payload is {label}"))
        props = s.get("properties", {})
        for name in s.get("required", []):
            if name in value:
                out.append(Mutation("drop-required", path + (name,), DROP, "occurrence", f"required {name} dropped"))
        if s.get("additionalProperties", True) is False:
            names = [n for n in props]
            flipped = [n[0].swapcase() + n[1:] for n in names if n and n[0].isalpha()]
            candidate = rng.choice(flipped + ["unknownProperty", "ünknown", "customData", "a/b~c"])
            if candidate not in props:
                out.append(Mutation("unknown-property", path + (candidate,), rng.choice([1, "x", None, {}]),
                                    "formation", f"unknown property {candidate!r} added"))
            for name in props:
                twin = canonical_twin(name)
                if name in value and twin is not None:
                    renamed = {(twin if k == name else k): v for k, v in value.items()}
                    out.append(Mutation("canonical-twin", path, renamed, "formation",
                                        f"property {name} renamed to canonically equivalent {ascii(twin)}"))
        for name, sub in props.items():
            if name in value:
                out.extend(mutations(gen, sub, value[name], path + (name,)))
    elif t == "array":
        lo, hi = s.get("minItems"), s.get("maxItems")
        if lo:
            out.append(Mutation("too-few-items", path, value[: lo - 1], "occurrence", f"{lo - 1} items (minItems {lo})"))
        if hi is not None:
            item = gen.gen(s["items"], "min")
            out.append(Mutation("too-many-items", path, [item] * (hi + 1), "occurrence",
                                f"{hi + 1} items (maxItems {hi})"))
        for i, item in enumerate(value):
            out.extend(mutations(gen, s["items"], item, path + (i,)))
    elif t == "string":
        if "enum" in s:
            e0 = rng.choice(s["enum"])
            candidates = [e0.lower(), e0.upper(), e0 + " ", " " + e0, e0[:-1], "", "Unknown", e0 + "é"]
            bad = rng.choice([c for c in candidates if c not in s["enum"]])
            out.append(Mutation("enum", path, bad, "property", f"enum value {bad!r} not in list"))
            twins = [canonical_twin(e) for e in s["enum"] if canonical_twin(e) is not None]
            if twins:
                twin = rng.choice(twins)
                out.append(Mutation("canonical-twin", path, twin, "property",
                                    f"enum value {ascii(twin)} (canonically equivalent to a listed value)"))
        if s.get("format") == "date-time":
            label, bad = rng.choice(BAD_DATE_TIMES)
            out.append(Mutation("bad-date-time", path, bad, "property", f"bad date-time ({label})"))
        if "maxLength" in s:
            n = s["maxLength"] + 1
            over = rng.choice([random_string(rng, n, non_ascii=False), max_length_string(rng, n)])
            out.append(Mutation("too-long", path, over, "property", f"string of {n} code points (maxLength {n - 1})"))
        if "minLength" in s and s["minLength"] > 0:
            n = s["minLength"] - 1
            out.append(Mutation("too-short", path, "a" * n, "property", f"string of {n} code points"))
    elif t in ("integer", "number"):
        is_int = t == "integer"
        lo, hi = s.get("minimum"), s.get("maximum")
        if is_int:
            v = value if isinstance(value, int) else 1
            text = rng.choice([f"{v}.0", f"{v}.0", f"{v}.000", f"{v}e0", f"{v}E+0", f"{v * 10}e-1"])
            out.append(Mutation("integral-float", path, Literal(text), "type",
                                f"integer written as {text} ({'draft-04: invalid' if gen.draft4 else 'draft-06: valid'})",
                                maybe_valid=True))
        delta = 1 if is_int else rng.choice([Decimal(1), Decimal("0.5"), Decimal("0.01")])
        if lo is not None:
            bad = (int(Decimal(lo)) if is_int else Decimal(lo)) - delta
            out.append(Mutation("below-minimum", path, bad, "property", f"{bad} below minimum {lo}"))
        if hi is not None:
            bad = (int(Decimal(hi)) if is_int else Decimal(hi)) + delta
            out.append(Mutation("above-maximum", path, bad, "property", f"{bad} above maximum {hi}"))
        m = s.get("multipleOf")
        if m is not None:
            m = Decimal(m)
            base = value if isinstance(value, (int, Decimal)) else 0
            bad = rng.choice([Decimal(base) + m / 2, Decimal("0.01"), Decimal("12.345"), Decimal("0.35")])
            out.append(Mutation("not-multiple", path, bad, "property", f"{bad} not a multiple of {m}"))
    for mu in out:
        if mu.site is None:
            # Schema node plus member name: a shared definition ($ref) is one site wherever used.
            mu.site = (id(s), mu.path[-1] if mu.path and isinstance(mu.path[-1], str) else None, mu.category)
    return out


def select(muts, cap: int, rng: random.Random):
    """At most `cap` mutations, taken round-robin over categories so that each category is
    kept; within a category, distinct schema locations come before repeats (so that the
    ubiquitous 2.x `customData.vendorId` does not crowd out the rest)."""
    if len(muts) <= cap:
        return muts
    # Dropping each required top-level property is always kept (once).
    chosen, kept, rest = [], set(), []
    for mu in muts:
        if mu.category == "drop-required" and len(mu.path) == 1 and mu.path not in kept:
            kept.add(mu.path)
            chosen.append(mu)
        elif mu.category == "canonical-twin" and (mu.category, mu.site) not in kept:
            kept.add((mu.category, mu.site))
            chosen.append(mu)
        else:
            rest.append(mu)
    by_cat = {}
    for mu in rest:
        by_cat.setdefault(mu.category, []).append(mu)
    for cat, lst in by_cat.items():
        rng.shuffle(lst)
        seen, firsts, repeats = set(), [], []
        for mu in lst:
            (repeats if mu.site in seen else firsts).append(mu)
            seen.add(mu.site)
        by_cat[cat] = list(reversed(firsts + repeats))  # pop() takes from the end
    cats = sorted(by_cat)
    while len(chosen) < cap and any(by_cat.values()):
        for c in cats:
            if by_cat[c] and len(chosen) < cap:
                chosen.append(by_cat[c].pop())
    return chosen


# ---------------------------------------------------------------------------------------
# Driver


def schema_records(task) -> tuple[list[str], dict]:
    """The corpus lines (without id) and counts for one schema file."""
    version, action, kind, path, seed, cap, valid_variants = task
    pairs_per_schema = max(2, cap // 10)
    counts = {"valid": 0, "invalid": 0, "accepted": 0}
    schema = load_json(path)
    validator, draft4 = make_validator(schema)
    rng = random.Random(f"{seed}:{version}:{path.name}")
    gen = Generator(schema, rng, draft4)
    seen = set()
    lines = []

    def add(payload, mutation, valid, expected, ptr, ascii_only=False):
        text = dump(payload, ascii_only)
        if text in seen:
            return
        if not same_json(json.loads(text, parse_float=Decimal), payload):
            raise AssertionError(f"{version} {path.name}: payload text is lossy: {text[:200]}")
        seen.add(text)
        lines.append(f'"version":"{version}","action":{json.dumps(action)},"kind":"{kind}","payload":{text},'
                     f'"valid":{"true" if valid else "false"},"expectedClass":{json.dumps(expected)},'
                     f'"mutation":{json.dumps(mutation, ensure_ascii=False)},"path":{json.dumps(ptr, ensure_ascii=False)}}}')
        counts["valid" if valid else "invalid"] += 1

    modes = ["min", "bound"] + ["full"] * valid_variants + ["mixed"] * valid_variants
    bases = []
    for mode in modes:
        payload = gen.gen(schema, mode)
        errors = list(validator.iter_errors(payload))
        if errors:
            raise AssertionError(f"{version} {path.name} {mode}: generated payload invalid: {errors[0].message}")
        add(payload, f"valid ({mode})", True, None, "")
        if mode == "bound":  # again with every non-ASCII character as a \\u escape
            add(payload, "valid (bound, \\u-escaped)", True, None, "", ascii_only=True)
        if mode == "full":
            bases.append(payload)
    muts = []
    for base in bases[:2]:
        muts.extend((base, mu) for mu in mutations(gen, schema, base))
    chosen = select([mu for _, mu in muts], cap, rng)
    base_of = {id(mu): base for base, mu in muts}
    for mu in chosen:
        payload = set_at(base_of[id(mu)], list(mu.path), mu.value)
        cls = error_class(validator.iter_errors(payload))
        if cls is None:
            if not mu.maybe_valid:
                raise AssertionError(f"{version} {path.name}: mutation {mu.desc} at {pointer(mu.path)} "
                                     "is valid per jsonschema")
            counts["accepted"] += 1
            add(payload, mu.desc, True, None, pointer(mu.path))
        else:
            if cls != mu.expected:
                raise AssertionError(f"{version} {path.name}: mutation {mu.desc} at {pointer(mu.path)}: "
                                     f"expected {mu.expected}, jsonschema says {cls}")
            escaped = mu.category == "too-long" and rng.random() < 0.5
            add(payload, mu.desc + (" [\\u-escaped]" if escaped else ""), False, cls, pointer(mu.path),
                ascii_only=escaped)
    # Two changes of different classes in one payload: the class first in precedence order
    # (formation, type, occurrence, property) must decide.
    singles = [mu for mu in chosen if not mu.maybe_valid and mu.path and mu.category != "canonical-twin"]
    pairs = 0
    for _ in range(pairs_per_schema * 8):
        if pairs >= pairs_per_schema or len(singles) < 2:
            break
        a, b = rng.sample(singles, 2)
        if a.expected == b.expected or base_of[id(a)] is not base_of[id(b)] or overlaps(a.path, b.path):
            continue
        payload = set_at(set_at(base_of[id(a)], list(a.path), a.value), list(b.path), b.value)
        expected = min(a.expected, b.expected, key=CLASSES.index)
        cls = error_class(validator.iter_errors(payload))
        if cls != expected:
            raise AssertionError(f"{version} {path.name}: {a.desc} + {b.desc}: expected {expected}, "
                                 f"jsonschema says {cls}")
        add(payload, f"two changes: {a.desc} at {pointer(a.path)}; {b.desc} at {pointer(b.path)}", False,
            cls, pointer(a.path))
        pairs += 1
    return lines, counts


def overlaps(p: tuple, q: tuple) -> bool:
    """Whether one path is a prefix of the other (the changes would touch the same value)."""
    n = min(len(p), len(q))
    return p[:n] == q[:n]


def build(out_path: Path, seed: int, cap: int, valid_variants: int, quiet: bool = False,
          jobs: int | None = None) -> dict:
    """Writes the corpus to `out_path`; returns counts per version. Schemas are processed in
    parallel (`jobs` processes, default one per core); the output does not depend on it."""
    tasks = [(version, action, kind, path, seed, cap, valid_variants)
             for version, vdir in VERSIONS for action, kind, path in schema_files(vdir)]
    jobs = jobs or os.cpu_count() or 1
    if jobs > 1:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            results = pool.map(schema_records, tasks, chunksize=1)
    else:
        results = [schema_records(t) for t in tasks]
    stats = {version: {"valid": 0, "invalid": 0, "accepted": 0} for version, _ in VERSIONS}
    next_id = 1
    with open(out_path, "w", encoding="utf-8") as out:
        for task, (lines, counts) in zip(tasks, results):
            for line in lines:
                out.write(f'{{"id":{next_id},{line}\n')
                next_id += 1
            for k, n in counts.items():
                stats[task[0]][k] += n
    if not quiet:
        for version, c in stats.items():
            print(f"corpus {version}: {c['valid']} valid, {c['invalid']} invalid "
                  f"({c['accepted']} intended mutations valid per jsonschema)", file=sys.stderr)
    return stats


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("output", type=Path, help="JSONL file to write")
    ap.add_argument("--seed", type=int, default=20260601)
    ap.add_argument("--cap", type=int, default=60, help="mutations kept per schema (default 60)")
    ap.add_argument("--variants", type=int, default=3, help="full and mixed valid payloads per schema")
    ap.add_argument("--jobs", type=int, help="worker processes (default: one per core)")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    start = time.monotonic()
    stats = build(args.output, args.seed, args.cap, args.variants, args.quiet, args.jobs)
    total = sum(c["valid"] + c["invalid"] for c in stats.values())
    if not args.quiet:
        print(f"corpus: {total} payloads in {time.monotonic() - start:.1f}s "
              f"(ocpp {metadata.version('ocpp')}, jsonschema {metadata.version('jsonschema')})", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
