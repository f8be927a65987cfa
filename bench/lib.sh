#!/bin/sh
# Shell helpers shared by bench/run.sh and bench/fed.sh (sourced, not run). They read the
# caller's SCALE, OUT, RESULTS and RAW where a helper writes figures.

# A figure scaled by BENCH_SCALE, rounded, and at least $2.
scaled() {
    awk -v s="$SCALE" -v n="$1" -v min="$2" 'BEGIN { v = int(n * s + 0.5); if (v < min) v = min; print v }'
}

stop_pid() {
    # Stops one process this script started: SIGTERM, up to 15 s, then SIGKILL.
    pid=$1
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    i=0
    while [ $i -lt 150 ] && kill -0 "$pid" 2>/dev/null; do
        sleep 0.1
        i=$((i + 1))
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

say() {
    echo "bench: $*" >&2
}

# Waits up to 10 s for a "... listening on http://127.0.0.1:PORT/" line in file $1; prints PORT.
wait_port() {
    i=0
    while [ $i -lt 100 ]; do
        port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$1" 2>/dev/null | head -n 1)
        if [ -n "$port" ]; then
            echo "$port"
            return 0
        fi
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}

# The value of figure $1 from the raw results, or empty.
get() {
    awk -v k="$1" '$1 == k { v = $2 } END { if (v != "") print v }' "$RAW"
}

out() {
    printf '%s\n' "$*" | tee -a "$RESULTS"
}

# row NAME VALUE UNIT CEILING TARGET VERDICT
row() {
    out "$(printf '%-34s %10s %-10s %-40s %-34s %s' "$1" "$2" "$3" "$4" "$5" "$6")"
}

pct() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b != "" && b > 0) printf "(%d%%)", a * 100 / b }'
}

# verdict VALUE OP LIMIT: MET or NOT MET (op ge or lt); "-" when there is no figure.
verdict() {
    awk -v v="$1" -v op="$2" -v l="$3" 'BEGIN {
        if (v == "") { print "-"; exit }
        ok = (op == "ge") ? (v + 0 >= l + 0) : (v + 0 < l + 0)
        print ok ? "MET" : "NOT MET" }'
}

mib() {
    awk -v k="$1" 'BEGIN { if (k != "") printf "%.1f", k / 1024 }'
}
