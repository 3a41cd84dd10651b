#!/usr/bin/env bash
# Mutation testing (mutmut 3): small deliberate mistakes in the modules where a silent mistake hurts most, each of
# which the fast unit tests must notice. Not part of `make test` (minutes, not seconds); the score goes in the README.
#
# Usage: scripts/mutation.sh            all modules below
#        MUTATE="automation/mailcodes.py" scripts/mutation.sh
# Runs in a throwaway copy of the work tree (tracked and new files, not ignored ones), so mutmut's mutants/ folder
# never lands in the repository. Surviving mutants are printed with their diff; tests/MUTANTS.md says why each
# survivor is harmless. Exit code: 0 when every mutant is killed or explained there, 1 otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"
python="$root/.venv/bin/python"
"$python" -c "import mutmut, hypothesis" 2>/dev/null || scripts/setup.sh test  # a fresh clone: make the venv first
mutate="${MUTATE:-automation/mailcodes.py automation/templates.py}"
tests="tests/test_mailcodes.py tests/test_config_and_templates.py tests/test_bad_input.py"

work="$(mktemp -d "${TMPDIR:-/tmp}/mutation.XXXXXX")"
trap 'rm -rf "$work"' EXIT
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' file; do
  [ -e "$file" ] && printf '%s\0' "$file"
done | tar --null -T - -cf - | tar -xf - -C "$work"
cd "$work"

# mutmut reads [tool.mutmut] from pyproject.toml, else [mutmut] from setup.cfg; the project keeps neither.
{
  echo "[mutmut]"
  echo "source_paths = automation/"
  echo "only_mutate ="
  for file in $mutate; do echo "    $file"; done
  echo "also_copy ="
  printf '    %s\n' flows/ fixtures/ cli.py
  echo "pytest_add_cli_args = -p no:cacheprovider"
  echo "pytest_add_cli_args_test_selection ="
  for file in $tests; do echo "    $file"; done
} > setup.cfg

# Fewer generated examples per test run: each of hundreds of mutants runs the tests that reach it.
export FUZZ_EXAMPLES="${FUZZ_EXAMPLES:-40}"
status=0
"$python" -m mutmut run ${MUTMUT_CHILDREN:+--max-children "$MUTMUT_CHILDREN"} || status=$?
"$python" -m mutmut results --all True > results.txt || true
survivors="$(grep -E ': (survived|no tests|timeout|suspicious)' results.txt | sed -E 's/^ *//; s/:.*//' || true)"
for name in $survivors; do
  echo "---- $name"
  "$python" -m mutmut show "$name" | sed -n '1,40p'
done
killed="$(grep -c ': killed' results.txt || true)"
total="$(grep -cE ': [a-z]' results.txt || true)"
left="$(printf '%s\n' $survivors | grep -c . || true)"
unexplained=()
for name in $survivors; do
  grep -qF "${name#automation.}" "$root/tests/MUTANTS.md" || unexplained+=("$name")
done
echo
echo "mutation score: ${killed}/${total} mutants killed (${left} not killed) in: $mutate"
if [ "${#unexplained[@]}" -gt 0 ]; then
  echo "not killed and not explained in tests/MUTANTS.md: ${unexplained[*]}" >&2
  exit 1
fi
echo "every mutant not killed is explained in tests/MUTANTS.md"
exit "$status"
