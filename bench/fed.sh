#!/bin/sh
# The federation benchmark of issue 5: replicate 1,000,000 indicators (1000 reports of 1000)
# from one node to another on loopback; the target is under 60 s, within 2x of what the
# receiver's store can insert.
#
# Two fresh nodes in a temporary directory: A (CN) and B (RU), each an isxd with threads = 2,
# log_requests = no and [federation] sync_interval = 1. A starts alone and takes the reports
# through its HTTP API (loadgen -m ingest, TLP:GREEN, so every report is for B) before B is
# linked. Then B starts, the two are linked both ways with `isx peer add ... --fetch`, and the
# clock runs from the first link until B holds every report. The script prints the time and
# the rate beside the receiver's insert ceiling (raw SQLite, same values) and A's own ingest,
# with the CPU each node used while replicating.
#
# `make bench` runs it from bench/run.sh (BENCH_FED_NESTED=1), which has built the programs
# and measured the SQLite ceiling already; its figures then go to build/bench/raw.txt and its
# section to build/bench/results.txt. Run alone (`sh bench/fed.sh`) it builds what it needs,
# measures the ceiling itself and writes build/bench/fed-raw.txt and fed-results.txt, so a
# full run's files are left alone. BENCH_SCALE (default 1) scales the number of reports:
# BENCH_SCALE=0.1 replicates 100 reports (100k indicators).
set -eu

cd "$(dirname "$0")/.."
# scaled, stop_pid, say, wait_port, get and the table helpers.
. bench/lib.sh
SCALE=${BENCH_SCALE:-1}
OUT=build/bench
NESTED=${BENCH_FED_NESTED:-0}
if [ "$NESTED" = 1 ]; then
    RAW=$OUT/raw.txt
    RESULTS=$OUT/results.txt
else
    RAW=$OUT/fed-raw.txt
    RESULTS=$OUT/fed-results.txt
fi
PKGS="libsodium jansson libmicrohttpd sqlite3 libcurl libidn2"

REPORTS=$(scaled 1000 10)
ROWS=$((REPORTS * 1000))
INGEST_CAP_S=$(scaled 240 60)
# Replication stops being waited for after ten times the target's time, scaled.
REPL_CAP_S=$(scaled 600 60)

TMP=$(mktemp -d /tmp/isx-fedbench-XXXXXX)
A_PID=
B_PID=

