#!/usr/bin/env bash
# The whole test suite: type-check, lint (with the plane import boundaries), generated-code
# freshness, then every node:test file. Run through scripts/toolchain.sh (as `npm test` does).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== typecheck"
pnpm exec tsc -p tsconfig.json
pnpm exec tsc -p control-plane/admin-gui/tsconfig.json
echo "== lint"
pnpm exec biome check .
if [ -f proto/package.json ] && grep -q '"check"' proto/package.json; then
  echo "== generated code is fresh"
  pnpm --filter @turnpike/proto run check
fi
echo "== admin GUI: OpenAPI types are fresh, assets built"
node scripts/admin-openapi.ts --check
node scripts/admin-gui-build.ts
echo "== tests"
exec node --test --test-concurrency="${TURNPIKE_TEST_CONCURRENCY:-2}" --test-timeout=300000 \
  'shared/src/**/*.test.ts' 'shared/plugin-sdk/src/**/*.test.ts' 'control-plane/src/**/*.test.ts' 'control-plane/admin-gui/src/**/*.test.ts' 'data-plane/src/**/*.test.ts' \
  'proto/src/**/*.test.ts' 'native/src/**/*.test.ts' 'test/**/*.test.ts' "$@"
