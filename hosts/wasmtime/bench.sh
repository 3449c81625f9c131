#!/usr/bin/env bash
# Benchmarks of the component and the wasmtime host, each a ratio against a
# reference measured in the same run (BENCHMARKS.md records the results).
#
#   bash hosts/wasmtime/bench.sh hash      component vs native hashing (simd128 and plain builds,
#                                          the core's portable and SHA-NI SHA-256)
#   bash hosts/wasmtime/bench.sh actions   upload machine overhead per action through the component
#   bash hosts/wasmtime/bench.sh e2e       1 GiB upload to the local devserver: the CLI vs curl
#   bash hosts/wasmtime/bench.sh rss       peak RSS of the CLI uploading 1 GiB and 4 GiB
#   bash hosts/wasmtime/bench.sh all       all of the above (the default)
#
# Everything runs on 127.0.0.1; servers and files are the script's own and are
# removed on exit. FASTIO_BENCH_ROUNDS (default 3) sets the end-to-end rounds,
# FASTIO_BENCH_DIR (default ~/.cache/fastio-bench) where test files go, and
# FASTIO_BENCH_VARIANTS (e.g. "curl-chunked js-file") limits the end-to-end
# variants to those named (their references must be among them).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

what="${1:-all}"
case "$what" in
    hash | actions | e2e | rss | all) ;;
    *) sed -n '2,15p' "$0"; exit 2 ;;
esac

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/fastio-core/target}"
export CARGO_TERM_COLOR=never
jobs="${CARGO_BUILD_JOBS:-2}"
cache="$HOME/.cache/fastio-core"
rounds="${FASTIO_BENCH_ROUNDS:-3}"
work="${FASTIO_BENCH_DIR:-$HOME/.cache/fastio-bench}/run-$$"
release="$CARGO_TARGET_DIR/release"
component="$work/fastio_component.wasm"
server_pid=""

cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$work"

step() { printf '\n== %s\n' "$*"; }

# The path of a bench executable cargo built (from its JSON messages).
bench_exe() {
    python3 -c '
import json, sys
for line in sys.stdin:
    try:
        m = json.loads(line)
    except ValueError:
        continue
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == sys.argv[1]:
        print(m["executable"])
' "$1"
}

step "building (the component as shipped, the CLI, the devserver)"
grep -qx wasm32-wasip2 <<<"$(rustup target list --installed)" || rustup target add wasm32-wasip2
cargo build -q -j "$jobs" -p fastio-component --target wasm32-wasip2 --profile component
# The target directory may be shared with other checkouts whose builds land on
# the same path: measure a copy of this checkout's component.
cp "$CARGO_TARGET_DIR/wasm32-wasip2/component/fastio_component.wasm" "$component"
cargo build -q -j "$jobs" --release -p fastio-wasmtime -p fastio-devserver --bins
export FASTIO_COMPONENT="$component"
# Compiling the component is a one-time cost kept in the compile cache
# (hosts/wasmtime/src/cache.rs); pay it here, outside every measurement.
echo warm | FASTIO_BENCH_SECRET=x "$release/fastio" webhook sign --scheme fastio \
    --secret-env FASTIO_BENCH_SECRET >/dev/null

if [ "$what" = hash ] || [ "$what" = all ]; then
    step "hashing: component (simd128, as shipped; and without simd128) vs the core natively"
    # The same component without simd128, in its own target directory so the
    # shipped build is not rebuilt.
    CARGO_TARGET_DIR="$cache/target-wasm-nosimd" \
        CARGO_TARGET_WASM32_WASIP2_RUSTFLAGS="-C target-feature=-simd128" \
        cargo build -q -j "$jobs" -p fastio-component --target wasm32-wasip2 --profile component
    plain="$work/fastio_component_nosimd.wasm"
    cp "$cache/target-wasm-nosimd/wasm32-wasip2/component/fastio_component.wasm" "$plain"
    # The core's portable SHA-256: sha2's backend is a compile-time choice.
    portable="$(CARGO_TARGET_DIR="$cache/target-wasm-soft" RUSTFLAGS='--cfg sha2_backend="soft"' \
        cargo bench -q -j "$jobs" -p fastio-core --bench hash_rate --no-run --message-format=json \
        | bench_exe hash_rate)"
    FASTIO_BENCH_COMPONENTS="component simd128 (shipped)=$component,component without simd128=$plain" \
        FASTIO_BENCH_REFERENCES="native portable (sha2 soft; table CRC32C)=$portable" \
        cargo bench -q -j "$jobs" -p fastio-wasmtime --bench component_hash
