#!/usr/bin/env bash
# Profiles a running csms server (docs/benchmarks.md, "Profiling a running server"):
#   Benchmarks/profile.sh allocs PID [SECONDS]   malloc and Swift object allocations per CALL
#   Benchmarks/profile.sh frames PID [SECONDS]   task-allocator bytes (async frames) per CALL, by function
#   Benchmarks/profile.sh sched PID [SECONDS]    per thread: CPU %, run-queue wait %, context switches
#   Benchmarks/profile.sh fsync DIR [SECONDS]    the disk under DIR: latency of a 64 KiB write + fdatasync
# Start the load first (e.g. Benchmarks/run.sh status-loop, or csms-load against the server), then
# run this while it is steady. allocs and frames need `perf` with uprobes (root) and a release
# build of csms whose symbols are not stripped; sched needs only /proc. SECONDS defaults to 3.
# fsync needs no server: run it where the database lives (idle, or beside a running server) to
# see whether the disk's own sync stalls are a commit's tail (synchronous=FULL waits for them).
#
# A CALL is counted by a probe on RequestDigest.hex, which the idempotency step runs once per
# CALL that it stores an answer for (StatusNotification, MeterValues, transactions; not
# Heartbeat or BootNotification, which are rerun rather than stored).

set -euo pipefail

