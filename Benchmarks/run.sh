#!/usr/bin/env bash
# Runs one load scenario end to end (docs/benchmarks.md, "Load benchmarks"):
#   builds release, starts each server under test (csms on SQLite, the csms-echo transport
#   limit, the Python `ocpp` peer), pins it to CPU 0 and the load tool to CPU 1 (taskset, when
#   there), runs `csms-load SCENARIO` against each in turn, stops it, and writes
#   Benchmarks/results/DATE-SCENARIO-LABEL.json (and .server.log) per server plus
#   Benchmarks/results/DATE-SCENARIO.md (the markdown tables, the machine, the commit and the
#   ratios between the servers).
#
# Usage: Benchmarks/run.sh SCENARIO [--against csms,echo,python] [--no-build] [csms-load options...]
#   SCENARIO     idle-hold | boot-storm | boot-storm-jittered | telemetry | sessions | commands | mixed | status-loop
#   --against    servers to measure, in order (default: csms,echo; sessions: csms,python; commands: csms)
#   --no-build   use the existing release build
#   everything else goes to csms-load (e.g. --stations 1000 --rates 1000,2000 --duration 10)
# Environment: CSMS_BENCH_LOG_LEVEL (csms --log-level, default notice), CSMS_BENCH_SERVER_ARGS (more
#   csms serve arguments, split on spaces, e.g. "--set metrics.prometheus=false"), PYTHON (default python3),
#   CSMS_BENCH_NO_TASKSET=1 to run unpinned, CSMS_BENCH_CONFIGURATION=debug to use the debug build
#   (only to try the script: debug numbers mean nothing).

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

usage() { sed -n '2,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }

if (($# == 0)) || [[ "$1" == -h || "$1" == --help ]]; then
    usage
    exit 0
fi
SCENARIO="$1"
shift
case "$SCENARIO" in
    idle-hold | boot-storm | boot-storm-jittered | telemetry | mixed | status-loop) AGAINST="csms,echo" ;;
    sessions) AGAINST="csms,python" ;;
    commands) AGAINST="csms" ;;
    *) echo "run.sh: unknown scenario '$SCENARIO'" >&2; usage >&2; exit 2 ;;
esac
BUILD=1
LOAD_ARGS=()
while (($#)); do
    case "$1" in
        --against) AGAINST="$2"; shift ;;
        --against=*) AGAINST="${1#*=}" ;;
        --no-build) BUILD=0 ;;
        *) LOAD_ARGS+=("$1") ;;
    esac
    shift
done

# 20,000 connections need 20,000+ descriptors on each side: try a high limit (root may raise the
# hard one, unless the container forbids it), else take the hard limit.
ulimit -n 1048576 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if (($(ulimit -n) < 65536)); then
    echo "warning: open-file limit is $(ulimit -n) (hard $(ulimit -Hn)); a server holds at most about that many" \
        "connections (docs/benchmarks.md, kernel settings)" >&2
fi

CONFIGURATION="${CSMS_BENCH_CONFIGURATION:-release}"
# CSMS_BENCH_SCRATCH: a build folder of its own (e.g. .build-release), so that a benchmark
# build does not lock the debug build folder.
SCRATCH_ARGS=()
[[ -n "${CSMS_BENCH_SCRATCH:-}" ]] && SCRATCH_ARGS=(--scratch-path "$CSMS_BENCH_SCRATCH")
if ((BUILD)); then
    echo "==> swift build -c $CONFIGURATION ${SCRATCH_ARGS[*]}"
    swift build -c "$CONFIGURATION" "${SCRATCH_ARGS[@]}" --product csms
    swift build -c "$CONFIGURATION" "${SCRATCH_ARGS[@]}" --product csms-load
    swift build -c "$CONFIGURATION" "${SCRATCH_ARGS[@]}" --product csms-echo
