# Sourced by scripts that run an example against a devserver: starts one on
# 127.0.0.1 (an ephemeral port) with a fresh data directory, creates a
# workspace through the API, and exports FASTIO_API_KEY and FASTIO_API_BASE as
# the examples read them.
#
#   start_devserver BINARY WORKDIR    sets devserver_pid, base, workspace
#   stop_devserver                    stops it (call it from the caller's trap)

start_devserver() {
  local binary="$1" work="$2"
  rm -rf "$work/server"
  mkdir -p "$work"
  FASTIO_API_KEY=dist-key
  "$binary" --addr 127.0.0.1:0 --data "$work/server" --api-key "$FASTIO_API_KEY" \
    >"$work/server.out" 2>"$work/server.err" &
  devserver_pid=$!
  base=""
  for _ in $(seq 100); do
    base="$(head -1 "$work/server.out" 2>/dev/null || true)"
    [ -n "$base" ] && break
    sleep 0.1
  done
  [ -n "$base" ] || { cat "$work/server.err" >&2; return 1; }
  local org
  org="$(curl -sf -H "Authorization: Bearer $FASTIO_API_KEY" "${base}orgs/list/" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["response"]["orgs"][0]["id"])')"
  workspace="$(curl -sf -H "Authorization: Bearer $FASTIO_API_KEY" -d folder_name=dist -d name=Dist \
    -d intelligence=false -d "perm_join=Member or above" -d "perm_member_manage=Admin or above" \
    "${base}org/$org/create/workspace/" | python3 -c 'import json,sys; print(json.load(sys.stdin)["response"]["id"])')"
  FASTIO_API_BASE="$base"
  export FASTIO_API_KEY FASTIO_API_BASE
}

stop_devserver() {
  if [ -n "${devserver_pid:-}" ]; then
    kill "$devserver_pid" 2>/dev/null && wait "$devserver_pid" 2>/dev/null
    devserver_pid=""
  fi
  return 0
}