usage() { sed -n '2,/^$/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; }
(($# >= 2)) || { usage >&2; exit 2; }
MODE="$1"
PID="$2"
SECONDS_TO_RUN="${3:-3}"
if [[ "$MODE" == fsync ]]; then
    [[ -d "$2" ]] || { echo "profile.sh: no directory $2" >&2; exit 2; }
    python3 - "$2" "$SECONDS_TO_RUN" <<'PY'
import os, sys, tempfile, time
directory, seconds = sys.argv[1], float(sys.argv[2])
fd, path = tempfile.mkstemp(prefix="csms-fsync-", dir=directory)
try:
    block, offset, latencies = os.urandom(65536), 0, []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        os.pwrite(fd, block, offset)
        offset = (offset + len(block)) % (64 << 20)
        start = time.perf_counter()
        os.fdatasync(fd)
        latencies.append((time.perf_counter() - start) * 1000)
finally:
    os.close(fd)
    os.unlink(path)
latencies.sort()
n = len(latencies)
def at(q): return latencies[min(n - 1, int(n * q))]
print(f"{n} syncs of a 64 KiB write in {seconds:g} s under {directory}: ms p50 {at(0.5):.2f}, "
      f"p99 {at(0.99):.2f}, p99.9 {at(0.999):.2f}, max {latencies[-1]:.1f}; over 10 ms: {sum(l > 10 for l in latencies)}")
PY
    exit
fi
[[ -d /proc/$PID ]] || { echo "profile.sh: no process $PID" >&2; exit 2; }
BIN="$(readlink -f "/proc/$PID/exe")"
SWIFT_LIB="$(dirname "$(readlink -f "$(command -v swift)")")/../lib/swift/linux"
LIBC="$(awk '$6 ~ /\/libc\.so/ {print $6; exit}' "/proc/$PID/maps")"
DIGEST='$s13CSMSProcessor13RequestDigestO3hex6action7payloadS2S_4OCPP9JSONValueOtFZTf4nnd_n'

# Adds the uprobe "probe_csmsprofile:NAME" at SYMBOL of FILE (an address, so that Swift's
# mangled names need no quoting in perf's probe syntax), with an optional argument spec.
add_probe() {
    local file="$1" symbol="$2" name="$3" args="${4:-}" address
    address="$(nm --defined-only "$file" 2>/dev/null | awk -v s="$symbol" '{n = $3; sub(/@.*/, "", n)} n == s {print $1; exit}' || true)"
    [[ -n "$address" ]] || address="$(nm -D --defined-only "$file" 2>/dev/null | awk -v s="$symbol" '{n = $3; sub(/@.*/, "", n)} n == s {print $1; exit}' || true)"
    [[ -n "$address" ]] || { echo "profile.sh: $symbol not found in $file" >&2; exit 1; }
    perf probe -q -x "$file" -a "probe_csmsprofile:$name=0x$address $args" >/dev/null
}
remove_probes() { perf probe -q -d 'probe_csmsprofile:*' >/dev/null 2>&1 || true; }

case "$MODE" in
    allocs)
        remove_probes
        trap remove_probes EXIT
        add_probe "$LIBC" malloc malloc
        add_probe "$SWIFT_LIB/libswiftCore.so" swift_allocObject allocObject
        add_probe "$BIN" "$DIGEST" call
        perf stat -x, -e probe_csmsprofile:malloc,probe_csmsprofile:allocObject,probe_csmsprofile:call \
            -p "$PID" -- sleep "$SECONDS_TO_RUN" 2>&1 >/dev/null | awk -F, '
            { count[$3] = $1 }
            END {
                calls = count["probe_csmsprofile:call"]
                if (calls == 0) { print "no CALL was probed (is the load running?)"; exit 1 }
                printf "CALLs %d, malloc per CALL %.1f, Swift objects per CALL %.1f\n", calls,
                    count["probe_csmsprofile:malloc"] / calls, count["probe_csmsprofile:allocObject"] / calls
            }'
        ;;
    frames)
        remove_probes
        DATA="$(mktemp)"
        trap 'remove_probes; rm -f "$DATA"' EXIT
        add_probe "$SWIFT_LIB/libswift_Concurrency.so" swift_task_alloc taskAlloc "size=%di:u64"
        add_probe "$BIN" "$DIGEST" call
        perf record -q -e probe_csmsprofile:taskAlloc -e probe_csmsprofile:call -g --call-graph dwarf,4096 \
            -p "$PID" -o "$DATA" -- sleep "$SECONDS_TO_RUN" >/dev/null 2>&1
        perf script -i "$DATA" 2>/dev/null | python3 -c '
import collections, re, sys
calls = 0; total = 0; size = None
bytes_by = collections.Counter(); count_by = collections.Counter()
for line in sys.stdin:
    if not line.startswith((" ", "\t")) and line.strip():
        if "probe_csmsprofile:call" in line:
            calls += 1; size = None
        else:
            m = re.search(r"size=(\d+)", line)
            size = int(m.group(1)) if m else None
            if size is not None: total += size
        continue
    if size is not None and line.strip() and "swift_task_alloc" not in line:
        name = re.sub(r"\+0x[0-9a-f]+ \(.*\)$", "", line.strip().split(None, 1)[1])
        bytes_by[name] += size; count_by[name] += 1; size = None
if calls == 0: sys.exit("no CALL was probed (is the load running?)")
print(f"CALLs {calls}, task-allocator bytes per CALL {total / calls:.0f}")
print("bytes/CALL  frame size  function (largest first)")
for name, b in bytes_by.most_common(25):
    print(f"{b / calls:10.0f}  {b / count_by[name]:10.0f}  {name[:110]}")
'
        ;;
    sched)
        snapshot() {
            for task in /proc/"$PID"/task/*; do
                printf '%s %s %s %s\n' "$(basename "$task")" "$(tr ' ' _ < "$task/comm")" \
                    "$(cat "$task/schedstat" 2>/dev/null || echo '0 0 0')" \
                    "$(awk '/^(voluntary|nonvoluntary)_ctxt_switches/ {printf "%s ", $2}' "$task/status" 2>/dev/null)"
            done
        }
        BEFORE="$(snapshot)"
        sleep "$SECONDS_TO_RUN"
        AFTER="$(snapshot)"
        python3 - "$SECONDS_TO_RUN" "$BEFORE" "$AFTER" <<'PY'
import sys
seconds = float(sys.argv[1])
before = {line.split()[0]: line.split() for line in sys.argv[2].splitlines() if line.strip()}
print(f"{'thread':>8} {'name':<18} {'CPU %':>6} {'run-queue wait %':>17} {'voluntary/s':>12} {'involuntary/s':>14}")
for line in sys.argv[3].splitlines():
    f = line.split()
    if len(f) < 7 or f[0] not in before or len(before[f[0]]) < 7: continue
    b = before[f[0]]
    cpu = (int(f[2]) - int(b[2])) / 1e9 / seconds * 100
    wait = (int(f[3]) - int(b[3])) / 1e9 / seconds * 100
    if cpu < 1: continue
    print(f"{f[0]:>8} {f[1]:<18} {cpu:6.1f} {wait:17.1f} {(int(f[5]) - int(b[5])) / seconds:12.0f} {(int(f[6]) - int(b[6])) / seconds:14.0f}")
PY
        ;;
    *) usage >&2; exit 2 ;;
esac