fi

if [ "$what" = actions ] || [ "$what" = all ]; then
    step "upload machine overhead per action: component vs native"
    cargo bench -q -j "$jobs" -p fastio-wasmtime --bench component_actions
fi

# ---------------------------------------------------------------- end to end
api_key=bench-key
base=""
workspace=""

start_server() {
    local dir="$work/server"
    rm -rf "$dir"
    "$release/fastio-devserver" --addr 127.0.0.1:0 --data "$dir" --api-key "$api_key" \
        >"$work/server.out" 2>"$work/server.err" &
    server_pid=$!
    for _ in $(seq 100); do
        base="$(head -1 "$work/server.out" 2>/dev/null || true)"
        [ -n "$base" ] && break
        sleep 0.1
    done
    [ -n "$base" ] || { echo "the devserver did not start" >&2; cat "$work/server.err" >&2; exit 1; }
    local org
    org="$(curl -sf -H "Authorization: Bearer $api_key" "${base}orgs/list/" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["response"]["orgs"][0]["id"])')"
    workspace="$(curl -sf -H "Authorization: Bearer $api_key" -d folder_name=bench -d name=Bench \
        -d intelligence=false -d "perm_join=Member or above" \
        -d "perm_member_manage=Admin or above" "${base}org/$org/create/workspace/" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["response"]["id"])')"
}

stop_server() {
    kill "$server_pid"
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
    rm -rf "$work/server"
}

json_field() { # path within the JSON on stdin, e.g. response.id
    python3 -c 'import json,sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[k]
print(v)' "$1"
}

# The first `"key":"value"` on stdin, without starting an interpreter (the
# curl references' CPU time is measured, so they use nothing heavier).
first_str() {
    grep -o "\"$1\":\"[^\"]*\"" | head -1 | cut -d'"' -f4
}

# Reference 1: curl sends the file as one stream upload (the same requests
# as `fastio upload -`).
curl_stream() {
    local file="$1" name="$2" up
    up="$(curl -sf -H "Authorization: Bearer $api_key" -d "name=$name" -d action=create \
        -d "instance_id=$workspace" -d folder_id=root -d profile_type=workspace -d stream=true \
        "${base}upload/" | first_str id)"
    curl -sf -o "$work/curl.json" -H "Authorization: Bearer $api_key" \
        -H 'Content-Type: application/octet-stream' -T "$file" -X POST "${base}upload/$up/stream"
    grep -q '"status":"stored"' "$work/curl.json"
}

# Reference 2: curl sends the same requests as `fastio upload FILE`: a
# session, 4 MiB chunks as multipart with 3 in flight (one curl process,
# --parallel), complete, then the session's details until stored. The chunk
# files are split off before the clock starts.
curl_chunked() {
    local name="$1" size="$2" up args=() i=0 status=""
    up="$(curl -sf -H "Authorization: Bearer $api_key" -d "name=$name" -d "size=$size" \
        -d action=create -d "instance_id=$workspace" -d folder_id=root -d profile_type=workspace \
        "${base}upload/" | first_str id)"
    for part in "$work"/chunks/part.*; do
        i=$((i + 1))
        [ "$i" -gt 1 ] && args+=(--next)
        args+=(-sf -o /dev/null -H "Authorization: Bearer $api_key"
            -F "chunk=@$part;filename=chunk;type=application/octet-stream"
            "${base}upload/$up/chunk/?order=$i&size=$(stat -c %s "$part")")
    done
    # (the parallel progress meter ignores -s; its exit status still counts)
    curl --parallel --parallel-max 3 "${args[@]}" 2>/dev/null
    curl -sf -o /dev/null -H "Authorization: Bearer $api_key" -X POST "${base}upload/$up/complete/"
    while [ "$status" != stored ]; do
        status="$(curl -sf -H "Authorization: Bearer $api_key" "${base}upload/$up/details/?wait=60" \
            | first_str status)"
        case "$status" in assembly_failed | store_failed) return 1 ;; esac
    done
}

