#!/usr/bin/env bash
# The project's main command: the two-node lab of seed 001 in network
# namespaces, pods pinging over routes the agents learned and installed.
#
#   bash lab/lab.sh up                 # install, build, bring the lab up, show it
#   bash lab/lab.sh up --node2 gobgp   # node2 runs gobgpd instead of the agent
#   bash lab/lab.sh up --node2 frr     # node2 runs FRR instead of the agent
#   bash lab/lab.sh up --ovs           # pods and uplink on userspace OVS bridges; agents write flows
#   bash lab/lab.sh up --ovs --tunnel  # the same with VXLAN tunnel-mode flows
#   bash lab/lab.sh up --subnets       # three nodes in two subnets behind a router; cross-subnet VXLAN overlay
#   bash lab/lab.sh up --bfd           # BFD between the nodes at 100 ms x 3 (with --node2 frr too)
#   bash lab/lab.sh restart-ovs --node 1   # OVS variant: restart node1's ovs-vswitchd
#   bash lab/lab.sh status | ping      # show it again / ping both ways, saying which way
#   bash lab/lab.sh down               # remove namespaces and processes; the logs stay
#   bash lab/lab.sh down --purge       # ... and the logs and state directory too
#   bash lab/lab.sh --help
#
# Root, Debian 12, Node.js >= 20. SKIP_INSTALL=1 / SKIP_BUILD=1 skip those steps.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  -h|--help|help)
    # This header, without root, a build or an install.
    sed -n '2,/^$/p' "$0" | sed -n '/^#/p' | sed 's/^# \{0,1\}//'
    exit 0 ;;
esac
if [ "$(id -u)" -ne 0 ]; then echo "lab: run as root (network namespaces)" >&2; exit 1; fi
if [ "${1:-up}" = up ]; then
  [ -n "${SKIP_INSTALL:-}" ] || bash scripts/install-deps.sh
  [ -n "${SKIP_BUILD:-}" ] || npm run build --silent
fi
exec node dist/lab/lab.js "$@"
