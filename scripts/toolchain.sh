#!/usr/bin/env bash
# Makes sure Node.js 24 and pnpm are on PATH, installing them into .tools/ from the npm
# registry when the machine lacks them, then installs the workspace's dependencies.
# Run a command through it: `scripts/toolchain.sh pnpm test`.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools"
NODE_MAJOR=24
PNPM_VERSION=10.34.9

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if [ "$(node_major)" -lt "$NODE_MAJOR" ] && [ -x "$tools/node_modules/.bin/node" ]; then
  export PATH="$tools/node_modules/.bin:$PATH"
fi
if [ "$(node_major)" -lt "$NODE_MAJOR" ] || ! command -v pnpm >/dev/null 2>&1; then
  echo "toolchain: installing Node.js $NODE_MAJOR and pnpm $PNPM_VERSION into .tools/" >&2
  mkdir -p "$tools"
  npm install --silent --no-save --no-audit --no-fund --prefix "$tools" "node@$NODE_MAJOR" "pnpm@$PNPM_VERSION" >&2
  export PATH="$tools/node_modules/.bin:$PATH"
fi
if [ "$(node_major)" -lt "$NODE_MAJOR" ]; then
  echo "toolchain: Node.js $NODE_MAJOR is required, found $(node --version 2>/dev/null || echo none)" >&2
  exit 1
fi

# Install dependencies when the lockfile changed since the last install.
stamp="$root/node_modules/.turnpike-lock"
if [ ! -f "$stamp" ] || ! cmp -s "$root/pnpm-lock.yaml" "$stamp"; then
  (cd "$root" && pnpm install --frozen-lockfile --reporter=silent >&2)
  cp "$root/pnpm-lock.yaml" "$stamp"
fi

if [ "$#" -gt 0 ]; then
  cd "$root"
  exec "$@"
fi
