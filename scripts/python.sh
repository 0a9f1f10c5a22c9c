#!/usr/bin/env bash
# Make sure python3 can create a virtualenv (Debian ships venv separately).
set -euo pipefail
PY=${1:-python3}
if ! "$PY" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv python3-dev >/dev/null
  else
    echo "python3 cannot create a virtualenv: install python3-venv (as root: apt-get install python3-venv)" >&2
    exit 1
  fi
fi
