#!/usr/bin/env bash
# Refresh the vendored NHS.UK frontend in static/nhsuk/ from the npm registry, so that running
# the app never needs Node.js. Usage: scripts/vendor-nhsuk-frontend.sh [VERSION] (default: 10)
set -euo pipefail
version="${1:-10}"
here="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm init -y >/dev/null && npm install --silent --no-audit --no-fund "nhsuk-frontend@$version")
dist="$work/node_modules/nhsuk-frontend/dist/nhsuk"
target="$here/static/nhsuk"
rm -rf "$target"
mkdir -p "$target/assets"
cp "$dist/nhsuk-frontend.min.js" "$target/"
cp -r "$dist/assets/images" "$target/assets/"
# The compiled CSS points at /assets/ on the server root and at NHS-hosted fonts (licensed, not
# redistributable, and blocked by our Content-Security-Policy): point images at the vendored copy
# and drop the remote font faces so the Arial fallback is used without failed requests.
sed -e 's#url(/assets/#url(assets/#g' \
    -e 's#@font-face{[^}]*assets\.nhs\.uk[^}]*}##g' \
    "$dist/nhsuk-frontend.min.css" > "$target/nhsuk-frontend.min.css"
installed="$(node -p "require('$work/node_modules/nhsuk-frontend/package.json').version")"
echo "$installed" > "$target/VERSION"
echo "vendored nhsuk-frontend $installed into static/nhsuk/"
