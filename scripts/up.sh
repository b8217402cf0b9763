#!/usr/bin/env bash
# Everything `npm start`, `npm test` and `npm run bench` need before they run: npm packages, the
# local services, and (unless --no-build) the compiled service. The service migrates the database
# and declares the broker topology itself when it starts.
set -euo pipefail
cd "$(dirname "$0")/.."

build=1
[ "${1:-}" = "--no-build" ] && build=0

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[up] installing npm packages" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi

bash scripts/services.sh

if [ "$build" = 1 ]; then
  echo "[up] building" >&2
  npx tsc -p tsconfig.build.json
fi
