#!/usr/bin/env bash
# Builds the wheel, installs it in a fresh virtual environment, as `pipx install` or `uv tool install` would, and runs
# `submit-objections --help` and `submit-objections demo` from there, outside this checkout: whatever the tool needs
# at run time (wording tables, objection texts, the mock of Meta, the demo's data) must have come with the wheel.
# CI runs it after `make test`; alone: scripts/check_wheel.sh (it needs `make test` or `make demo` to have set up
# .venv, Chromium, and for the demo's throwaway keyring gnome-keyring and dbus). Set KEEP=1 to keep its folder.
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-.venv/bin/python}"
[ -x "$python" ] || { echo "check_wheel: $python not found: run make test (or set PYTHON=/path/to/python3.11)" >&2; exit 1; }
work="$(mktemp -d "${TMPDIR:-/tmp}/check-wheel.XXXXXX")"
[ "${KEEP:-}" = 1 ] && echo "check_wheel: working in $work" || trap 'rm -rf "$work"' EXIT

# Built from a copy of the files git knows (tracked, and new ones not ignored), as an install from the repository's
# URL gets them: no stale build/ folder or local leftover slips into the wheel.
echo "check_wheel: building the wheel"
mkdir "$work/src"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git ls-files -z --cached --others --exclude-standard \
    | while IFS= read -r -d '' file; do if [ -e "$file" ]; then printf '%s\0' "$file"; fi; done \
    | tar --null -T - -cf - | tar -xf - -C "$work/src"
else  # an unpacked copy without git: all of it but what a run or a build leaves
  tar --exclude=./.venv --exclude=./.demo --exclude=./build --exclude='*.egg-info' --exclude=__pycache__ -cf - . \
    | tar -xf - -C "$work/src"
fi
"$python" -m pip wheel --no-deps --quiet --wheel-dir "$work/dist" "$work/src" >"$work/build.log" 2>&1 \
  || { cat "$work/build.log" >&2; echo "check_wheel: the wheel did not build" >&2; exit 1; }
wheel="$(ls "$work"/dist/*.whl)"

echo "check_wheel: installing $(basename "$wheel") in a fresh virtual environment"
"$python" -m venv "$work/venv"
links=(); [ -d "${FIND_LINKS:-/opt/wheels}" ] && links=(--find-links "${FIND_LINKS:-/opt/wheels}")  # a local wheel folder
"$work/venv/bin/python" -m pip install --quiet --no-compile --disable-pip-version-check "${links[@]}" "$wheel" \
  >"$work/install.log" 2>&1 || { cat "$work/install.log" >&2; echo "check_wheel: the wheel did not install" >&2; exit 1; }
echo "check_wheel: installed with its dependencies (${SECONDS}s so far)"

cd "$work"  # nothing of the checkout on the path from here on
tool="$work/venv/bin/submit-objections"
if "$work/venv/bin/python" -c 'import importlib.util as u, sys; sys.exit(u.find_spec("fixtures") is None)'; then
  echo "check_wheel: the wheel installs a top-level package named fixtures" >&2; exit 1
fi
"$tool" --help >"$work/help.txt" || { cat "$work/help.txt"; echo "check_wheel: submit-objections --help failed" >&2; exit 1; }
grep -q "^Usage: submit-objections" "$work/help.txt" \
  || { cat "$work/help.txt"; echo "check_wheel: --help printed no usage line" >&2; exit 1; }
echo "check_wheel: submit-objections --help works; now submit-objections demo"
"$tool" demo --dir "$work/demo" || { echo "check_wheel: submit-objections demo failed from the installed wheel" >&2; exit 1; }
echo "check_wheel: the installed wheel's --help and demo work (${SECONDS}s)"
