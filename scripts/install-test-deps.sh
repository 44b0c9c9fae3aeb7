#!/usr/bin/env bash
# Installs what the test suite needs, only where it is missing:
#   Debian packages: kcat, python3-confluent-kafka and python3-kafka (real clients used by the
#   end-to-end tests; python3-snappy, python3-lz4 and python3-xxhash give kafka-python its snappy
#   and lz4 codecs, magic-0 LZ4 framing included), librdkafka-dev (headers for the C reference tools), zookeeper (the real
#   Apache ZooKeeper server the cluster tests start through bin/zookeeper-server-start; pulls a JRE),
#   chromium (the real browser the web-console tests drive through puppeteer-core; puppeteer-core never
#   downloads a browser of its own).
#   npm packages: `npm ci` when node_modules does not match package-lock.json.
# Safe to run again; it does nothing when everything is present.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(kcat python3-confluent-kafka python3-kafka python3-snappy python3-lz4 python3-xxhash librdkafka-dev zookeeper chromium)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-test-deps: installing Debian packages: ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "install-test-deps: npm ci"
  npm ci --no-audit --no-fund
fi
