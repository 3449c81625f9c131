# Sourced by the scripts that build: installs a Debian package when the
# command it provides is missing (a fresh Debian 12 machine has no C
# compiler, which rusqlite's bundled SQLite and ring need). Idempotent: does
# nothing when the command is there.
#
#   need_command cc gcc libc6-dev

need_command() {
  local cmd="$1"
  shift
  command -v "$cmd" >/dev/null 2>&1 && return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || {
      echo "$cmd is missing; install the Debian packages $* (as root)" >&2
      return 1
    }
    sudo=sudo
  fi
  echo "installing $* (for $cmd)"
  # apt-get update only when a package is not known yet (fresh images).
  $sudo apt-get install -y --no-install-recommends "$@" ||
    { $sudo apt-get update && $sudo apt-get install -y --no-install-recommends "$@"; }
}

# Installs Debian packages that provide no command of their own (such as
# python3-venv) when dpkg does not list them as installed.
need_package() {
  local missing=()
  for p in "$@"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  echo "installing ${missing[*]}"
  $sudo apt-get install -y --no-install-recommends "${missing[@]}" ||
    { $sudo apt-get update && $sudo apt-get install -y --no-install-recommends "${missing[@]}"; }
}
