#!/usr/bin/env bash
# kafka-transactions: transactional state of producers: list, describe, describe-producers, abort, find-hanging.
# Runs Samsa's implementation (dist/src/cli/kafka-transactions.js); flags and output follow Kafka's tool. See docs/CLI.md.
root="$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)"
js="$root/dist/src/cli/kafka-transactions.js"
if [ ! -f "$js" ]; then
  (cd "$root" && npx --no-install tsc -p .) >&2
  [ -f "$js" ] || { echo "kafka-transactions: build failed; run 'npm ci && npm run build' in $root first" >&2; exit 1; }
fi
exec node "$js" "$@"
