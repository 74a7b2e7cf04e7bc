#!/usr/bin/env bash
# Sets up one node of the seed-001 lab: its pod (a network namespace behind a
# veth, Calico style: no gateway, the node answers ARP by proxy), the sysctls
# forwarding needs, and the agent's configuration file. The same script runs
# on a Vagrant VM (as root on the VM) and inside a node namespace of the
# netns lab (ip netns exec nodeN lab/node-setup.sh ...), so what the VMs run
# is what the tests run. Idempotent: running it twice changes nothing.
#
#   node-setup.sh --index N --node-ip A.B.C.D --peer-ip A.B.C.D [options]
#     --index N            node number: pod CIDR 10.233.N.0/24, pod 10.233.N.10
#     --node-ip IP         this node's address on the uplink (e.g. 172.18.8.101)
#     --peer-ip IP         the other node (repeatable for more peers)
#     --asn N              our AS (default 64512); --peer-asn N (default: same, iBGP)
#     --uplink IF          uplink interface (default eth1)
#     --pod-ns NAME        pod namespace name (default podN)
#     --config PATH        agent config to write (default /etc/agent/agent.yaml)
#     --socket PATH        control socket (default /run/agent/agent.sock)
#     --metrics HOST:PORT  metrics listener ("" to disable; default 127.0.0.1:9179)
#     --hold SECONDS       hold time (default 9)
#     --bfd MS             BFD with the peers at MS ms x 3 (RFC 5880; default: off)
#     --no-config          set up the pod only (another BGP daemon runs on this node)
set -euo pipefail

index="" node_ip="" peers=() asn=64512 peer_asn="" uplink=eth1 pod_ns="" config=/etc/agent/agent.yaml
socket=/run/agent/agent.sock metrics=127.0.0.1:9179 hold=9 write_config=1 bfd_ms=""
while [ $# -gt 0 ]; do
  case "$1" in
    --index) index=$2; shift 2 ;;
    --node-ip) node_ip=$2; shift 2 ;;
    --peer-ip) peers+=("$2"); shift 2 ;;
    --asn) asn=$2; shift 2 ;;
    --peer-asn) peer_asn=$2; shift 2 ;;
    --uplink) uplink=$2; shift 2 ;;
    --pod-ns) pod_ns=$2; shift 2 ;;
    --config) config=$2; shift 2 ;;
    --socket) socket=$2; shift 2 ;;
    --metrics) metrics=$2; shift 2 ;;
    --hold) hold=$2; shift 2 ;;
    --bfd) bfd_ms=$2; shift 2 ;;
    --no-config) write_config=0; shift ;;
    *) echo "node-setup.sh: unknown option $1 (see the header of this script)" >&2; exit 2 ;;
  esac
done
if [ -z "$index" ] || [ -z "$node_ip" ]; then
  echo "node-setup.sh: --index and --node-ip are required" >&2; exit 2
fi
pod_ns=${pod_ns:-pod$index}
peer_asn=${peer_asn:-$asn}
pod_cidr="10.233.$index.0/24"
pod_ip="10.233.$index.10"

# The pod: eth0 inside, vethpod on the node, everything "on link" (Calico style).
[ -e "/run/netns/$pod_ns" ] || ip netns add "$pod_ns"
ip -n "$pod_ns" link set lo up
if ! ip link show vethpod >/dev/null 2>&1; then
  ip link add vethpod type veth peer name eth0 netns "$pod_ns"
fi
ip -n "$pod_ns" addr replace "$pod_ip/24" dev eth0
ip -n "$pod_ns" link set eth0 up
ip -n "$pod_ns" route replace default dev eth0
ip link set vethpod up
ip route replace "$pod_cidr" dev vethpod

# Forwarding between pod and uplink; the node answers the pod's ARP for
# off-node addresses (proxy ARP) at once (proxy_delay 0: the default 0.8 s
# random delay makes the first ping time out half the time).
sysctl -qw net.ipv4.ip_forward=1
sysctl -qw net.ipv4.conf.vethpod.proxy_arp=1
sysctl -qw net.ipv4.neigh.vethpod.proxy_delay=0
sysctl -qw net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
sysctl -qw "net.ipv4.conf.$uplink.rp_filter=0" 2>/dev/null || true
sysctl -qw net.ipv6.conf.all.forwarding=1

[ "$write_config" = 1 ] || exit 0
mkdir -p "$(dirname "$config")"
# 0600 as install.sh makes it: it may hold TCP MD5 passwords. umask before
# the temporary file exists, so it is never readable by others, even briefly.
umask 077
{
  echo "# Written by lab/node-setup.sh for node $index ($node_ip)."
  echo "asn: $asn"
  echo "routerId: $node_ip"
  echo "listen: { address: \"0.0.0.0\", port: 179 }"
  echo "neighbors:"
  for peer in "${peers[@]}"; do
    echo "  - address: $peer"
    echo "    asn: $peer_asn"
    echo "    holdTimeSeconds: $hold"
    echo "    connectRetrySeconds: 2"
    echo "    families: [ipv4-unicast]"
    if [ -n "$bfd_ms" ]; then
      echo "    bfd: { enabled: true, minRxMs: $bfd_ms, minTxMs: $bfd_ms, multiplier: 3 }"
    fi
    if [ "$peer_asn" != "$asn" ]; then
      echo "    import: { prefixes: [\"10.233.0.0/16 le 32\"] }"
      echo "    export: { prefixes: [\"10.233.0.0/16 le 32\"] }"
    fi
  done
  echo "originate:"
  echo "  - prefix: $pod_cidr"
  echo "fib:"
  echo "  kernel: { enabled: true, table: 254, protocol: 186, metric: 20 }"
  echo "api: { socket: $socket }"
  echo "metrics: { listen: \"$metrics\" }"
} > "$config.tmp"
chmod 600 "$config.tmp"
mv "$config.tmp" "$config"
