#!/usr/bin/env bash
# Lint and type checks first (ruff, ruff format, mypy), then the whole suite on SQLite, then
# the database tests again on a real PostgreSQL server that this script starts (and stops) in a
# temporary folder. Needs the PostgreSQL server binaries (Debian: postgresql); installs them
# with apt-get when missing and running as root.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

echo "== lint and types"
$BIN/ruff check .
$BIN/ruff format --check .
$BIN/mypy --strict analysis questionnaires
$BIN/mypy survey

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
if [ -z "$(pg_bin)" ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "PostgreSQL server binaries not found: install the 'postgresql' package" >&2; exit 1
  fi
fi
PGBIN="$(pg_bin)"
PGDIR="$(mktemp -d)"
PGPORT="${PGPORT:-54329}"
as_pg() { if [ "$(id -u)" = 0 ]; then su postgres -c "$*"; else bash -c "$*"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$PGDIR"
stop_pg() { as_pg "$PGBIN/pg_ctl -D $PGDIR/data -m immediate stop" >/dev/null 2>&1 || true; rm -rf "$PGDIR"; }
trap stop_pg EXIT
as_pg "$PGBIN/initdb -D $PGDIR/data -A trust -U postgres" >/dev/null
as_pg "$PGBIN/pg_ctl -D $PGDIR/data -o '-p $PGPORT -k $PGDIR -c listen_addresses=127.0.0.1 -c max_connections=200' -l $PGDIR/log -w start" >/dev/null

# The browser tests need Debian's Chromium and axe-core, the HTML check the Nu Html Checker
# (vnu.jar, run by the JDK; both pinned in tests/browser/package.json);
# the deployment tests (tests/deploy) run nginx and Redis as the docs ship them; the two-factor
# test reads the enrolment QR code with zbar, as a phone would; the agenda's Word file is laid
# out by LibreOffice to count its summary's pages.
missing=""
[ -x /usr/bin/chromium ] || missing="$missing chromium"
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing="$missing nginx"
command -v redis-server >/dev/null || missing="$missing redis-server"
command -v zbarimg >/dev/null || missing="$missing zbar-tools"
command -v soffice >/dev/null || missing="$missing libreoffice-writer-nogui"
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
    # the packages start their own services: the tests start theirs on free ports instead
    for service in nginx redis-server; do service "$service" stop >/dev/null 2>&1 || true; done
  else
    echo "missing:$missing (install the Debian packages)" >&2; exit 1
  fi
fi
command -v java >/dev/null || missing_java=1
if [ -n "${missing_java:-}" ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jre-headless >/dev/null
  else
    echo "missing: java (install the Debian package default-jre-headless)" >&2; exit 1
  fi
fi
if [ ! -d tests/browser/node_modules/axe-core ] || [ ! -f tests/browser/node_modules/vnu-jar/build/dist/vnu.jar ]; then
  # --ignore-scripts: vnu-jar's install script would download a Java runtime; the JDK is here
  (cd tests/browser && npm ci --ignore-scripts --no-audit --no-fund --silent)
fi
# the OpenID Connect sign-in tests run a real provider (oidc-provider, pinned in tests/oidc)
if [ ! -d tests/oidc/node_modules/oidc-provider ]; then
  (cd tests/oidc && npm ci --no-audit --no-fund --silent)
fi

echo "== tests on SQLite"
$BIN/pytest -n 2 "$@"
echo "== database tests on PostgreSQL"
TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PGPORT/postgres" $BIN/pytest -n 2 -m db "$@"
