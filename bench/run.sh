#!/bin/sh
# The benchmark of issue 3 (Performance), run by `make bench`. It builds the programs under
# bench/ against build/libisxcore.a into build/bench/, measures the raw ceilings (SQLite insert
# and point lookup, libmicrohttpd small GETs), then starts a real isxd on a fresh node in a
# temporary directory and measures ingest, single and batch lookups and resident memory with
# the same load generator. It prints each figure beside its ceiling and target, and writes the
# same lines to build/bench/results.txt. Benchmarks assert nothing: a missed target is printed,
# not failed. Last, bench/fed.sh replicates the same number of indicators between two nodes
# (issue 5) and adds its section to the same files.
#
# BENCH_SCALE (default 1) scales the sizes and the durations: BENCH_SCALE=0.1 is a quick run
# with 100k indicators. BENCH_CONNS (default 4) is the keep-alive connections per client
# thread for the GET figures.
set -eu

cd "$(dirname "$0")/.."
# scaled, stop_pid, say, wait_port, get and the table helpers.
. bench/lib.sh
SCALE=${BENCH_SCALE:-1}
CONNS=${BENCH_CONNS:-4}
OUT=build/bench
RAW=$OUT/raw.txt
RESULTS=$OUT/results.txt
PKGS="libsodium jansson libmicrohttpd sqlite3 libcurl libidn2"

# Whole slices of whole 1000-row transactions: a multiple of 10,000.
ROWS=$(( $(scaled 1000000 10000) / 10000 * 10000 ))
SQL_LOOKUP_S=$(scaled 5 1)
CEIL_GET_S=$(scaled 10 3)
LOOKUP_S=$(scaled 20 3)
BATCH_S=$(scaled 10 3)
INGEST_CAP_S=$(scaled 240 60)
SLICE=$(( ROWS / 10 ))
# The transparency log (issue 4): 10M leaves at full size, in whole tenths of whole 10,000-leaf
# transactions; proofs and signatures for fixed times; appends stop at LOG_CAP_S.
LOG_LEAVES=$(( $(scaled 10000000 100000) / 100000 * 100000 ))
LOG_PROOF_S=$(scaled 5 1)
LOG_SIGN_S=$(scaled 3 1)
LOG_CAP_S=$(scaled 180 60)

TMP=$(mktemp -d /tmp/isx-bench-XXXXXX)
ISXD_PID=
MHD_PID=

