#!/usr/bin/env python3
"""Per-target line coverage of swift-csms, from the profile that `swift test --enable-code-coverage` writes.

Runs `llvm-cov export -summary-only` over the test binary, keeps only the files under
`Sources/<Target>/` (so no test code, no dependency under `.build`, nothing under a `Generated/`
folder), adds them up per target and prints a table. Targets listed in the floors file must
reach their minimum line coverage, or this script exits 1.

Called by scripts/test.sh; usable on its own:

    scripts/coverage.py --llvm-cov PATH --profdata PATH --binary PATH [--floors FILE] [--table-out FILE]

Exit status: 0 when every floor is met, 3 when one is not, 1 or 2 on errors.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

# Exit status when a target is below its floor (1 and 2 are errors of llvm-cov or of the arguments).
FLOOR_NOT_MET = 3

# Passed to llvm-cov so that the export stays small; the path filter below is what decides.
IGNORE_REGEX = r"(^|/)(Tests|\.build[^/]*|Generated)/"


@dataclass
class TargetCoverage:
    """Line and function counts of one target, summed over its files."""

    files: int = 0
    lines: int = 0
    lines_covered: int = 0
    functions: int = 0
    functions_covered: int = 0
    file_names: list[str] = field(default_factory=list)

    @property
    def line_percent(self) -> float | None:
        return 100.0 * self.lines_covered / self.lines if self.lines else None

    @property
    def function_percent(self) -> float | None:
        return 100.0 * self.functions_covered / self.functions if self.functions else None


def read_floors(path: Path | None) -> dict[str, float]:
    """Reads `TARGET PERCENT` lines; `#` starts a comment."""
    floors: dict[str, float] = {}
    if path is None or not path.exists():
        return floors
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 2:
            raise SystemExit(f"{path}:{number}: expected 'TARGET PERCENT', got {raw!r}")
        try:
            floors[parts[0]] = float(parts[1].rstrip("%"))
        except ValueError:
            raise SystemExit(f"{path}:{number}: {parts[1]!r} is not a number")
    return floors


def export_summary(llvm_cov: str, profdata: Path, binary: Path) -> dict:
    command = [
        llvm_cov,
        "export",
        "-summary-only",
        f"-instr-profile={profdata}",
        f"-ignore-filename-regex={IGNORE_REGEX}",
        str(binary),
    ]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        sys.stderr.write(result.stderr)
        raise SystemExit(f"coverage: llvm-cov export failed (exit {result.returncode})")
    return json.loads(result.stdout)


def target_of(filename: str, root: Path) -> str | None:
    """`Sources/<Target>/...` relative to the repository root, outside any `Generated/` folder."""
    try:
        relative = Path(filename).resolve().relative_to(root)
    except ValueError:
        return None
    parts = relative.parts
    if len(parts) < 3 or parts[0] != "Sources" or "Generated" in parts[2:-1]:
        return None
    return parts[1]


def collect(export: dict, root: Path) -> dict[str, TargetCoverage]:
    targets: dict[str, TargetCoverage] = {}
    for data in export.get("data", []):
        for entry in data.get("files", []):
            name = target_of(entry["filename"], root)
            if name is None:
                continue
            summary = entry["summary"]
            target = targets.setdefault(name, TargetCoverage())
            target.files += 1
            target.lines += summary["lines"]["count"]
            target.lines_covered += summary["lines"]["covered"]
            target.functions += summary["functions"]["count"]
            target.functions_covered += summary["functions"]["covered"]
            target.file_names.append(entry["filename"])
    return targets


def percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}%"


def render(targets: dict[str, TargetCoverage], all_targets: list[str], floors: dict[str, float]) -> tuple[str, list[str]]:
    """The table, and one message per floor that was not met."""
    header = ("target", "files", "lines", "covered", "line %", "func %", "floor", "")
    rows = []
    failures = []
    total = TargetCoverage()
    for name in sorted(set(all_targets) | set(targets) | set(floors)):
        target = targets.get(name, TargetCoverage())
        floor = floors.get(name)
        verdict = ""
        if floor is not None:
            line_percent = target.line_percent
            if line_percent is None:
                verdict = "FAIL"
                failures.append(f"{name}: no coverage data (floor {floor:.1f}%)")
            elif line_percent + 1e-9 < floor:
                verdict = "FAIL"
                failures.append(f"{name}: line coverage {line_percent:.1f}% is below its floor {floor:.1f}%")
            else:
                verdict = "ok"
        note = verdict if verdict else ("no code run by tests" if target.files == 0 else "")
        rows.append(
            (
                name,
                str(target.files),
                str(target.lines),
                str(target.lines_covered),
                percent(target.line_percent),
                percent(target.function_percent),
                "-" if floor is None else f"{floor:.1f}%",
                note,
            )
        )
        total.files += target.files
        total.lines += target.lines
        total.lines_covered += target.lines_covered
        total.functions += target.functions
        total.functions_covered += target.functions_covered
    rows.append(
        (
            "TOTAL",
            str(total.files),
            str(total.lines),
            str(total.lines_covered),
            percent(total.line_percent),
            percent(total.function_percent),
            "",
            "",
        )
    )
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(row: tuple[str, ...]) -> str:
        cells = [row[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in zip(row[1:-1], widths[1:-1])]
        return ("  ".join(cells) + "  " + row[-1]).rstrip()

    rule = "-" * len(line(header))
    text = "\n".join([line(header), rule, *map(line, rows[:-1]), rule, line(rows[-1])])
    return text, failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--llvm-cov", required=True, help="path of llvm-cov")
    parser.add_argument("--profdata", required=True, type=Path, help="merged profile (default.profdata)")
    parser.add_argument("--binary", required=True, type=Path, help="the test binary (…PackageTests.xctest)")
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="repository root (default: cwd)")
    parser.add_argument("--floors", type=Path, help="file of 'TARGET PERCENT' lines")
    parser.add_argument("--table-out", type=Path, help="also write the table to this file")
    parser.add_argument("--verbose", action="store_true", help="list the files counted per target")
    args = parser.parse_args()

    root = args.root.resolve()
    floors = read_floors(args.floors)
    sources = root / "Sources"
    all_targets = sorted(p.name for p in sources.iterdir() if p.is_dir()) if sources.is_dir() else []

    targets = collect(export_summary(args.llvm_cov, args.profdata, args.binary), root)
    table, failures = render(targets, all_targets, floors)

    print("Line coverage per target (Sources/<Target>, without Generated/ files):")
    print(table)
    if args.verbose:
        for name in sorted(targets):
            for filename in sorted(targets[name].file_names):
                print(f"  {name}: {Path(filename).resolve().relative_to(root)}")
    if args.table_out:
        args.table_out.parent.mkdir(parents=True, exist_ok=True)
        args.table_out.write_text(table + "\n")
    for failure in failures:
        print(f"coverage floor not met: {failure}", file=sys.stderr)
    return FLOOR_NOT_MET if failures else 0


if __name__ == "__main__":
    sys.exit(main())
