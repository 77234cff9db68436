#!/usr/bin/env bash
# Make sure Debian's Chromium and the CJK fonts are installed for the browser tests (tests/browser),
# which drive /usr/bin/chromium with Playwright. Playwright's own browser download is never used: it
# fetches a build from outside the package registries.
#
# Usage: deploy/chromium.sh   (prints the browser's path as the last line on stdout)
# Installs from Debian's packages when missing (apt-get; as root, or through sudo).
set -euo pipefail
log() { printf 'chromium.sh: %s\n' "$*" >&2; }

CHROMIUM=/usr/bin/chromium
missing=()
[[ -x "$CHROMIUM" ]] || missing+=(chromium)
dpkg-query -W -f='${Status}' fonts-noto-cjk 2>/dev/null | grep -q "install ok installed" || missing+=(fonts-noto-cjk)

if (( ${#missing[@]} )); then
    log "installing ${missing[*]} from Debian's packages …"
    SUDO=""
    [[ "$(id -u)" -eq 0 ]] || SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq >&2
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
echo "$CHROMIUM"
