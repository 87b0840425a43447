#!/usr/bin/env bash
# The test command of swift-csms: everything CI checks, in one script (README.md, docs/development.md).
#
# Steps, in this order; each prints a banner, its time and PASS / FAIL / SKIP:
#   system        system packages the build and tests need (libsqlite3-dev for GRDB), installed
#                 with apt-get when missing and running as root
#   venv          Python venv at .venv/ with every requirements*.txt under Tools/ and Tests/
#   codegen       generated code is current: python3 Tools/codegen/generate.py --check
#   lint          swift format lint --strict over Package.swift, Sources/, Tests/, Benchmarks/
#                 (not */Generated/*, not .build*)
#   build         swift build --build-tests --enable-code-coverage -Xswiftc -warnings-as-errors
#   test          swift test with the same flags, so nothing is built twice; one test at a time
#                 (--no-parallel: the parallel run hung intermittently at the end of session 2,
#                 cause not found yet — see docs/development.md)
#   coverage      line coverage per Sources/<Target> (llvm-cov); floors in scripts/coverage-floors.txt
#   differential  Tools/conformance/differential.py against the built ocpp-schema-check
#   e2e           every executable Tests/e2e/*.sh, then pytest over Tests/e2e
#
# The first failing step stops the run (--keep-going runs the rest that can still run).
# The end of the output is the coverage table, a summary of the steps, and swift test's
# closing lines repeated. Exit status: 0 if no step failed, 1 otherwise, 2 on a usage error.
#
# Usage: scripts/test.sh [--keep-going] [--only STEP[,STEP...]] [--skip STEP[,STEP...]]
# Environment: PYTHON (default python3) is the interpreter the venv is made from.

set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 2

STEPS=(system venv codegen lint build test coverage differential e2e)
# A step runs only if the steps it needs did not fail (a skipped or deselected one is fine).
declare -A NEEDS=([build]="system" [test]="build" [coverage]="test" [differential]="venv build" [e2e]="venv build")
declare -A DESCRIPTION=(
    [system]="system packages (libsqlite3-dev)"
    [venv]="Python venv at .venv/ with the project's requirements"
    [codegen]="generated code is current (Tools/codegen/generate.py --check)"
    [lint]="swift format lint --strict (.swift-format)"
    [build]="swift build --build-tests --enable-code-coverage -Xswiftc -warnings-as-errors"
    [test]="swift test --enable-code-coverage -Xswiftc -warnings-as-errors --no-parallel"
    [coverage]="line coverage per target (scripts/coverage.py, scripts/coverage-floors.txt)"
    [differential]="differential conformance test (Tools/conformance/differential.py)"
    [e2e]="end-to-end suites under Tests/e2e"
)
SWIFT_FLAGS=(--enable-code-coverage -Xswiftc -warnings-as-errors)
# The C shim joins the coverage report (Package.swift, `cCoverage`): with these flags only.
export CSMS_C_COVERAGE=1
VENV="$ROOT/.venv"
STATE="$ROOT/.build/test-sh" # logs and notes of this run
SKIP_CODE=77

usage() {
    sed -n '2,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
    echo "Steps: ${STEPS[*]}"
}

keep_going=0
only=""
skip=""
while (($#)); do
    case "$1" in
        --keep-going | -k) keep_going=1 ;;
        --only) only="${2:-}"; shift ;;
        --only=*) only="${1#*=}" ;;
        --skip) skip="${2:-}"; shift ;;
        --skip=*) skip="${1#*=}" ;;
        -h | --help) usage; exit 0 ;;
        *) echo "scripts/test.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
