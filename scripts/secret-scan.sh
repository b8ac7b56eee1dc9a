#!/usr/bin/env bash
# Fail when a file holds a secret that .secrets.baseline does not list (detect-secrets, pinned in uv.lock).
#   scripts/secret-scan.sh            every tracked file (what ./dev test and CI run)
#   scripts/secret-scan.sh FILE...    just these files
# A known fake (a test fixture's token) is allow-listed either inline with a `pragma: allowlist secret`
# comment on its line, or in the baseline: `uv run detect-secrets scan --baseline .secrets.baseline`
# refreshes it (then review the new entries with `uv run detect-secrets audit .secrets.baseline`).
set -euo pipefail
cd "$(dirname "$0")/.."
# The hook rewrites its baseline when only line numbers moved (exit 3): let it rewrite a copy, never the repo's.
baseline="$(mktemp)"
report="$(mktemp)"
scratch=""
trap 'rm -rf "$baseline" "$report" ${scratch:+"$scratch"}' EXIT
cp .secrets.baseline "$baseline"
if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  # Not a git checkout (an unpacked archive): the hook still asks git about its baseline; give it an empty repo.
  [ "$#" -gt 0 ] || { echo "secret scan: not a git checkout: name the files to scan" >&2; exit 2; }
  scratch="$(mktemp -d)"
  git init -q "$scratch"
  export GIT_DIR="$scratch/.git" GIT_WORK_TREE="$scratch"
fi
if [ "$#" -eq 0 ]; then
  mapfile -t files < <(git ls-files)
  set -- "${files[@]}"
fi
status=0
export PATH="$HOME/.local/bin:$PATH"  # where ./dev installs uv
if command -v uv >/dev/null 2>&1; then
  hook=(uv run --frozen detect-secrets-hook)
elif [ -x .venv/bin/detect-secrets-hook ]; then
  hook=(.venv/bin/detect-secrets-hook)
else
  echo "secret scan: neither uv nor .venv/bin/detect-secrets-hook found: run ./dev test (it installs both)" >&2
  exit 2
fi
"${hook[@]}" --baseline "$baseline" "$@" >"$report" 2>&1 || status=$?
if [ "$status" -eq 3 ]; then status=0; fi  # 3 = only the copy's line numbers were refreshed: no new secret
if [ "$status" -eq 0 ]; then
  echo "secret scan: no new secrets in $# file(s)"
else
  cat "$report"
  echo "secret scan: FAILED (exit $status) — see above; allow-list a deliberate fake as the header of $0 says" >&2
fi
exit "$status"
