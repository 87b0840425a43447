#!/usr/bin/env python3
"""Differential validation test: our Swift OCPP schema validator against Python `jsonschema`.

1. Generates the corpus (corpus.py; verdicts from jsonschema) into a temporary or given dir.
2. Runs the Swift `ocpp-schema-check` tool over it.
3. Compares, payload by payload:
   * the verdict (valid / invalid) must agree;
   * for an invalid payload, our error class must equal the corpus's expected class and our
     OCPP error code must be that class's code in the payload's version;
   * a valid payload must survive decode -> encode unchanged (JSON equality).

Prints per-version counts, the first 20 disagreements, and a last line
`differential: N passed, M failed`; exits 1 when M > 0 (2 on a setup error).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from decimal import Decimal
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402  (sibling module)

TOOL = "ocpp-schema-check"
CODES = {
    "1.6": {"formation": "FormationViolation", "type": "TypeConstraintViolation",
            "occurrence": "OccurenceConstraintViolation", "property": "PropertyConstraintViolation"},
    "2.0.1": {"formation": "FormatViolation", "type": "TypeConstraintViolation",
              "occurrence": "OccurrenceConstraintViolation", "property": "PropertyConstraintViolation"},
}
CODES["2.1"] = CODES["2.0.1"]


def find_tool(configuration: str) -> Path:
    """The tool in SwiftPM's bin dir for `configuration`, built when absent."""
    bin_dir = subprocess.run(["swift", "build", "-c", configuration, "--show-bin-path"], cwd=REPO,
                             check=True, capture_output=True, text=True).stdout.strip()
    tool = Path(bin_dir) / TOOL
    if not tool.exists():
        print(f"building {TOOL} ({configuration}) ...", file=sys.stderr)
        subprocess.run(["swift", "build", "-c", configuration, "--product", TOOL], cwd=REPO, check=True,
                       stdout=sys.stderr)
    return tool


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line, parse_float=Decimal) for line in f if line.strip()]


def short(value, limit: int = 160) -> str:
    text = corpus.dump(value) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mutation_kind(description: str) -> str:
    """A mutation description without its specifics (`required X dropped` -> `required dropped`)."""
    words = description.split()
    if "canonically equivalent" in description:
        return ("property renamed" if words[0] == "property" else "enum value") + " to a canonically equivalent string"
    if description.startswith("two changes"):
        return "two changes"
    if description.startswith("valid ("):
        return description
    if words[:1] == ["required"]:
        return "required property dropped"
    if words[:2] == ["unknown", "property"]:
        return "unknown property"
    if words[:2] == ["enum", "value"]:
        return "enum value not in list"
    if words[:2] == ["string", "of"]:
        return "string too long/short"
    if words[:2] == ["bad", "date-time"]:
        return description
    if "replaced by" in description or words[:1] == ["payload"]:
        return description
    if words[:3] == ["integer", "written", "as"]:
        return "integer written with fraction/exponent"
    if "items" in description:
        return "too few/many items"
    for key in ("below minimum", "above maximum", "not a multiple"):
        if key in description:
            return key
    return description


def compare(record: dict, result: dict | None) -> str | None:
    """Why `result` disagrees with the corpus `record`, or None when it agrees."""
    if result is None:
        return "no result"
    if "error" in result:
        return f"tool error: {result['error']}"
    if result.get("valid") is not record["valid"]:
        return "verdict"
    if record["valid"]:
        if result.get("roundTrip") is not True:
            return "round trip"
        return None
    expected = record["expectedClass"]
    if expected is not None:
        if result.get("class") != expected:
            return "class"
        if result.get("errorCode") != CODES[record["version"]][expected]:
            return "error code"
    return None