fi
BIN="$(swift build -c "$CONFIGURATION" "${SCRATCH_ARGS[@]}" --show-bin-path)"
for tool in csms csms-load csms-echo; do
    [[ -x "$BIN/$tool" ]] || { echo "run.sh: $BIN/$tool is missing (run without --no-build)" >&2; exit 1; }
done

SERVER_CPU=() LOAD_CPU=()
if [[ -z "${CSMS_BENCH_NO_TASKSET:-}" ]] && command -v taskset >/dev/null 2>&1 && (($(nproc) >= 2)); then
    SERVER_CPU=(taskset -c 0)
    LOAD_CPU=(taskset -c 1)
fi

STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
RESULTS="$ROOT/Benchmarks/results"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/csms-bench.XXXXXX")"
mkdir -p "$RESULTS"
TOKEN="bench-$RANDOM$RANDOM"
SERVER_PID=""

stop_server() {
    if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}
cleanup() {
    stop_server
    rm -rf "$WORK"
}
trap cleanup EXIT

wait_for_port_file() {
    local file="$1" i
    for i in $(seq 1 300); do
        if [[ -s "$file" ]]; then cat "$file"; return 0; fi
        kill -0 "$SERVER_PID" 2>/dev/null || { echo "run.sh: the server exited; log:" >&2; cat "$SERVER_LOG" >&2; return 1; }
        sleep 0.1
    done
    echo "run.sh: the server wrote no port file in 30 s" >&2
    return 1
}

peer_python() {
    local venv="$ROOT/Benchmarks/.venv-peer" stamp
    stamp="$(sha256sum Benchmarks/peers/requirements.txt | cut -d' ' -f1)"
    if [[ ! -x "$venv/bin/python" || "$(cat "$venv/.stamp" 2>/dev/null)" != "$stamp" ]]; then
        echo "==> creating $venv" >&2
        rm -rf "$venv"
        "${PYTHON:-python3}" -m venv "$venv" >&2
        "$venv/bin/pip" install --quiet --disable-pip-version-check -r Benchmarks/peers/requirements.txt >&2
        echo "$stamp" >"$venv/.stamp"
    fi
    echo "$venv/bin/python"
}

start_server() {
    local label="$1" port_file="$WORK/$1.port"
    SERVER_LOG="$RESULTS/$STAMP-$SCENARIO-$label.server.log"
    rm -f "$port_file"
    case "$label" in
        csms)
            rm -rf "$WORK/csms-data"
            CSMS_API_TOKEN="$TOKEN" "${SERVER_CPU[@]}" "$BIN/csms" serve --host 127.0.0.1 --port 0 \
                --port-file "$port_file" --database "sqlite:$WORK/csms-data/csms.sqlite" --security-profile 0 \
                --unknown-charge-points accept --log-format json --log-level "${CSMS_BENCH_LOG_LEVEL:-notice}" \
                --websocket-ping-interval 0 --set rateLimit.rate=0 --set limits.connectionsPerIP=1000000 \
                ${CSMS_BENCH_SERVER_ARGS:-} >"$SERVER_LOG" 2>&1 &
            ;;
        echo)
            "${SERVER_CPU[@]}" "$BIN/csms-echo" --host 127.0.0.1 --port 0 --port-file "$port_file" \
                >"$SERVER_LOG" 2>&1 &
            ;;
        python)
            local python
            python="$(peer_python)"
            "${SERVER_CPU[@]}" "$python" Benchmarks/peers/python_ocpp_csms.py --host 127.0.0.1 --port 0 \
                --port-file "$port_file" --database "$WORK/peer.sqlite" >"$SERVER_LOG" 2>&1 &
            ;;
        *) echo "run.sh: unknown server '$label' (csms, echo, python)" >&2; exit 2 ;;
    esac
    SERVER_PID=$!
    PORT="$(wait_for_port_file "$port_file")"
}

