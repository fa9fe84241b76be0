#!/usr/bin/env bash
# ctest PrometheusDeploy.ConfigAndRulesPassPromtool: the scrape config parses, the rules load,
# and brix-rules.test.yml's cases (each alert firing and not firing) pass. Exit 77 (ctest: skipped)
# when promtool is missing; scripts/setup installs it (Debian package `prometheus`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if ! command -v promtool >/dev/null 2>&1; then
  echo "promtool not installed (scripts/setup installs Debian's prometheus): skipped"
  exit 77
fi
# --syntax-only: the example's CA and token files exist only on a real deployment.
promtool check config --syntax-only prometheus.yml
promtool check rules brix-rules.yml
promtool test rules brix-rules.test.yml
