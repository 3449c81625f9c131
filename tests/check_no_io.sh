#!/usr/bin/env bash
# Proves the core is sans-IO: no runtime, HTTP or socket crates in its tree, no
# clock, environment, file, network, thread or OS-randomness calls in its source,
# and it builds for wasm32-unknown-unknown (which has none of those to offer).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
fail=0

deps=$(cargo tree -p fastio-core -e normal,build --prefix none --format '{p}' --locked | awk '{print $1}' | sort -u)
forbidden='^(tokio|async-std|smol|async-io|mio|socket2|hyper|reqwest|ureq|isahc|curl|surf|h2|http-body|rustls|native-tls|openssl|getrandom|rand|rand_core|chrono|time|std-env|dirs|tempfile)$'
bad=$(grep -E "$forbidden" <<<"$deps" || true)
if [ -n "$bad" ]; then
  echo "fastio-core depends on I/O crates:"; echo "$bad"; fail=1
fi

# Source patterns that read the clock, the environment, files, the network,
# threads or OS randomness. Tests and benches may; the library may not.
# `std::time` itself is allowed: turning a server's `Date` into Unix seconds
# reads no clock, `now()` does.
pattern='std::(env|fs|net|thread|process)|SystemTime::now|Instant::|OsRng|thread_rng|getrandom|std::io::stdin|println!|eprintln!|dbg!'
hits=$(grep -rnE "$pattern" core/src || true)
if [ -n "$hits" ]; then
  echo "fastio-core source does I/O:"; echo "$hits"; fail=1
fi

if ! cargo build -p fastio-core --lib --target wasm32-unknown-unknown --locked -q; then
  echo "fastio-core does not build for wasm32-unknown-unknown"; fail=1
fi

[ "$fail" = 0 ] && echo "ok: no I/O crates, no I/O calls, builds for wasm32-unknown-unknown ($(wc -l <<<"$deps") crates in the tree)"
exit "$fail"