MARKDOWN="$RESULTS/$STAMP-$SCENARIO.md"
COMMIT="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo '+dirty')"
{
    echo "# $SCENARIO — $STAMP"
    echo
    echo "- commit: $COMMIT ($CONFIGURATION build)"
    echo "- machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -sr)"
    echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- pinning: server ${SERVER_CPU[*]:-none}, load tool ${LOAD_CPU[*]:-none}; open-file limit $(ulimit -n)"
    echo "- command: ${CSMS_BENCH_SERVER_ARGS:+CSMS_BENCH_SERVER_ARGS=\"$CSMS_BENCH_SERVER_ARGS\" }${CSMS_BENCH_LOG_LEVEL:+CSMS_BENCH_LOG_LEVEL=$CSMS_BENCH_LOG_LEVEL }Benchmarks/run.sh $SCENARIO --against $AGAINST ${LOAD_ARGS[*]:-}"
    echo
} >"$MARKDOWN"

STATUS=0
JSONS=()
IFS=',' read -r -a SERVERS <<<"$AGAINST"
for label in "${SERVERS[@]}"; do
    echo "==> $SCENARIO against $label"
    start_server "$label"
    json="$RESULTS/$STAMP-$SCENARIO-$label.json"
    extra=()
    if [[ "$label" == echo ]]; then extra=(--lenient-answers); fi
    set +e
    CSMS_API_TOKEN="$TOKEN" "${LOAD_CPU[@]}" "$BIN/csms-load" "$SCENARIO" --url "ws://127.0.0.1:$PORT/ocpp" \
        --server-pid "$SERVER_PID" --label "$label" --json "$json" --markdown "$MARKDOWN" "${extra[@]}" "${LOAD_ARGS[@]}"
    status=$?
    set -e
    if ((status != 0)); then
        echo "run.sh: csms-load against $label exited with $status" >&2
        STATUS=1
    fi
    [[ -f "$json" ]] && JSONS+=("$json")
    stop_server
done

# Ratios between the servers (throughput of the first server's phases over the others').
if ((${#JSONS[@]} > 1)); then
    "${PYTHON:-python3}" - "${JSONS[@]}" >>"$MARKDOWN" <<'PY'
import json, sys
reports = [json.load(open(path)) for path in sys.argv[1:]]
base = reports[0]
print(f"Ratios of {base['label']} to the others (answered per second, same phase):\n")
print("| phase | " + " | ".join(f"{base['label']} / {r['label']}" for r in reports[1:]) + " |")
print("|---|" + "---|" * (len(reports) - 1))
rows = [("setup", None)] if not base["phases"] else [(p["name"], p) for p in base["phases"]]
for name, phase in rows:
    cells = []
    for other in reports[1:]:
        if phase is None:
            mine = base["setup"].get("secondsUntilAllAccepted")
            theirs = other["setup"].get("secondsUntilAllAccepted")
            fmt = lambda seconds: "-" if seconds is None else f"{seconds:.3f} s"
            cells.append(f"time to all Accepted {fmt(mine)} vs {fmt(theirs)}")
            continue
        match = next((p for p in other["phases"] if p["name"] == name), None)
        if match and match["throughput"] > 0:
            cells.append(f"{phase['throughput'] / match['throughput']:.2f}")
        else:
            cells.append("-")
    print(f"| {name} | " + " | ".join(cells) + " |")
    if phase is not None and "sessions completed" in phase.get("counters", {}):
        ratios = []
        for other in reports[1:]:
            match = next((p for p in other["phases"] if p["name"] == name), None)
            theirs = (match or {}).get("counters", {}).get("sessions completed", 0)
            ratios.append(f"{phase['counters']['sessions completed'] / theirs:.2f}" if theirs else "-")
        print(f"| {name}: sessions completed | " + " | ".join(ratios) + " |")
if len(base["phases"]) > 1:
    best = lambda report: max((p["throughput"] for p in report["phases"]), default=0)
    cells = [f"{best(base) / best(other):.2f}" if best(other) else "-" for other in reports[1:]]
    print("| highest answered/s of any phase | " + " | ".join(cells) + " |")
print()
PY
fi
echo "==> results: $MARKDOWN"
cat "$MARKDOWN"
exit "$STATUS"