cli_upload() { # engine, file or -, name
    local engine="$1" file="$2" name="$3"
    if [ "$file" = - ]; then
        FASTIO_API_KEY="$api_key" "$release/fastio" --engine "$engine" --api-base "$base" \
            upload - --workspace "$workspace" --name "$name" <"$4" >"$work/cli.out"
    else
        FASTIO_API_KEY="$api_key" "$release/fastio" --engine "$engine" --api-base "$base" \
            upload "$file" --workspace "$workspace" --name "$name" >"$work/cli.out"
    fi
    grep -q '^stored node' "$work/cli.out"
}

# The Python and JS drivers, as their test suites build them (not measured,
# and said so, when a suite has not run on this machine).
python_bin="$cache/venv-python/bin/python"
python_upload() { # file, name
    "$python_bin" -c 'import sys
from fastio_core import Client
r = Client(sys.argv[1], sys.argv[2]).upload(sys.argv[3], workspace=sys.argv[4], name=sys.argv[5])
assert r.node_id, r' "$api_key" "$base" "$1" "$workspace" "$2"
}
js_upload() { # file, name
    (cd "$root/bindings/js" && node bench/upload.mjs "$api_key" "$base" "$1" "$workspace" "$2")
}

# User + system CPU seconds of every child this shell has waited for, into
# $cpu. `times` must run in this shell, not in a command substitution (a
# subshell, whose children are its own).
children_cpu() {
    times >"$work/times"
    cpu="$(awk 'NR == 2 {
        split($1, u, "m"); split($2, s, "m"); sub("s", "", u[2]); sub("s", "", s[2])
        printf "%.3f\n", u[1] * 60 + u[2] + s[1] * 60 + s[2] }' "$work/times")"
}

make_file() { # path, MiB
    [ -f "$1" ] && return
    head -c "$(($2 << 20))" /dev/urandom >"$1"
}

if [ "$what" = e2e ] || [ "$what" = all ]; then
    step "end to end: 1 GiB to the local devserver, wall and client CPU vs curl ($rounds rounds, alternating)"
    file="$work/f1g.bin"
    make_file "$file" 1024
    mkdir -p "$work/chunks"
    split -b $((4 << 20)) -a 4 "$file" "$work/chunks/part."
    variants=(curl-stream curl-chunked cli-file cli-stdin native-file native-stdin)
    if [ -x "$python_bin" ] && "$python_bin" -c 'import fastio_core' 2>/dev/null; then
        variants+=(python-file)
    else
        echo "python driver: not measured (run bindings/python/run_tests.sh first)"
    fi
    if [ -f "$root/bindings/js/dist/index.js" ] && command -v node >/dev/null; then
        variants+=(js-file)
    else
        echo "js package: not measured (run bindings/js/run_tests.sh first)"
    fi
    if [ -n "${FASTIO_BENCH_VARIANTS:-}" ]; then
        wanted=()
        for v in "${variants[@]}"; do
            case " $FASTIO_BENCH_VARIANTS " in *" $v "*) wanted+=("$v") ;; esac
        done
        variants=("${wanted[@]}")
    fi
    results="$work/e2e.txt"
    : >"$results"
    for r in $(seq "$rounds"); do
        start_server
        # Each round starts at another variant, so none always runs first.
        n=${#variants[@]}
        for i in $(seq 0 $((n - 1))); do
            v="${variants[$(((i + r) % n))]}"
            sync
            children_cpu
            c0="$cpu"
            t0=$(date +%s.%N)
            case "$v" in
                curl-stream) curl_stream "$file" "cs$r.bin" ;;
                curl-chunked) curl_chunked "cc$r.bin" "$(stat -c %s "$file")" ;;
                cli-file) cli_upload component "$file" "f$r.bin" ;;
                cli-stdin) cli_upload component - "s$r.bin" "$file" ;;
                native-file) cli_upload native "$file" "nf$r.bin" ;;
                native-stdin) cli_upload native - "ns$r.bin" "$file" ;;
                python-file) python_upload "$file" "py$r.bin" ;;
                js-file) js_upload "$file" "js$r.bin" ;;
            esac
            t1=$(date +%s.%N)
            children_cpu
            c1="$cpu"
            echo "$v $t0 $t1 $c0 $c1" >>"$results"
        done
        stop_server
    done
    rm -rf "$work/chunks"
    python3 - "$results" <<'EOF'