for name in ${only//,/ } ${skip//,/ }; do
    if [[ -z "${DESCRIPTION[$name]:-}" ]]; then
        echo "scripts/test.sh: unknown step '$name' (steps: ${STEPS[*]})" >&2
        exit 2
    fi
done

# ---------------------------------------------------------------------------------------------
# Helpers. Steps run in a subshell with `set -e`; they end with exit 0 (pass), `skip REASON`
# (exit 77) or any other status (fail). `note TEXT` adds a remark to the summary line.

now_us() { local t="$EPOCHREALTIME"; echo "${t//[^0-9]/}"; }
seconds() { printf '%d.%d' $(($1 / 1000000)) $(($1 % 1000000 / 100000)); }
note() { echo "$*" >"$STATE/$CURRENT.note"; }
skip() {
    note "$*"
    echo "skip: $*"
    exit "$SKIP_CODE"
}
fail() {
    note "$*"
    echo "error: $*" >&2
    exit 1
}

find_python() {
    local candidate
    for candidate in "${PYTHON:-}" python3 python3.11 python; do
        if [[ -n "$candidate" ]] && command -v "$candidate" >/dev/null 2>&1; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

find_llvm_cov() {
    local beside
    beside="$(dirname "$(readlink -f "$(command -v swift)")")/llvm-cov"
    if [[ -x "$beside" ]]; then
        echo "$beside"
    elif command -v xcrun >/dev/null 2>&1 && xcrun --find llvm-cov 2>/dev/null; then
        :
    elif command -v llvm-cov >/dev/null 2>&1; then
        command -v llvm-cov
    else
        return 1
    fi
}

bin_path() { swift build --show-bin-path "${SWIFT_FLAGS[@]}"; }

# ---------------------------------------------------------------------------------------------
# Steps.

# Debian packages the build and the tests need; each line: PACKAGE FILE-IT-PROVIDES.
SYSTEM_PACKAGES=(
    "libsqlite3-dev /usr/include/sqlite3.h"
)

step_system() {
    local entry package file missing=()
    for entry in "${SYSTEM_PACKAGES[@]}"; do
        read -r package file <<<"$entry"
        [[ -e "$file" ]] || missing+=("$package")
    done
    if ((${#missing[@]} == 0)); then
        note "all present"
        echo "present: ${SYSTEM_PACKAGES[*]}"
        return 0
    fi
    echo "missing: ${missing[*]}"
    if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
        fail "install ${missing[*]} (apt-get install ${missing[*]}) and run again"
    fi
    DEBIAN_FRONTEND=noninteractive apt-get update -qq || fail "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" || fail "apt-get install failed"
    note "installed ${missing[*]}"
}

step_venv() {
    local python requirements=() stamp pip_args=() file
    python="$(find_python)" || fail "no python3 on PATH (set PYTHON to one)"
    while IFS= read -r file; do requirements+=("$file"); done < <(
        find Tools Tests \( -type d \( -name '.build*' -o -name .venv -o -name node_modules \) -prune \) \
            -o \( -type f -name 'requirements*.txt' -print \) 2>/dev/null | LC_ALL=C sort
    )
    if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
        rm -rf "$VENV"
        echo "creating $VENV with $python ($("$python" --version 2>&1))"
        "$python" -m venv "$VENV" || fail "'$python -m venv' failed (on Debian: apt-get install python3-venv)"
    else
        echo "using $VENV ($("$VENV/bin/python" --version 2>&1))"
    fi
    if ((${#requirements[@]} == 0)); then
        note "no requirements files yet"
        echo "no requirements*.txt under Tools/ or Tests/ yet"
        return 0
    fi
    stamp="$({
        "$VENV/bin/python" --version 2>&1
        for file in "${requirements[@]}"; do
            echo "== $file"
            cat "$file"
        done
    } | sha256sum | cut -d' ' -f1)"
    printf 'requirements: %s\n' "${requirements[@]}"
    if [[ -f "$VENV/.requirements.sha256" && "$(cat "$VENV/.requirements.sha256")" == "$stamp" ]]; then
        echo "already installed (no requirements file changed since)"
    else
        for file in "${requirements[@]}"; do pip_args+=(-r "$file"); done
        rm -f "$VENV/.requirements.sha256"
        PIP_DISABLE_PIP_VERSION_CHECK=1 "$VENV/bin/python" -m pip install --quiet "${pip_args[@]}"
        echo "$stamp" >"$VENV/.requirements.sha256"
        echo "installed"
    fi
    note "${#requirements[@]} requirements file(s)"
}

step_codegen() {
    [[ -f Tools/codegen/generate.py ]] || skip "Tools/codegen/generate.py does not exist yet"
    local python
    python="$(find_python)" || fail "no python3 on PATH"
    "$python" Tools/codegen/generate.py --check
}

step_lint() {
    local files=() file dirs=()
    if [[ -f Package.swift ]]; then files+=(Package.swift); fi
    for file in Sources Tests Benchmarks; do
        if [[ -d "$file" ]]; then dirs+=("$file"); fi
    done
    if ((${#dirs[@]})); then
        while IFS= read -r file; do files+=("$file"); done < <(
            find "${dirs[@]}" \( -type d \( -name Generated -o -name '.build*' -o -name .swiftpm \) -prune \) \
                -o \( -type f -name '*.swift' -print \) | LC_ALL=C sort
        )
    fi
    ((${#files[@]})) || skip "no Swift files"
    echo "linting ${#files[@]} files"
    if ! swift format lint --strict --recursive --parallel --configuration .swift-format "${files[@]}"; then
        echo "hint: layout findings are fixed by 'swift format --in-place --configuration .swift-format FILE';" \
            "the others (documentation, naming, ...) by hand." >&2
        fail "swift format lint found problems"
    fi
    note "${#files[@]} files"
}

step_build() {
    swift build --build-tests "${SWIFT_FLAGS[@]}"
}

step_test() {
    local log="$STATE/swift-test.log" status=0
    swift test "${SWIFT_FLAGS[@]}" --no-parallel 2>&1 | tee "$log" || status=$?
    # The closing lines: XCTest's last "Executed N tests" and Swift Testing's "Test run with N tests".
    {
        grep -E '^[[:space:]]*Executed [0-9]+ tests?, with' "$log" | tail -n 1 || true
        grep -E 'Test run with [0-9]+ tests?' "$log" | tail -n 1 || true
    } >"$STATE/swift-test-summary.txt"
    if grep -qE '^\[[0-9]+/[0-9]+\] Compiling' "$log"; then
        echo "warning: swift test compiled again: its flags differ from the build step's" >&2
    fi
    ((status == 0)) || fail "swift test failed (exit $status)"
    if ! grep -qE 'Executed [1-9][0-9]* tests?|Test run with [1-9][0-9]* tests?' "$STATE/swift-test-summary.txt"; then
        echo "warning: swift test ran no test" >&2
    fi
    note "$(sed -E 's/^[[:space:]]*//; s/^[^A-Za-z]+ //' "$STATE/swift-test-summary.txt" | tail -n 1)"
}

step_coverage() {
    local llvm_cov codecov_json profdata bin binary python status=0
    llvm_cov="$(find_llvm_cov)" || fail "llvm-cov not found next to swift"
    python="$(find_python)" || fail "no python3 on PATH"
    codecov_json="$(swift test --show-codecov-path "${SWIFT_FLAGS[@]}")"
    profdata="$(dirname "$codecov_json")/default.profdata"
    [[ -f "$profdata" ]] || fail "no profile at $profdata (did swift test run with --enable-code-coverage?)"
    bin="$(bin_path)"
    binary="$(find "$bin" -maxdepth 1 -name '*PackageTests.xctest' | head -n 1)"
    [[ -n "$binary" ]] || fail "no *PackageTests.xctest in $bin"
    if [[ -d "$binary" ]]; then # macOS: a bundle
        binary="$binary/Contents/MacOS/$(basename "$binary" .xctest)"
    fi
    echo "llvm-cov: $llvm_cov"
    echo "profile:  $profdata"
    echo "binary:   $binary"
    "$python" scripts/coverage.py --llvm-cov "$llvm_cov" --profdata "$profdata" --binary "$binary" \
        --root "$ROOT" --floors scripts/coverage-floors.txt --table-out "$STATE/coverage.txt" || status=$?
    case "$status" in
        0) ;;
        3) fail "below its floor in scripts/coverage-floors.txt: $(awk '$NF == "FAIL" {print $1}' "$STATE/coverage.txt" | xargs)" ;;
        *) fail "scripts/coverage.py failed (exit $status)" ;;
    esac
    note "$(grep '^TOTAL' "$STATE/coverage.txt" | awk '{print "total line coverage " $5}')"
}

step_differential() {
    [[ -f Tools/conformance/differential.py ]] || skip "Tools/conformance/differential.py does not exist yet"
    local bin exe log="$STATE/differential.log" status=0 line
    bin="$(bin_path)"
    exe="$bin/ocpp-schema-check"
    [[ -x "$exe" ]] || fail "Tools/conformance/differential.py exists but the build made no $exe"
    OCPP_SCHEMA_CHECK="$exe" PATH="$bin:$VENV/bin:$PATH" "$VENV/bin/python" -u Tools/conformance/differential.py \
        2>&1 | tee "$log" || status=$?
    line="$(grep -E '^differential: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1 || true)"
    ((status == 0)) || fail "differential.py failed (exit $status)${line:+: $line}"
    if [[ -z "$line" ]]; then
        note "no 'differential: N passed, M failed' line"
        echo "warning: differential.py printed no 'differential: N passed, M failed' line" >&2
        return 0
    fi
    [[ "$line" =~ ^differential:\ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]
    ((BASH_REMATCH[2] == 0)) || fail "$line"
    ((BASH_REMATCH[1] > 0)) || fail "differential.py compared nothing: $line"
    note "$line"
}

step_e2e() {
    [[ -d Tests/e2e ]] || skip "Tests/e2e does not exist yet"
    local bin script ran=0 failed=() status pytest_files
    bin="$(bin_path)"
    export CSMS_REPO_ROOT="$ROOT" CSMS_BIN_PATH="$bin" CSMS_VENV="$VENV"
    export PATH="$VENV/bin:$bin:$PATH"
    for script in Tests/e2e/*.sh; do
        [[ -f "$script" ]] || continue
        if [[ ! -x "$script" ]]; then
            echo "warning: $script is not executable: not run (chmod +x it)" >&2
            continue
        fi
        echo "--> $script"
        ran=$((ran + 1))
        status=0
        "$script" || status=$?
        if ((status != 0)); then
            echo "<-- $script: FAIL (exit $status)"
            failed+=("$script")
        else
            echo "<-- $script: PASS"
        fi
    done
    pytest_files="$(find Tests/e2e \( -name 'test_*.py' -o -name '*_test.py' \) -type f | head -n 1)"
    if [[ -n "$pytest_files" ]]; then
        "$VENV/bin/python" -m pytest --version >/dev/null 2>&1 ||
            fail "Tests/e2e has pytest files but pytest is not in .venv: list it in Tests/e2e/requirements.txt"
        echo "--> pytest Tests/e2e"
        ran=$((ran + 1))
        status=0
        "$VENV/bin/python" -m pytest Tests/e2e || status=$?
        if ((status == 5)); then
            echo "<-- pytest: no tests collected"
        elif ((status != 0)); then
            echo "<-- pytest: FAIL (exit $status)"
            failed+=("pytest")
        fi
    fi
    ((ran)) || skip "nothing to run in Tests/e2e"
    ((${#failed[@]} == 0)) || fail "failed: ${failed[*]}"
    note "$ran suite(s)"
}

# ---------------------------------------------------------------------------------------------
# Driver.

selected() {
    local name="$1"
    if [[ -n "$only" && ",$only," != *",$name,"* ]]; then return 1; fi
    if [[ -n "$skip" && ",$skip," == *",$name,"* ]]; then return 1; fi
    return 0
}

rm -rf "$STATE"
mkdir -p "$STATE"
declare -A STATUS TIME
stop=""
run_start="$(now_us)"
echo "scripts/test.sh in $ROOT (steps: ${STEPS[*]})"

index=0
for CURRENT in "${STEPS[@]}"; do
    index=$((index + 1))
    TIME[$CURRENT]=""
    if ! selected "$CURRENT"; then
        STATUS[$CURRENT]="SKIP"
        note "not selected"
        continue
    fi
    if [[ -n "$stop" ]]; then
        STATUS[$CURRENT]="not run"
        note "after $stop failed"
        continue
    fi
    blocked=""
    for need in ${NEEDS[$CURRENT]:-}; do
        case "${STATUS[$need]:-}" in FAIL | "not run") blocked="$need" ;; esac
    done
    if [[ -n "$blocked" ]]; then
        STATUS[$CURRENT]="not run"
        note "needs $blocked"
        continue
    fi

    printf '\n%s\n' "================================================================================"
    printf '==> [%d/%d] %s: %s\n' "$index" "${#STEPS[@]}" "$CURRENT" "${DESCRIPTION[$CURRENT]}"
    printf '%s\n' "================================================================================"
    start="$(now_us)"
    (
        set -e
        "step_$CURRENT"
    )
    status=$?
    TIME[$CURRENT]="$(seconds $(($(now_us) - start)))s"
    case "$status" in
        0) STATUS[$CURRENT]="PASS" ;;
        "$SKIP_CODE") STATUS[$CURRENT]="SKIP" ;;
        *)
            STATUS[$CURRENT]="FAIL"
            [[ -f "$STATE/$CURRENT.note" ]] || note "exit $status"
            ((keep_going)) || stop="$CURRENT"
            ;;
    esac
    printf '<== %s: %s in %s\n' "$CURRENT" "${STATUS[$CURRENT]}" "${TIME[$CURRENT]}"
done

total="$(seconds $(($(now_us) - run_start)))s"
failed=()
for CURRENT in "${STEPS[@]}"; do
    if [[ "${STATUS[$CURRENT]}" == "FAIL" ]]; then failed+=("$CURRENT"); fi
done

printf '\n%s\n' "================================================================================"
if [[ -f "$STATE/coverage.txt" ]]; then
    echo "Line coverage per target:"
    cat "$STATE/coverage.txt"
    echo
fi
echo "Steps:"
for CURRENT in "${STEPS[@]}"; do
    remark=""
    if [[ -f "$STATE/$CURRENT.note" ]]; then remark="$(head -n 1 "$STATE/$CURRENT.note")"; fi
    printf '  %-13s %-8s %8s  %s\n' "$CURRENT" "${STATUS[$CURRENT]}" "${TIME[$CURRENT]}" "$remark" | sed 's/ *$//'
done
if ((${#failed[@]})); then
    echo "scripts/test.sh: FAILED (${failed[*]}) after $total"
else
    echo "scripts/test.sh: OK after $total"
fi
if [[ -s "$STATE/swift-test-summary.txt" ]]; then
    echo "swift test closing lines, repeated:"
    cat "$STATE/swift-test-summary.txt"
fi
((${#failed[@]} == 0))
