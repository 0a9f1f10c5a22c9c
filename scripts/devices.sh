#!/usr/bin/env bash
# What the device agent needs from Debian. pyscard builds against PC/SC-Lite with swig; the PC/SC
# tests run the real pcscd with vsmartcard-vpcd (a virtual reader that our own virtual card, in
# devices/pcsc/vcard.py, plugs into over TCP). As root this installs them; otherwise it says what
# is missing and succeeds (the pyscard install or the PC/SC tests will then say so themselves).
set -euo pipefail

need_apt=()
for pkg in "$@"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'ok installed' || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "devices: ${need_apt[*]} missing and not root (install them with apt-get)" >&2
  exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
echo "devices: installed ${need_apt[*]}"