cleanup() {
    stop_pid "$B_PID"
    stop_pid "$A_PID"
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# CPU time process $1 has used so far, in clock ticks.
ticks() {
    awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# CPU ticks of each thread of process $1, "tid ticks" lines.
thread_ticks() {
    for t in /proc/"$1"/task/*; do
        awk -v t="${t##*/}" '{ print t, $14 + $15 }' "$t/stat" 2>/dev/null || true
    done
}

now() {
    date +%s.%N
}

# Reports from CN that node B holds. Read from B's database, read-only, beside the running
# node (a WAL reader never blocks its writer): exact, and cheaper than paging the report API.
held() {
    sqlite3 -readonly -cmd ".timeout 1000" "$B/isx.db" "SELECT count(*) FROM reports WHERE origin = 'CN';" 2>/dev/null |
        tail -n 1
}

# ---- build ----
mkdir -p "$OUT"
if [ "$NESTED" != 1 ]; then
    : >"$RAW"
    if [ ! -f build/libisxcore.a ]; then
        echo "bench: build/libisxcore.a is missing; run make build first" >&2
        exit 1
    fi
    # shellcheck disable=SC2086 # $PKGS is a list of package names
    CFLAGS="-std=c11 -O2 -g -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Wall -Wextra -Wpedantic \
-Wshadow -Wformat=2 -Werror -Iinclude $(pkg-config --cflags $PKGS)"
    # shellcheck disable=SC2086
    LIBS="build/libisxcore.a $(pkg-config --libs $PKGS) -lpthread -lm"
    for prog in sqlite_ceiling loadgen; do
        # shellcheck disable=SC2086
        cc $CFLAGS -o "$OUT/$prog" "bench/$prog.c" bench/common.c $LIBS
    done
fi
if [ ! -x build/isx ] || [ ! -x build/isxd ] || ! command -v sqlite3 >/dev/null; then
    say "federation: build/isx, build/isxd or the sqlite3 program is missing; skipped"
    exit 0
fi
if [ -z "$(get sqlite_insert_rate)" ]; then
    say "federation: the receiver's ceiling, raw SQLite inserts of $ROWS indicator rows"
    "$OUT/sqlite_ceiling" "$TMP/ceiling.db" "$ROWS" 1 "$INGEST_CAP_S" >>"$RAW"
    rm -f "$TMP/ceiling.db" "$TMP/ceiling.db-wal" "$TMP/ceiling.db-shm"
fi

# ---- two nodes ----
A=$TMP/a
B=$TMP/b
build/isx init --dir "$A" --party CN >/dev/null
build/isx init --dir "$B" --party RU >/dev/null
for d in "$A" "$B"; do
    sed -i -e 's/^threads *=.*/threads = 2/' -e 's/^log_requests *=.*/log_requests = no/' \
        -e 's/^sync_interval *=.*/sync_interval = 1/' "$d/isx.conf"
done

build/isxd -d "$A" -p 0 >"$TMP/a.out" 2>"$TMP/a.log" &
A_PID=$!
A_PORT=$(wait_port "$TMP/a.out") || {
    say "isxd A did not start: $(cat "$TMP/a.log")"
    exit 1
}
say "federation: $ROWS indicators in $REPORTS reports into A (CN) alone, 2 client threads"
"$OUT/loadgen" -m ingest -p "$A_PORT" -T "$A/admin.token" -t 2 -c 1 -b 1000 -n "$ROWS" \
    -d "$INGEST_CAP_S" -k fed_ingest >>"$RAW"

build/isxd -d "$B" -p 0 >"$TMP/b.out" 2>"$TMP/b.log" &
B_PID=$!
B_PORT=$(wait_port "$TMP/b.out") || {
    say "isxd B did not start: $(cat "$TMP/b.log")"
    exit 1
}

say "federation: linking A and B both ways; waiting until B holds $REPORTS reports (at most ${REPL_CAP_S} s)"
a0=$(ticks "$A_PID")
b0=$(ticks "$B_PID")
thread_ticks "$A_PID" >"$TMP/a.threads0"
thread_ticks "$B_PID" >"$TMP/b.threads0"
t0=$(now)
ISX_URL=http://127.0.0.1:$A_PORT ISX_TOKEN=$(cat "$A/admin.token") \
    build/isx peer add RU "http://127.0.0.1:$B_PORT" --fetch >/dev/null
ISX_URL=http://127.0.0.1:$B_PORT ISX_TOKEN=$(cat "$B/admin.token") \
    build/isx peer add CN "http://127.0.0.1:$A_PORT" --fetch >/dev/null
n=0
deadline=$(awk -v t="$t0" -v c="$REPL_CAP_S" 'BEGIN { printf "%.3f", t + c }')
while :; do
    n=$(held)
    [ "${n:-0}" -ge "$REPORTS" ] && break
    if awk -v a="$(now)" -v b="$deadline" 'BEGIN { exit !(a > b) }'; then
        say "federation: B holds ${n:-0} of $REPORTS reports after ${REPL_CAP_S} s; giving up"
        break
    fi
    sleep 0.2
done
t1=$(now)
a1=$(ticks "$A_PID")
b1=$(ticks "$B_PID")
thread_ticks "$A_PID" >"$TMP/a.threads1"
thread_ticks "$B_PID" >"$TMP/b.threads1"

hz=$(getconf CLK_TCK)
# busiest FILE0 FILE1: the CPU seconds of the busiest thread between the two samples.
busiest() {
    awk -v hz="$hz" 'NR == FNR { t0[$1] = $2; next } { d = $2 - t0[$1]; if (d > m) m = d }
        END { printf "%.2f", m / hz }' "$1" "$2"
}
{
    echo "fed_reports ${n:-0}"
    echo "fed_reports_target $REPORTS"
    awk -v a="$t0" -v b="$t1" -v n="${n:-0}" 'BEGIN {
        s = b - a; printf "fed_seconds %.2f\n", s
        if (s > 0) printf "fed_ind_rate %.0f\n", n * 1000 / s }'
    awk -v a="$a0" -v b="$a1" -v hz="$hz" 'BEGIN { printf "fed_a_cpu_s %.2f\n", (b - a) / hz }'
    awk -v a="$b0" -v b="$b1" -v hz="$hz" 'BEGIN { printf "fed_b_cpu_s %.2f\n", (b - a) / hz }'
    echo "fed_a_busiest_thread_s $(busiest "$TMP/a.threads0" "$TMP/a.threads1")"
    echo "fed_b_busiest_thread_s $(busiest "$TMP/b.threads0" "$TMP/b.threads1")"
} >>"$RAW"

