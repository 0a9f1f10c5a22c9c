#!/usr/bin/env bash
# The browser tests drive Debian's own Chromium (never a browser build that Playwright downloads)
# and need CJK fonts so that screenshots show Chinese, not boxes. As root this installs them;
# otherwise it says what is missing and succeeds, so the other tests still run.
set -euo pipefail

need_apt=()
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
dpkg-query -W -f='${Status}' fonts-noto-cjk 2>/dev/null | grep -q 'ok installed' || need_apt+=(fonts-noto-cjk)
command -v zbarimg >/dev/null || need_apt+=(zbar-tools)  # the tests read the QR codes they see on screen
if [ ${#need_apt[@]} -eq 0 ]; then
  echo "browser: chromium, fonts-noto-cjk and zbar-tools present"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "browser: ${need_apt[*]} missing and not root: the browser tests will skip (install them with apt-get)" >&2
  exit 0
fi
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
echo "browser: installed ${need_apt[*]}"
