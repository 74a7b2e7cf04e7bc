#!/usr/bin/env bash
# Installs what the tests, the lab and the benchmarks need on Debian 12 (root):
# the real BGP peers we interoperate with, Open vSwitch, iproute2, then npm ci.
# Idempotent: packages already present are skipped quickly by apt.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then echo "install-deps: run as root (apt-get)" >&2; exit 1; fi
packages=(iproute2 iputils-ping ethtool socat procps psmisc nftables openvswitch-switch gobgpd frr bird2 exabgp tshark systemd vagrant)
missing=()
for p in "${packages[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # Services must not start on install (the tests run their own daemons in
  # namespaces). A policy-rc.d we made goes again however apt-get ends: left
  # behind, it silently keeps every later package's service from starting.
  # One the host had is the host's and stays. (POLICY_RC_D: for the tests.)
  policy_rc_d=${POLICY_RC_D:-/usr/sbin/policy-rc.d}
  if [ ! -e "$policy_rc_d" ]; then
    trap 'rm -f "$policy_rc_d"' EXIT
    trap 'exit 130' INT TERM
    printf '#!/bin/sh\nexit 101\n' > "$policy_rc_d"
    chmod +x "$policy_rc_d"
  fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "install-deps: Node.js >= 20 is required (Debian 12's nodejs is 18: use NodeSource or the upstream tarball)" >&2
  exit 1
fi
# npm writes node_modules/.package-lock.json at every install: newer than
# package.json and the lockfile, node_modules is what they ask for, and a
# clean reinstall (minutes on a slow link) is skipped.
hidden_lock=node_modules/.package-lock.json
if [ -f "$hidden_lock" ] && [ "$hidden_lock" -nt package-lock.json ] && [ "$hidden_lock" -nt package.json ]; then
  echo "install-deps: node_modules is current with package-lock.json; npm ci skipped"
else
  npm ci --no-audit --no-fund --loglevel=error
fi