def describe(record: dict, result: dict | None, reason: str) -> str:
    truth = "valid" if record["valid"] else f"invalid ({record['expectedClass']})"
    if result is None or "error" in result:
        ours = (result or {}).get("error", "no result")
    elif result.get("valid"):
        ours = "valid" + ("" if result.get("roundTrip") is not False else ", round trip changed it")
    else:
        ours = f"invalid ({result.get('class')}, {result.get('errorCode')})"
    lines = [
        f"  #{record['id']} {record['version']} {record['action']} {record['kind']}: {reason}",
        f"    mutation: {record['mutation']}"
        + (f" at {record['path']}" if record["path"] and not record["mutation"].startswith("two") else ""),
        f"    jsonschema: {truth}; swift: {ours}",
    ]
    if result and result.get("violations"):
        lines.append("    swift violations: " + "; ".join(result["violations"][:3]))
    if result and "reencoded" in result:
        a, b = corpus.dump(record["payload"], True), corpus.dump(result["reencoded"], True)
        i = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        start = max(0, i - 60)
        lines.append(f"    payload   (from char {start}, \\u-escaped): " + short(a[start:]))
        lines.append(f"    reencoded (from char {start}, \\u-escaped): " + short(b[start:]))
    elif reason == "verdict" and record["path"]:
        lines.append("    payload: " + short(record["payload"]))
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Differential test of the OCPP schema validator against jsonschema.")
    ap.add_argument("--tool", type=Path, help=f"path of the built {TOOL} (default: $OCPP_SCHEMA_CHECK, else the SwiftPM "
                         "bin dir, built there if absent)")
    ap.add_argument("-c", "--configuration", default="debug", choices=["debug", "release"],
                    help="SwiftPM configuration to find or build the tool in (default debug)")
    ap.add_argument("--dir", type=Path, help="directory for corpus.jsonl, results.jsonl and disagreements.txt "
                                             "(default: a temporary directory, removed afterwards)")
    ap.add_argument("--corpus", type=Path, help="check this existing corpus file instead of generating one")
    ap.add_argument("--seed", type=int, default=20260601)
    ap.add_argument("--cap", type=int, default=60, help="mutations per schema (default 60)")
    ap.add_argument("--variants", type=int, default=3, help="full and mixed valid payloads per schema")
    ap.add_argument("--show", type=int, default=20, help="disagreements to print (default 20)")
    args = ap.parse_args(argv)

    started = time.monotonic()
    try:
        env_tool = os.environ.get("OCPP_SCHEMA_CHECK")
        tool = args.tool or (Path(env_tool) if env_tool else None) or find_tool(args.configuration)
    except (subprocess.CalledProcessError, FileNotFoundError) as e:
        print(f"differential: cannot find or build {TOOL}: {e}", file=sys.stderr)
        return 2
    if not tool.exists():
        print(f"differential: {tool} does not exist", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="ocpp-differential-") as tmp:
        work = args.dir or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        corpus_path, results_path = args.corpus or work / "corpus.jsonl", work / "results.jsonl"

        t0 = time.monotonic()
        if not args.corpus:
            corpus.build(corpus_path, args.seed, args.cap, args.variants, quiet=True)
        t1 = time.monotonic()
        with open(results_path, "wb") as out:
            # A tool built with --enable-code-coverage writes a profile on exit: keep it out of
            # the working directory.
            env = dict(os.environ)
            env.setdefault("LLVM_PROFILE_FILE", str(work / f"{TOOL}-%p.profraw"))
            run = subprocess.run([str(tool), str(corpus_path)], stdout=out, stderr=subprocess.PIPE, env=env)
        t2 = time.monotonic()
        if run.returncode != 0:
            sys.stderr.write(run.stderr.decode("utf-8", "replace")[-4000:])
            print(f"differential: {TOOL} exited with status {run.returncode}", file=sys.stderr)
        records = read_jsonl(corpus_path)
        results = {}
        for r in read_jsonl(results_path):
            results[r.get("id")] = r

        per_version = defaultdict(Counter)
        reasons = defaultdict(Counter)
        disagreements = []
        for rec in records:
            v = rec["version"]
            per_version[v]["valid" if rec["valid"] else "invalid"] += 1
            res = results.get(rec["id"])
            reason = compare(rec, res)
            if reason is None:
                per_version[v]["passed"] += 1
            else:
                per_version[v]["failed"] += 1
                reasons[v][reason] += 1
                disagreements.append((rec, res, reason))
        t3 = time.monotonic()

        for v, _ in corpus.VERSIONS:
            c = per_version[v]
            detail = ", ".join(f"{n} {r}" for r, n in sorted(reasons[v].items()))
            print(f"{v}: {c['valid'] + c['invalid']} payloads ({c['valid']} valid, {c['invalid']} invalid): "
                  f"{c['passed']} passed, {c['failed']} failed" + (f" [{detail}]" if detail else ""))
        print(f"time: corpus {t1 - t0:.1f}s, {TOOL} {t2 - t1:.1f}s, compare {t3 - t2:.1f}s, "
              f"total {time.monotonic() - started:.1f}s")
        if disagreements:
            kinds = Counter((rec["version"], reason, mutation_kind(rec["mutation"])) for rec, _, reason in disagreements)
            print("disagreements by version, reason and payload kind (top 15):")
            for (v, reason, kind), n in kinds.most_common(15):
                print(f"  {n:6d}  {v:5s}  {reason:12s}  {kind}")
            print(f"first {min(args.show, len(disagreements))} of {len(disagreements)} disagreements:")
            for rec, res, reason in disagreements[: args.show]:
                print(describe(rec, res, reason))
            if args.dir:
                with open(work / "disagreements.txt", "w", encoding="utf-8") as f:
                    for rec, res, reason in disagreements:
                        f.write(describe(rec, res, reason) + "\n")
        passed = sum(c["passed"] for c in per_version.values())
        failed = sum(c["failed"] for c in per_version.values())
        if run.returncode != 0 and failed == 0:
            failed = 1  # a crashed tool never passes
        print(f"differential: {passed} passed, {failed} failed")
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
