#!/usr/bin/env bash
# Debian packages a part needs: `debian.sh WHAT package…` (Makefile). As root this installs the
# missing ones; otherwise it says what is missing and succeeds (the install or the tests that need
# them will then say so themselves).
#   devices: pyscard builds against PC/SC-Lite with swig; the PC/SC tests run the real pcscd with
#            vsmartcard-vpcd (a virtual reader that our own virtual card, devices/pcsc/vcard.py,
#            plugs into over TCP); socat links the emulated serial devices.
#   deploy:  nginx in front of two hosts in network namespaces (tests/deploy), openssl for its
#            certificate, pg_dump/pg_restore for `onewindow backup` on PostgreSQL.
set -euo pipefail
what=$1
shift

need_apt=()
for pkg in "$@"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "$what: ${need_apt[*]} missing and not root (install them with apt-get)" >&2
  exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
echo "$what: installed ${need_apt[*]}"