import sys, statistics
wall, cpu = {}, {}
for line in open(sys.argv[1]):
    v, t0, t1, c0, c1 = line.split()
    wall.setdefault(v, []).append(float(t1) - float(t0))
    cpu.setdefault(v, []).append(float(c1) - float(c0))
mw = {v: statistics.median(t) for v, t in wall.items()}
mc = {v: statistics.median(t) for v, t in cpu.items()}
rows = [
    ("curl-stream", "curl, one stream upload", "curl-stream"),
    ("cli-stdin", "fastio upload - (component, stream)", "curl-stream"),
    ("native-stdin", "fastio --engine native upload -", "curl-stream"),
    ("curl-chunked", "curl, 4 MiB chunks, 3 in flight", "curl-chunked"),
    ("cli-file", "fastio upload FILE (component, chunked)", "curl-chunked"),
    ("native-file", "fastio --engine native upload FILE", "curl-chunked"),
    ("python-file", "Python driver, client.upload(path)", "curl-chunked"),
    ("js-file", "JS package under Node, client.upload(path)", "curl-chunked"),
]
print(f"{'1 GiB':<44} {'wall s':>7} {'speed':>7} {'CPU s':>6} {'CPU':>7}   wall runs (s); CPU runs (s)")
for v, label, ref in rows:
    if v not in mw or ref not in mw:
        continue
    print(f"{label:<44} {mw[v]:7.2f} {mw[ref] / mw[v]:6.2f}x {mc[v]:6.2f} {mc[v] / mc[ref]:6.2f}x   "
          + ", ".join(f"{x:.2f}" for x in wall[v]) + "; " + ", ".join(f"{x:.2f}" for x in cpu[v]))
print("speed: curl's wall time / this one's (higher is faster); CPU: this one's client CPU")
print("(user + sys of the client processes) / curl's (lower is cheaper); medians of the rounds.")
print("targets: component FILE >= 1.0x speed and <= 1.5x CPU; native <= 1.2x CPU;")
print("upload - >= 0.9x speed; Python and JS drivers >= 0.9x speed")
EOF
fi

if [ "$what" = rss ] || [ "$what" = all ]; then
    step "peak RSS of the CLI while uploading (1 GiB and 4 GiB)"
    make_file "$work/f1g.bin" 1024
    if [ ! -f "$work/f4g.bin" ]; then
        cat "$work/f1g.bin" "$work/f1g.bin" "$work/f1g.bin" "$work/f1g.bin" >"$work/f4g.bin"
    fi
    printf '%-40s %12s %12s\n' "" "1 GiB" "4 GiB"
    for v in cli-file cli-stdin native-file; do
        row=()
        for f in f1g f4g; do
            start_server
            case "$v" in
                cli-file) cmd=(upload "$work/$f.bin" --name "$f.bin"); engine=component ;;
                cli-stdin) cmd=(upload - --name "$f.bin"); engine=component ;;
                native-file) cmd=(upload "$work/$f.bin" --name "$f.bin"); engine=native ;;
            esac
            FASTIO_API_KEY="$api_key" /usr/bin/time -f '%M' -o "$work/rss" \
                "$release/fastio" --engine "$engine" --api-base "$base" "${cmd[@]}" \
                --workspace "$workspace" <"$work/$f.bin" >"$work/cli.out"
            grep -q '^stored node' "$work/cli.out"
            row+=("$(awk '{printf "%.1f MiB", $1 / 1024}' "$work/rss")")
            stop_server
        done
        printf '%-40s %12s %12s\n' "fastio $v" "${row[0]}" "${row[1]}"
    done
    echo "target: < 64 MiB, the same for 1 GiB and 4 GiB"
    rm -f "$work/f4g.bin"
fi
