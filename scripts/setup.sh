#!/usr/bin/env bash
# Prepares this machine for `make demo` or `make test`: a virtual environment with the package, a Chromium, and
# (for the tests and the demo's private keyring) gnome-keyring and D-Bus. Quick when everything is there already.
# Usage: scripts/setup.sh demo|test
set -euo pipefail
cd "$(dirname "$0")/.."
purpose="${1:-test}"
venv="${VENV:-.venv}"
python="${PYTHON:-python3}"

# 1. Python 3.11+ and the virtual environment, reinstalled only when pyproject.toml changed.
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "setup: Python 3.11 or newer is needed (found: $("$python" --version 2>&1)); set PYTHON=/path/to/python3.11" >&2
  exit 1
fi
stamp="$venv/.installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "setup: creating $venv and installing submit-objections with its test dependencies"
  [ -x "$venv/bin/python" ] || "$python" -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --upgrade pip
  "$venv/bin/python" -m pip install --quiet -e ".[test]"
  touch "$stamp"
fi

# 2. System packages: Debian's, installed with apt when we are root on Debian; otherwise say what to install.
need=()
"$venv/bin/python" -c 'from automation.browser import find_chromium; find_chromium()' >/dev/null 2>&1 || need+=(chromium)
# The same Chromium in its light headless form, used for every headless run (see automation/browser.py).
if command -v apt-get >/dev/null && ! [ -x /usr/lib/chromium/chromium-headless-shell ]; then
  need+=(chromium-headless-shell)
fi
command -v dbus-daemon >/dev/null || need+=(dbus)
command -v gnome-keyring-daemon >/dev/null || need+=(gnome-keyring)
if [ "$purpose" = test ]; then
  command -v Xvfb >/dev/null || need+=(xvfb)
  command -v xdotool >/dev/null || need+=(xdotool)
  { command -v dovecot || [ -x /usr/sbin/dovecot ]; } >/dev/null || need+=(dovecot-imapd)
  command -v strace >/dev/null || need+=(strace)
fi
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing Debian packages: ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "setup: missing: ${need[*]}" >&2
    echo "  Debian/Ubuntu: sudo apt-get install ${need[*]}" >&2
    case " ${need[*]} " in *" chromium "*)
      echo "  Chromium elsewhere: $venv/bin/playwright install chromium, or set SUBMIT_OBJECTIONS_CHROMIUM to a Chrome binary" >&2;;
    esac
    if [ "$purpose" = demo ] && ! printf '%s\n' "${need[@]}" | grep -qx chromium; then
      echo "  The demo goes on with your own keyring (service submit-objections-demo, removed afterwards)." >&2
      exit 0
    fi
    exit 1
  fi
fi
