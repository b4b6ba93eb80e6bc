#!/usr/bin/env bash
# Throughput of `prove --queue` with 1, 2 and 4 `zkbackup worker` processes on this machine,
# against a throwaway PostgreSQL (initdb + pg_ctl in a temporary directory, unix socket).
# Rounds alternate the worker counts (1, 2, 4, 1, 2, 4, …) so load drifts hit them alike;
# prints each run and the medians. Numbers go to benches/README.md.
#
#   scripts/bench-distributed.sh [BIN] [CHUNK_SIZE] [RECORDS] [ROUNDS]
#   scripts/bench-distributed.sh target/release/zkbackup 16 512 3
set -euo pipefail
BIN=$(realpath "${1:-target/release/zkbackup}")
CHUNK=${2:-16}
RECORDS=${3:-512}
ROUNDS=${4:-3}
WORK=$(mktemp -d /tmp/zkb-bench.XXXXXX)
PGBIN=$(dirname "$(command -v initdb 2>/dev/null || ls /usr/lib/postgresql/*/bin/initdb | tail -1)")
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
    as_pg "$PGBIN/pg_ctl" -D "$WORK/pg/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT
chmod 755 "$WORK"; mkdir -p "$WORK/pg"
[ "$(id -u)" = 0 ] && chown postgres: "$WORK/pg"
as_pg "$PGBIN/initdb" -D "$WORK/pg/data" -U postgres --auth=trust --no-sync >/dev/null
as_pg "$PGBIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/log" -w \
    -o "-k $WORK/pg -c listen_addresses='' -c max_connections=100" start >/dev/null
URLBASE="postgresql://postgres@$(echo "$WORK/pg" | sed 's|/|%2F|g')"

cd "$WORK"
awk -v n="$RECORDS" 'BEGIN { for (i = 0; i < n; i++) printf "%d,%d,%d,%d\n", i, 2*i+1, 3*i+2, 5*i+3 }' > records.csv
"$BIN" keygen --out key.json >/dev/null
"$BIN" backup --records records.csv --key key.json --out backup.zkb --chunk-size "$CHUNK" >/dev/null
"$BIN" setup --arity 4 --chunk-size "$CHUNK" --out keys >/dev/null 2>&1

run() { # workers round
    local w=$1 r=$2 db="b_${1}_${2}"
    as_pg psql -h "$WORK/pg" -U postgres -qc "CREATE DATABASE $db" postgres
    local url="$URLBASE/$db" pids=() start end
    start=$(date +%s.%N)
    "$BIN" prove --queue "$url" --backup backup.zkb --key key.json --keys-dir keys \
        --out "bundle_${w}_${r}.json" --poll-ms 50 2>"coord_${w}_${r}.log" >/dev/null &
    local coord=$!
    for i in $(seq 1 "$w"); do
        "$BIN" worker --queue "$url" --keys-dir keys --key key.json --poll-ms 50 \
            2>"worker_${w}_${r}_$i.log" &
        pids+=($!)
    done
    wait "$coord"
    end=$(date +%s.%N)
    kill -TERM "${pids[@]}"; wait "${pids[@]}" || true
    echo "$w $(echo "$end - $start" | bc -l)"
}

echo "chunk $CHUNK, $RECORDS records of arity 4 ($(( (RECORDS + CHUNK - 1) / CHUNK )) chunks), $(nproc) cores, $ROUNDS rounds"
: > times.txt
for r in $(seq 1 "$ROUNDS"); do
    for w in 1 2 4; do
        line=$(run "$w" "$r")
        echo "$line" >> times.txt
        echo "round $r: $w worker(s): $(echo "$line" | cut -d' ' -f2) s"
    done
done
for w in 1 2 4; do
    med=$(awk -v w="$w" '$1 == w { print $2 }' times.txt | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
    echo "median: $w worker(s): $med s, $(echo "$RECORDS / $med" | bc -l | xargs printf '%.1f') records/s"
done
