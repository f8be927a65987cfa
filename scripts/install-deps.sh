#!/bin/sh
# Installs the Debian packages isx needs to build, test and run (and `make demo`: curl,
# sqlite3, python3), and only those that are missing. Idempotent: a second run installs
# nothing and says so.
set -eu

PACKAGES="build-essential cmake pkg-config curl ca-certificates
libsodium-dev libjansson-dev libmicrohttpd-dev libsqlite3-dev libcurl4-openssl-dev
libcmocka-dev libidn2-dev libssl-dev libpq-dev sqlite3 python3"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    echo "install-deps: all packages present"
    exit 0
fi

echo "install-deps: installing:$missing"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