cleanup() {
    stop_pid "$MHD_PID"
    stop_pid "$ISXD_PID"
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- build ----
mkdir -p "$OUT"
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
for prog in sqlite_ceiling mhd_ok loadgen phases log_bench; do
    # shellcheck disable=SC2086
    cc $CFLAGS -o "$OUT/$prog" "bench/$prog.c" bench/common.c $LIBS
done
say "scale $SCALE: $ROWS indicators, lookups ${LOOKUP_S} s, $CONNS connections a client thread"

# ---- 1a, 1b: SQLite ----
say "raw SQLite insert and point lookups"
"$OUT/sqlite_ceiling" "$TMP/ceiling.db" "$ROWS" "$SQL_LOOKUP_S" "$INGEST_CAP_S" >>"$RAW"
rm -f "$TMP/ceiling.db" "$TMP/ceiling.db-wal" "$TMP/ceiling.db-shm"

# ---- 1c: libmicrohttpd ----
say "raw libmicrohttpd small GETs"
"$OUT/mhd_ok" 2 >"$TMP/mhd.out" 2>&1 &
MHD_PID=$!
MHD_PORT=$(wait_port "$TMP/mhd.out") || {
    say "mhd_ok did not start: $(cat "$TMP/mhd.out")"
    exit 1
}
"$OUT/loadgen" -m get -p "$MHD_PORT" -u / -t 4 -c "$CONNS" -d "$CEIL_GET_S" -w 1 -k mhd >>"$RAW"
stop_pid "$MHD_PID"
MHD_PID=

# ---- 2: isxd ----
ISX_RAN=no
NODE=$TMP/node
if [ -x build/isx ] && [ -x build/isxd ]; then
    build/isx init --dir "$NODE" --party CN >/dev/null
    sed -i -e 's/^threads *=.*/threads = 2/' -e 's/^log_requests *=.*/log_requests = no/' \
        "$NODE/isx.conf"
    build/isxd -d "$NODE" -p 0 >"$TMP/isxd.out" 2>"$TMP/isxd.log" &
    ISXD_PID=$!
    PORT=$(wait_port "$TMP/isxd.out") || {
        say "isxd did not start: $(cat "$TMP/isxd.log")"
        exit 1
    }
    TOKEN=$NODE/admin.token
    status=$("$OUT/loadgen" -m probe -p "$PORT" -T "$TOKEN" -u '/api/v1/reports?limit=1' | head -n 1)
    if [ "$status" = 200 ]; then
        ISX_RAN=yes
    else
        say "GET /api/v1/reports answers $status: the report API is not in this build; isx figures skipped"
    fi
fi

# CPU time isxd has used so far, in clock ticks.
isxd_ticks() {
    awk '{ print $14 + $15 }' "/proc/$ISXD_PID/stat"
}
# Writes "KEY seconds" of isxd CPU between two tick counts.
cpu_figure() {
    awk -v k="$1" -v a="$2" -v b="$3" -v hz="$(getconf CLK_TCK)" \
        'BEGIN { printf "%s %.2f\n", k, (b - a) / hz }' >>"$RAW"
}

if [ "$ISX_RAN" = yes ]; then
    say "isxd ingest: $ROWS indicators in reports of 1000, 2 client threads (at most ${INGEST_CAP_S} s)"
    t0=$(isxd_ticks)
    "$OUT/loadgen" -m ingest -p "$PORT" -T "$TOKEN" -t 2 -c 1 -b 1000 -n "$ROWS" \
        -d "$INGEST_CAP_S" -k ingest >>"$RAW"
    cpu_figure ingest_server_cpu_s "$t0" "$(isxd_ticks)"
    echo "isxd_rss_after_ingest_kib $(awk '/^VmRSS:/ { print $2 }' "/proc/$ISXD_PID/status")" >>"$RAW"
    STORED=$(get ingest_contiguous)
    if [ -z "$STORED" ] || [ "$STORED" -eq 0 ]; then
        say "nothing was stored; lookups skipped"
    else
        say "isxd single lookups over $STORED stored indicators, 4 client threads, ${LOOKUP_S} s"
        t0=$(isxd_ticks)
        "$OUT/loadgen" -m lookup -p "$PORT" -T "$TOKEN" -t 4 -c "$CONNS" -d "$LOOKUP_S" -w 1 \
            -s "$STORED" -k lookup >>"$RAW"
        cpu_figure lookup_server_cpu_s "$t0" "$(isxd_ticks)"
        say "isxd GET /api/v1/whoami (authentication and routing alone), ${CEIL_GET_S} s"
        t0=$(isxd_ticks)
        "$OUT/loadgen" -m get -u /api/v1/whoami -p "$PORT" -T "$TOKEN" -t 4 -c "$CONNS" \
            -d "$CEIL_GET_S" -w 1 -k whoami >>"$RAW"
        cpu_figure whoami_server_cpu_s "$t0" "$(isxd_ticks)"
        say "isxd batch lookups of 1000 values, 2 client threads, ${BATCH_S} s"
        t0=$(isxd_ticks)
        "$OUT/loadgen" -m batch -p "$PORT" -T "$TOKEN" -t 2 -c 1 -b 1000 -d "$BATCH_S" -w 1 \
            -s "$STORED" -k batch >>"$RAW"
        cpu_figure batch_server_cpu_s "$t0" "$(isxd_ticks)"
    fi
    {
        echo "isxd_rss_kib $(awk '/^VmRSS:/ { print $2 }' "/proc/$ISXD_PID/status")"
        echo "isxd_hwm_kib $(awk '/^VmHWM:/ { print $2 }' "/proc/$ISXD_PID/status")"
        echo "isxd_db_kib $(du -kc "$NODE"/isx.db* | tail -n 1 | awk '{ print $1 }')"
    } >>"$RAW"
    # Server-side time per route, from the daemon's own /metrics.
    "$OUT/loadgen" -m probe -p "$PORT" -u /metrics >"$OUT/metrics.txt" || true
    stop_pid "$ISXD_PID"
    ISXD_PID=
    if [ -n "$STORED" ] && [ "$STORED" -gt 0 ]; then
        say "timing the handlers' steps in-process on the same node"
        "$OUT/phases" "$NODE" "$STORED" 2 >>"$RAW" || say "the step timing failed"
    fi
fi

# ---- 3: the transparency log (issue 4) ----
say "transparency log: $LOG_LEAVES leaves (at most ${LOG_CAP_S} s), proofs ${LOG_PROOF_S} s, signatures ${LOG_SIGN_S} s"
"$OUT/log_bench" "$TMP/log.db" "$LOG_LEAVES" "$LOG_PROOF_S" "$LOG_SIGN_S" "$LOG_CAP_S" >>"$RAW" ||
    say "the transparency log benchmark failed"
rm -f "$TMP/log.db" "$TMP/log.db-wal" "$TMP/log.db-shm"

# ---- the table ----
: >"$RESULTS"
ms() {
    awk -v u="$1" 'BEGIN { if (u != "") printf "%.2f", u / 1000 }'
}

N=$(awk -v n="$ROWS" 'BEGIN { if (n % 1000000 == 0) printf "%dM", n / 1000000; else printf "%dk", n / 1000 }')
SN=$(awk -v n="$SLICE" 'BEGIN { printf "%dk", n / 1000 }')
out "isx benchmark, $(date -u '+%Y-%m-%dT%H:%M:%SZ'), $(nproc) cores, BENCH_SCALE=$SCALE ($ROWS indicators)"
out ""
out "Raw ceilings (same run, same values, same load generator)"
row "sqlite insert 0..$N, 1000/txn" "$(get sqlite_insert_rate)" "rows/s" "" "issue: about 31000 at 1M" ""
row "sqlite insert, last $SN" "$(get sqlite_insert_last_rate)" "rows/s" "" "" ""
row "sqlite point lookup, 1 thread" "$(get sqlite_lookup_rate)" "lookups/s" "" "issue: about 117000" ""
row "sqlite point lookup, 2 threads" "$(get sqlite_lookup2_rate)" "lookups/s" "" "" ""
row "MHD \"ok\" GET, 4 thr x $CONNS conn" "$(get mhd_rate)" "req/s" \
    "p50 $(ms "$(get mhd_p50_us)") ms, p99 $(ms "$(get mhd_p99_us)") ms" "issue: about 130000" ""
out ""

if [ "$ISX_RAN" = yes ]; then
    CI=$(get sqlite_insert_rate)
    V=$(get ingest_ind_rate)
    SHARE=$(awk -v a="$V" -v b="$CI" 'BEGIN { if (a != "" && b > 0) printf "%.0f", a * 100 / b }')
    out "isx (isxd, threads = 2, log_requests = no)"
    row "ingest (HTTP, 1000/report)" "$V" "ind/s" "ceiling $CI rows/s $(pct "$V" "$CI")" \
        ">= 25000" "$(verdict "$V" ge 25000)"
    row "  share of the insert ceiling" "$SHARE" "%" "" ">= 80%" "$(verdict "$SHARE" ge 80)"
    s=1
    while [ $s -le 10 ]; do
        sv=$(get "ingest_slice_$s")
        [ -n "$sv" ] || break
        cs=$(get "sqlite_insert_slice_$s")
        row "  slice $s ($(( (s - 1) * SLICE / 1000 ))k..$(( s * SLICE / 1000 ))k)" "$sv" "ind/s" \
            "ceiling $cs rows/s $(pct "$sv" "$cs")" "" ""
        s=$((s + 1))
    done
    stored=$(get ingest_indicators)
    if [ "${stored:-0}" -lt "$ROWS" ]; then
        out "  (stored ${stored:-0} of $ROWS indicators before the ${INGEST_CAP_S} s cap;" \
            "$(get ingest_errors) failed reports)"
    fi
    V=$(get lookup_rate)
    C=$(get mhd_rate)
    row "single lookup (HTTP, 4 thr x $CONNS)" "$V" "req/s" "ceiling $C req/s $(pct "$V" "$C")" \
        ">= 40000" "$(verdict "$V" ge 40000)"
    P=$(ms "$(get lookup_p99_us)")
    row "  p99 latency" "$P" "ms" "ceiling $(ms "$(get mhd_p99_us)") ms" "< 5 ms" \
        "$(verdict "$P" lt 5)"
    row "  p50 latency" "$(ms "$(get lookup_p50_us)")" "ms" "ceiling $(ms "$(get mhd_p50_us)") ms" "" ""
    V=$(get whoami_rate)
    row "  for scale: GET /api/v1/whoami" "$V" "req/s" "ceiling $C req/s $(pct "$V" "$C")" "" ""
    V=$(get batch_values_rate)
    C=$(get sqlite_lookup2_rate)
    row "batch lookup (1000 values, 2 thr)" "$V" "values/s" \
        "ceiling $C lookups/s in-proc $(pct "$V" "$C")" ">= 200000" "$(verdict "$V" ge 200000)"
    R=$(mib "$(get isxd_rss_kib)")
    row "isxd resident memory (VmRSS)" "$R" "MiB" "peak $(mib "$(get isxd_hwm_kib)") MiB" \
        "< 128 MiB" "$(verdict "$R" lt 128)"
    out ""
    out "Checks: ingest errors $(get ingest_errors), lookup errors $(get lookup_errors)," \
        "lookups finding nothing $(get lookup_misses) of $(get lookup_requests)," \
        "batch errors $(get batch_errors), batch answers checked $(get batch_verified)" \
        "(bad $(get batch_verify_bad)); database $(mib "$(get isxd_db_kib)") MiB" \
        "after $(get ingest_indicators) indicators in $(get ingest_seconds) s"
    out ""
    out "Where the time goes"
    # cores NAME SERVER_CPU CLIENT_CPU WALL: the cores each side kept busy.
    cores() {
        awk -v n="$1" -v s="$2" -v c="$3" -v w="$4" 'BEGIN { if (w > 0)
            printf "  %-26s isxd %.2f cores, load generator %.2f cores (of 2)\n", n, s / w, c / w }'
    }
    cores "ingest" "$(get ingest_server_cpu_s)" "$(get ingest_client_cpu_s)" "$(get ingest_seconds)" | tee -a "$RESULTS"
    cores "single lookup" "$(get lookup_server_cpu_s)" "$(get lookup_client_cpu_s)" \
        "$(awk -v s="$(get lookup_seconds)" 'BEGIN { print s + 1 }')" | tee -a "$RESULTS"
    cores "GET /api/v1/whoami" "$(get whoami_server_cpu_s)" "$(get whoami_client_cpu_s)" \
        "$(awk -v s="$(get whoami_seconds)" 'BEGIN { print s + 1 }')" | tee -a "$RESULTS"
    cores "batch lookup" "$(get batch_server_cpu_s)" "$(get batch_client_cpu_s)" \
        "$(awk -v s="$(get batch_seconds)" 'BEGIN { print s + 1 }')" | tee -a "$RESULTS"
    # per_request NAME KEY: isxd CPU time per request over a timed run (warm-up included).
    per_request() {
        awk -v n="$1" -v r="$(get "$2_rate")" -v s="$(get "$2_server_cpu_s")" -v w="$(get "$2_seconds")" \
            'BEGIN { if (r > 0 && w > 0) printf "  isxd CPU per %-24s %8.0f us\n", n ":", s * 1e6 / (r * (w + 1)) }' |
            tee -a "$RESULTS"
    }
    per_request "single lookup" lookup
    per_request "GET /api/v1/whoami" whoami
    per_request "batch lookup (1000)" batch
    if [ -s "$OUT/metrics.txt" ]; then
        out "  Server time per request (isxd /metrics, mean over the run):"
        awk '
            /^isx_http_request_duration_seconds_sum/ { match($0, /route="[^"]*"/); r = substr($0, RSTART + 7, RLENGTH - 8); sum[r] = $2 }
            /^isx_http_request_duration_seconds_count/ { match($0, /route="[^"]*"/); r = substr($0, RSTART + 7, RLENGTH - 8); cnt[r] = $2 }
            END { for (r in cnt) if (cnt[r] > 0) printf "    %-26s %10d requests  %9.3f ms mean\n", r, cnt[r], sum[r] * 1000 / cnt[r] }
        ' "$OUT/metrics.txt" | sort | tee -a "$RESULTS"
    fi
    if [ -n "$(get phase_single_store_us)" ]; then
        out "  The handlers' steps timed in-process (bench/phases.c), mean per request:"
        step() {
            v=$(get "phase_$2_us")
            [ -n "$v" ] && out "$(printf '    %-26s %-28s %10s us' "$1" "$3" "$v")"
            return 0
        }
        step "single lookup" single_auth "token hash + user query"
        step "" single_parse "indicator parse"
        step "" single_store "store lookup (1 key)"
        step "" single_render "answer JSON"
        step "" single_store_fixed "store lookup, no key (fixed)"
        step "batch lookup (1000)" batch_json_parse "body JSON parse"
        step "" batch_parse "1000 indicator parses"
        step "" batch_store "store lookup (1000 keys)"
        step "" batch_render "answer JSON"
        step "ingest (1000/report)" ingest_json_parse "body JSON parse"
        step "" ingest_prepare "marking + report prepare"
        step "" ingest_sign "object + JCS + sign"
        step "" ingest_store "store put (1 txn, fsync)"
        step "" ingest_render "answer JSON"
        out "  Store lookups in-process, keys/s from 1 thread and from 2 (raw SQLite:" \
            "$(get sqlite_lookup_rate) and $(get sqlite_lookup2_rate)):"
        out "    one key a call          $(get phase_store_lookup_1t_rate)  $(get phase_store_lookup_2t_rate)"
        out "    1000 keys a call        $(get phase_store_batch_1t_rate)  $(get phase_store_batch_2t_rate)"
    fi
else
    out "isx figures: not measured (no report API in this build)"
fi

out ""
LN=$(awk -v n="$LOG_LEAVES" 'BEGIN { if (n % 1000000 == 0) printf "%dM", n / 1000000; else printf "%dk", n / 1000 }')
LD=$(get log_append_leaves)
LDN=$(awk -v n="${LD:-0}" 'BEGIN { if (n % 1000000 == 0) printf "%dM", n / 1000000; else printf "%dk", n / 1000 }')
out "Transparency log (issue 4)"
V=$(get log_append_rate)
row "leaf append 0..$LDN, 10000/txn" "$V" "leaves/s" "store schema + SQL, WAL, sync FULL" \
    ">= 100000 at 10M" "$(verdict "$V" ge 100000)"
V=$(get log_append_last_rate)
row "  last 10% of the appends" "$V" "leaves/s" "" ">= 100000" "$(verdict "$V" ge 100000)"
if [ "${LD:-0}" -lt "$LOG_LEAVES" ]; then
    out "  (appended ${LD:-0} of $LOG_LEAVES leaves before the ${LOG_CAP_S} s cap)"
fi
V=$(get log_proof_rate)
row "inclusion proof at $LDN, 1 thread" "$V" "proofs/s" \
    "store_log_nodes, mean $(get log_proof_mean_len) hashes" ">= 50000" "$(verdict "$V" ge 50000)"
V=$(get log_proof2_rate)
row "  2 threads" "$V" "proofs/s" "store_log_nodes, reader pool" "" ""
V=$(get log_proof_verify_rate)
row "  proof + verify_inclusion" "$V" "proofs/s" "store_log_nodes, 1 thread" "" ""
V=$(get log_proof_per_node_rate)
row "  one query per node, 1 thread" "$V" "proofs/s" "store_log_get, fresh store" "" ""
V=$(get log_proof_bare_rate)
row "  bare connection, 1 thread" "$V" "proofs/s" "own read-only conn, 1 stmt, 1 read txn" "" ""
C=$(get ed25519_sign_rate)
V=$(get checkpoint_sign_rate)
SHARE=$(awk -v a="$V" -v b="$C" 'BEGIN { if (a != "" && b > 0) printf "%.0f", a * 100 / b }')
row "checkpoint sign (signer_local)" "$V" "sig/s" "ceiling isx_sign $C/s $(pct "$V" "$C")" \
    ">= 80% of ceiling" "$(verdict "$SHARE" ge 80)"
C=$(get ed25519_verify_rate)
V=$(get checkpoint_open_rate)
SHARE=$(awk -v a="$V" -v b="$C" 'BEGIN { if (a != "" && b > 0) printf "%.0f", a * 100 / b }')
row "checkpoint open (verify + parse)" "$V" "verif/s" "ceiling isx_sign_verify $C/s $(pct "$V" "$C")" \
    ">= 80% of ceiling" "$(verdict "$SHARE" ge 80)"
out "  Checks: proof errors $(get log_proof_errors) (2 threads $(get log_proof2_errors)," \
    "per node $(get log_proof_per_node_errors), bare $(get log_proof_bare_errors))," \
    "proofs not verifying $(get log_proof_verify_bad)," \
    "checkpoint failures $(get checkpoint_bad); appends took $(get log_append_seconds) s for" \
    "${LD:-0} of $LN leaves"
out "  Appends here are batched 10000 to a transaction; the node appends one leaf inside each"
out "  accepted object's own transaction, where the object write dominates the cost."

# ---- 4: federation (issue 5), its own script: also runnable alone as `sh bench/fed.sh` ----
BENCH_FED_NESTED=1 sh bench/fed.sh || say "the federation benchmark failed"
say "results in $RESULTS, raw figures in $RAW"
