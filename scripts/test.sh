#!/usr/bin/env bash
# The README's test command: the whole test suite, on a clean Debian machine too.
#
# The suite starts its own throwaway PostgreSQL (server binaries under
# /usr/lib/postgresql/<version>/bin, and psql) and drives Debian's headless Chromium through
# chromedriver (the browser tests), with fonts that cover Vietnamese. What is missing is
# installed with apt when this runs as root; otherwise it stops with the command to run.
# Arguments go to `cargo test` (CI passes --locked).
set -euo pipefail
cd "$(dirname "$0")/.."

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || missing+=(chromium)
[ -x "${CHROMEDRIVER:-/usr/bin/chromedriver}" ] || missing+=(chromium-driver)
installed fonts-noto-core || missing+=(fonts-noto-core)
installed fonts-dejavu-core || missing+=(fonts-dejavu-core)

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "scripts/test.sh: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "scripts/test.sh: the tests need ${missing[*]}; run as root:" >&2
    echo "    apt-get update && apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

exec cargo test "$@"