# What each side counted: objects sent and refused (A about RU, B about CN), from /metrics.
# A delivery updates its counters just after its transaction commits, so they settle first.
sleep 1
metric() {
    "$OUT/loadgen" -m probe -p "$1" -u /metrics 2>/dev/null |
        awk -v k="$2" 'index($0, k " ") == 1 { print $2 }'
}
{
    echo "fed_a_sent $(metric "$A_PORT" 'isx_fed_peer_sent{peer="RU"}')"
    echo "fed_b_received $(metric "$B_PORT" 'isx_fed_peer_received{peer="CN"}')"
    echo "fed_b_refused $(metric "$B_PORT" 'isx_fed_peer_refused{peer="CN"}')"
    echo "fed_a_hwm_kib $(awk '/^VmHWM:/ { print $2 }' "/proc/$A_PID/status")"
    echo "fed_b_hwm_kib $(awk '/^VmHWM:/ { print $2 }' "/proc/$B_PID/status")"
} >>"$RAW"
stop_pid "$B_PID"
B_PID=
stop_pid "$A_PID"
A_PID=
echo "fed_b_indicators $(sqlite3 -readonly "$B/isx.db" "SELECT count(*) FROM report_indicators;")" >>"$RAW"
echo "fed_b_log_errors $(grep -c 'refused' "$TMP/b.log" || true)" >>"$RAW"

# ---- the section ----
[ "$NESTED" = 1 ] || : >"$RESULTS"

N=$(awk -v n="$ROWS" 'BEGIN { if (n % 1000000 == 0) printf "%dM", n / 1000000; else printf "%dk", n / 1000 }')
if [ "$NESTED" = 1 ]; then
    out ""
else
    out "isx federation benchmark, $(date -u '+%Y-%m-%dT%H:%M:%SZ'), $(nproc) cores, BENCH_SCALE=$SCALE ($ROWS indicators)"
    out ""
fi
out "Federation (issue 5): A (CN) -> B (RU) on loopback, $N indicators in $REPORTS reports"
CI=$(get sqlite_insert_rate)
IR=$(get fed_ingest_ind_rate)
V=$(get fed_ind_rate)
S=$(get fed_seconds)
# The target is 1M in under 60 s: 16,667 indicators/s, the same rate at any scale.
TS=$(awk -v r="$ROWS" 'BEGIN { printf "%.1f", r * 60 / 1000000 }')
row "replication, link -> all held" "$S" "s" "$(get fed_reports) of $REPORTS reports" \
    "< $TS s (60 s at 1M)" "$(verdict "$S" lt "$TS")"
row "  replicated indicators" "$V" "ind/s" "ceiling $CI rows/s $(pct "$V" "$CI")" \
    ">= 1/2 ceiling" "$(verdict "$V" ge "$(awk -v c="$CI" 'BEGIN { print c / 2 }')")"
row "  for scale: ingest into A" "$IR" "ind/s" "HTTP, 2 client threads, same run" "" ""
W=$S
cores() {
    awk -v c="$1" -v w="$W" 'BEGIN { if (w > 0) printf "%.2f", c / w }'
}
out "  CPU while replicating: A (sender) $(cores "$(get fed_a_cpu_s)") cores, busiest thread" \
    "$(cores "$(get fed_a_busiest_thread_s)"); B (receiver) $(cores "$(get fed_b_cpu_s)") cores," \
    "busiest thread $(cores "$(get fed_b_busiest_thread_s)") (of 2)"
out "  Peak resident memory (VmHWM): A $(mib "$(get fed_a_hwm_kib)") MiB, B $(mib "$(get fed_b_hwm_kib)") MiB"
out "  Checks: B stored $(get fed_b_received) objects from CN (A's push delivered" \
    "$(get fed_a_sent), B's pull the rest), refused $(get fed_b_refused), refusals in B's log" \
    "$(get fed_b_log_errors); B holds $(get fed_b_indicators) indicator rows; ingest errors" \
    "$(get fed_ingest_errors)"
say "federation results in $RESULTS, raw figures in $RAW"
