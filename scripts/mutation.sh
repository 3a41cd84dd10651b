#!/usr/bin/env bash
# Mutation testing (mutmut 3): small deliberate mistakes in the modules where a silent mistake hurts most, each of
# which the fast unit tests must notice. Not part of `make test` (minutes, not seconds); the score goes in the README.
#
# Usage: scripts/mutation.sh                                     every module below
#        MUTATE="automation/chain.py automation/config.py" scripts/mutation.sh
#        MUTMUT_CHILDREN=1 scripts/mutation.sh                   fewer parallel test runs (default 2)
# Runs in a throwaway copy of the work tree (tracked and new files, not ignored ones), so mutmut's mutants/ folder
# never lands in the repository. Each module gets its own mutmut run against its own fast tests (no browser, no CLI
# subprocess where a unit test can say the same); mutmut runs, for each mutant, only the tests that reached the
# mutated function. Surviving mutants are printed with their diff; tests/MUTANTS.md says why each survivor is
# harmless. Exit code: 0 when every mutant of every module is killed or explained there, 1 otherwise.
set -euo pipefail
{ # One block, read whole before it runs: a checkout or rebase that rewrites this file mid-run cannot derail it.
cd "$(dirname "$0")/.."
root="$(pwd)"
python="$root/.venv/bin/python"
# A fresh clone: make the venv first. Mutation testing needs no browser, keyring or IMAP server, so a machine that lacks
# those (setup.sh then says what to install, and fails) can still go on once the venv is there.
if ! "$python" -c "import mutmut, hypothesis" 2>/dev/null; then
  scripts/setup.sh test || "$python" -c "import mutmut, hypothesis"
fi

# Each module and the fast tests its mutants must fail. automation/ledger.py is left out for now (tests/MUTANTS.md).
declare -A tests_of=(
  [automation/mailcodes.py]="tests/test_mailcodes.py"
  [automation/templates.py]="tests/test_config_and_templates.py tests/test_bad_input.py"
  [automation/chain.py]="tests/test_chain_unit.py tests/test_exporting.py"
  [automation/config.py]="tests/test_config_and_templates.py tests/test_config_mutants.py tests/test_bad_input.py"
  [automation/outcomes.py]="tests/test_outcomes.py"
  [automation/errors.py]="tests/test_outcomes.py tests/test_config_and_templates.py tests/test_bad_input.py"
)
order="automation/mailcodes.py automation/templates.py automation/chain.py automation/config.py automation/outcomes.py
       automation/errors.py"
mutate="${MUTATE:-$order}"
for module in $mutate; do
  [ -n "${tests_of[$module]:-}" ] || { echo "mutation.sh: no fast tests are named for $module" >&2; exit 2; }
done

work="$(mktemp -d "${TMPDIR:-/tmp}/mutation.XXXXXX")"
trap 'rm -rf "$work"' EXIT
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' file; do
  [ -e "$file" ] && printf '%s\0' "$file"
done | tar --null -T - -cf - | tar -xf - -C "$work"
cd "$work"

# Fewer generated examples per test run: each of hundreds of mutants runs the tests that reach it.
export FUZZ_EXAMPLES="${FUZZ_EXAMPLES:-40}"
status=0
unexplained=()
summary=()
for module in $mutate; do
  started=$SECONDS
  rm -rf mutants
  # mutmut reads [tool.mutmut] from pyproject.toml, else [mutmut] from setup.cfg; the project keeps neither.
  # One pytest argument a line. `-n 0`: the suite's own addopts deal tests out to xdist workers, and mutmut can only
  # see which test reaches which function (and so run any test at all against a mutant) in its own process; for the
  # same reason a test that runs the CLI in a subprocess never reaches a mutant, so `-k 'not _cli'` leaves those out.
  # A fixed Hypothesis seed: the generated cases, and so the score, are the same on every run.
  {
    echo "[mutmut]"
    echo "source_paths = automation/"
    echo "only_mutate = $module"
    echo "also_copy ="
    printf '    %s\n' flows/ fixtures/ cli.py README.md docs/
    echo "pytest_add_cli_args ="
    printf '    %s\n' -p no:cacheprovider -n 0 --hypothesis-seed=0
    echo "pytest_add_cli_args_test_selection ="
    printf '    %s\n' -k "not _cli" ${tests_of[$module]}
  } > setup.cfg
  echo "==== $module: mutants against ${tests_of[$module]}"
  ran=0
  "$python" -m mutmut run --max-children "${MUTMUT_CHILDREN:-2}" || { ran=$?; status=1; }
  "$python" -m mutmut results --all True > results.txt || status=1
  # "    automation.chain.x_seal__mutmut_3: killed"; anything but killed (survived, no tests, timeout, not checked,
  # suspicious, ...) needs its reason in tests/MUTANTS.md.
  survivors="$(grep -vE ': killed$' results.txt | grep -E '^ *automation\.' | sed -E 's/^ *//; s/:.*//' || true)"
  [ "$ran" = 0 ] || echo "mutation.sh: mutmut failed (exit code $ran) for $module: its mutants are not checked" >&2
  for name in $survivors; do
    [ "$ran" = 0 ] || break
    echo "---- $name ($(grep -F " $name: " results.txt | sed 's/.*: //'))"
    "$python" -m mutmut show "$name" | sed -n '1,40p'
    grep -qF "\`${name#automation.}\`" "$root/tests/MUTANTS.md" || unexplained+=("$name")
  done
  killed="$(grep -cE ': killed$' results.txt || true)"
  total="$(grep -cE '^ *automation\.' results.txt || true)"
  left="$(printf '%s\n' $survivors | grep -c . || true)"
  [ "$total" -gt 0 ] || { echo "mutation.sh: mutmut reported no mutants for $module" >&2; status=1; }
  # Listed in MUTANTS.md but killed now: the list is stale there, and the numbers in it need a look.
  short="$(basename "$module" .py)"
  for listed in $(grep -oE "\`$short\.x[^\`]*__mutmut_[0-9]+\`" "$root/tests/MUTANTS.md" | tr -d '\`' | sort -u); do
    if grep -qE "^ *automation\.$listed: killed$" results.txt; then
      echo "note: $listed is listed in tests/MUTANTS.md but killed"
    fi
  done
  summary+=("$module: $killed of $total killed, $left not killed ($((SECONDS - started)) s)")
done

echo
echo "mutation score (FUZZ_EXAMPLES=$FUZZ_EXAMPLES):"
printf '  %s\n' "${summary[@]}"
if [ "${#unexplained[@]}" -gt 0 ]; then
  echo "not killed and not explained in tests/MUTANTS.md (${#unexplained[@]}): ${unexplained[*]:0:40}" \
       "$([ "${#unexplained[@]}" -gt 40 ] && echo "...")" >&2
  exit 1
fi
[ "$status" = 0 ] && echo "every mutant not killed is explained in tests/MUTANTS.md"
exit "$status"
}
