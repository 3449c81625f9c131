#!/usr/bin/env bash
# Checks .github/workflows/*.yml with actionlint (rhysd/actionlint, pinned
# below), installed once into ~/.cache/fastio-core/bin with `go install`.
# Without a Go of at least the version actionlint needs, that Go is fetched
# from the Go module proxy (golang.org/toolchain) into the same cache.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cache="$HOME/.cache/fastio-core"
version=v1.7.12
go_needed=1.25.5
bin="$cache/bin/actionlint"

if ! "$bin" -version 2>/dev/null | head -1 | grep -qx "$version"; then
  go="$(command -v go || true)"
  [ -z "$go" ] && [ -x /usr/local/go/bin/go ] && go=/usr/local/go/bin/go
  # actionlint's go.mod asks for Go 1.25.
  if [ -z "$go" ] || ! "$go" env GOVERSION | grep -Eq '^go1\.(2[5-9]|[3-9][0-9])'; then
    goroot="$cache/go-$go_needed"
    if [ ! -x "$goroot/bin/go" ]; then
      echo "fetching Go $go_needed from the Go module proxy"
      zip="$(mktemp)"
      curl -fsSL -o "$zip" "https://proxy.golang.org/golang.org/toolchain/@v/v0.0.1-go$go_needed.linux-amd64.zip"
      rm -rf "$goroot.partial"
      python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])' "$zip" "$goroot.partial"
      rm -f "$zip"
      # The module zip holds golang.org/toolchain@…/ with the Go tree inside.
      mv "$goroot.partial"/golang.org/toolchain@*/ "$goroot"
      rm -rf "$goroot.partial"
      chmod +x "$goroot"/bin/* "$goroot"/pkg/tool/*/*
    fi
    go="$goroot/bin/go"
  fi
  echo "installing actionlint $version"
  GOBIN="$cache/bin" GOTOOLCHAIN=local "$go" install "github.com/rhysd/actionlint/cmd/actionlint@$version"
fi

cd "$root"
"$bin" -no-color .github/workflows/*.yml
echo "workflows: actionlint $version found nothing"
