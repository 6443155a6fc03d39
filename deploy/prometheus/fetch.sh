#!/usr/bin/env bash
# Make `prometheus` and `promtool` available for the tests and for trying the rules locally, and
# print where they are, in a form `eval` takes:
#
#   deploy/prometheus/fetch.sh          -> PROMETHEUS=/abs/path/prometheus
#                                          PROMTOOL=/abs/path/promtool
#   eval "$(deploy/prometheus/fetch.sh)" && "$PROMTOOL" check rules deploy/prometheus/rules.yml
#
# Both binaries come from Debian's `prometheus` package: `apt-get download` fetches the .deb
# (no root needed, nothing installed system-wide) and `dpkg -x` unpacks it into
# ${WIREWATCH_PROMETHEUS_CACHE:-deploy/prometheus/cache} (gitignored). They are static Go
# binaries needing only libc, so the package's other dependencies (the web UI's JavaScript
# libraries) are not needed to run the server's HTTP API or promtool. A second run finds the
# cache and needs no network. When apt's lists are missing (a fresh container) and we are root,
# it runs `apt-get update` once and retries. On a system without apt, binaries already on PATH
# are used.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")" && pwd)"
CACHE_DIR="${WIREWATCH_PROMETHEUS_CACHE:-$SCRIPT_DIR/cache}"
BIN_DIR="$CACHE_DIR/usr/bin"
PACKAGE="prometheus"

die() {
  echo "fetch.sh: $*" >&2
  exit 1
}

cache_is_complete() {
  [[ -x "$BIN_DIR/prometheus" && -x "$BIN_DIR/promtool" && -f "$CACHE_DIR/version" ]]
}

print_paths() { # $1: prometheus, $2: promtool
  echo "PROMETHEUS=$1"
  echo "PROMTOOL=$2"
}

download_deb() { # $1: directory to download into
  (cd "$1" && apt-get download -q "$PACKAGE") >>"$CACHE_DIR/fetch.log" 2>&1
}

fetch() {
  mkdir -p "$CACHE_DIR"
  # Parallel test sessions must not unpack into the same folder at once.
  exec 9>"$CACHE_DIR/fetch.lock"
  flock 9
  if cache_is_complete; then
    exec 9>&-
    return 0
  fi
  local staging="$CACHE_DIR/staging"
  rm -rf "$staging"
  mkdir -p "$staging/deb"
  : >"$CACHE_DIR/fetch.log"
  # apt-get download writes as root when the _apt user cannot write the folder; that is fine.
  if ! download_deb "$staging/deb"; then
    if [[ "$(id -u)" == 0 ]]; then
      echo "fetch.sh: apt-get download failed; running apt-get update once" >&2
      apt-get update -q >>"$CACHE_DIR/fetch.log" 2>&1 || true
      download_deb "$staging/deb" || {
        tail -n 20 "$CACHE_DIR/fetch.log" >&2
        die "apt-get download $PACKAGE failed (log: $CACHE_DIR/fetch.log)"
      }
    else
      tail -n 20 "$CACHE_DIR/fetch.log" >&2
      die "apt-get download $PACKAGE failed; run 'apt-get update' as root and try again"
    fi
  fi
  local deb
  deb="$(compgen -G "$staging/deb/${PACKAGE}_*.deb" | head -n 1)" || die "no .deb downloaded"
  dpkg-deb -x "$deb" "$staging/root"
  [[ -x "$staging/root/usr/bin/prometheus" && -x "$staging/root/usr/bin/promtool" ]] ||
    die "$deb has no usr/bin/prometheus or usr/bin/promtool"
  # Swap in whole so an interrupted fetch never leaves half a cache that looks complete.
  rm -rf "$CACHE_DIR/usr" "$CACHE_DIR/version"
  mv "$staging/root/usr" "$CACHE_DIR/usr"
  dpkg-deb -f "$deb" Version >"$CACHE_DIR/version"
  rm -rf "$staging"
  exec 9>&-
}

main() {
  [[ $# -eq 0 ]] || {
    sed -n '2,16s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
    exit 64
  }
  if ! cache_is_complete; then
    if command -v apt-get >/dev/null 2>&1 && command -v dpkg-deb >/dev/null 2>&1; then
      fetch
    elif command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
      print_paths "$(command -v prometheus)" "$(command -v promtool)"
      return 0
    else
      die "no apt-get here and no prometheus/promtool on PATH; install Prometheus 2.x"
    fi
  fi
  "$BIN_DIR/promtool" --version >/dev/null 2>&1 || die "$BIN_DIR/promtool does not run"
  print_paths "$BIN_DIR/prometheus" "$BIN_DIR/promtool"
}

main "$@"
