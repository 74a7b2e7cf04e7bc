// One node of the OVS variant of the two-node lab (`lab.sh up --ovs`): a
// private Open vSwitch (userspace datapath, lab/ovs.ts) in the node's
// namespace with one bridge, br0, that carries everything:
//
//   pod N  eth0 ── vethpod ─┐                    ┌─ eth1 ── (the other node's br0)
//                           br0 (datapath netdev) │
//   node N host0 ── host0-br ┘        [tunnel: vx0, a flow-based VXLAN port]
//
// The node's own addresses (172.18.8.10N, and the pods' gateway 10.233.N.1)
// are on host0, a veth whose other end is a bridge port, so they survive an
// ovs-vswitchd restart (the bridge's own LOCAL port is a tap that vswitchd
// creates, and loses, with itself). The bridge forwards with its default
// NORMAL flow; the agent's flows (cookie 0xb6b0...) take pod traffic for the
// other node's pods: routed mode rewrites the MACs toward the other node's
// host0 and hands the frame to the bridge's NORMAL forwarding, which
// outputs it to eth1 where it learned that MAC (the kernel is not involved in that hop: the
// node has no kernel route for the other pod, fib.kernel is off), tunnel
// mode sets tun_dst and outputs to vx0. On the receiving node the packet
// reaches host0 and the kernel delivers it to the local pod through br0.
//
// Tunnel mode needs the underlay address on br0 itself (OVS's native
// tunnelling routes the outer packet through the bridge that owns the
// address), and a lab flow (cookie 0x1ab, not the agent's) that hands
// decapsulated packets from vx0 to the node's stack.
//
// Gotchas (lab notes §2): datapath_type=netdev, and `ethtool -K tx off` on
// every veth end attached to the bridge or TCP (BGP!) stalls.
import { join } from 'node:path';
import { execOk, runOk } from './netns.js';
import { OvsLab } from './ovs.js';
import { isAlive, savedPids, startProcess, stopPid } from './process.js';

export type OvsLabMode = 'routed' | 'tunnel';

export const BRIDGE = 'br0';
/** The lab's own flows (tunnel ingress): not the agent's cookie. */
export const LAB_COOKIE = '0x1ab';

export interface OvsNodeOptions {
  readonly index: 1 | 2;
  /** The node's namespace (OVS runs in it) and its pod's. */
  readonly namespace: string;
  readonly podNamespace: string;
  /** The node's state dir; OVS keeps its files in `<dir>/ovs`. */
  readonly stateDir: string;
  readonly mode: OvsLabMode;
  readonly nodeIp: string;
}

export function ovsStateDir(nodeStateDir: string): string {
  return join(nodeStateDir, 'ovs');
}

/** OVS's tools and daemons find their sockets and files through these (lab notes §2). */
function ovsEnv(dir: string): NodeJS.ProcessEnv {
  return { ...process.env, OVS_RUNDIR: dir, OVS_LOGDIR: dir, OVS_DBDIR: dir, OVS_SYSCONFDIR: dir };
}

async function noOffload(ns: string, ifname: string): Promise<void> {
  await execOk(ns, ['ethtool', '-K', ifname, 'tx', 'off']);
}

/** Starts OVS in the node, builds br0 with its ports, the node's addresses and the pod. Eth1 must exist. */
export async function setUpOvsNode(options: OvsNodeOptions): Promise<OvsLab> {
  const { index, namespace: ns, podNamespace: pod } = options;
  const ovs = await OvsLab.start({ namespace: ns, stateDir: ovsStateDir(options.stateDir) });
  await ovs.addBridge(BRIDGE);
  // The node does not answer ARP on interfaces without the address (the
  // bridge ports see every broadcast too), forwards only from host0 to host0
  // (local pod delivery) and sends no redirects for it.
  await execOk(ns, [
    'sysctl',
    '-qw',
    'net.ipv4.ip_forward=1',
    'net.ipv4.conf.all.arp_ignore=1',
    'net.ipv4.conf.all.send_redirects=0',
    'net.ipv4.conf.default.send_redirects=0',
    'net.ipv4.conf.all.rp_filter=0',
    'net.ipv4.conf.default.rp_filter=0',
  ]);
  await noOffload(ns, 'eth1');
  await execOk(ns, ['ip', 'link', 'set', 'eth1', 'up']);
  await ovs.addPort(BRIDGE, 'eth1', { ofport: 1 });
  // The pod: eth0 inside, vethpod on the bridge; gateway 10.233.N.1 on the node.
  await runOk([
    'ip',
    'link',
    'add',
    'vethpod',
    'netns',
    ns,
    'type',
    'veth',
    'peer',
    'name',
    'eth0',
    'netns',
    pod,
  ]);
  await execOk(pod, ['ip', 'link', 'set', 'lo', 'up']);
  await execOk(pod, ['ip', 'addr', 'add', `10.233.${index}.10/24`, 'dev', 'eth0']);
  await execOk(pod, ['ip', 'link', 'set', 'eth0', 'up']);
  await execOk(pod, ['ip', 'route', 'add', 'default', 'via', `10.233.${index}.1`]);
  await noOffload(pod, 'eth0');
  await noOffload(ns, 'vethpod');
  await execOk(ns, ['ip', 'link', 'set', 'vethpod', 'up']);
  await ovs.addPort(BRIDGE, 'vethpod', { ofport: 2 });
  if (options.mode === 'routed') {
    await execOk(ns, ['ip', 'link', 'add', 'host0', 'type', 'veth', 'peer', 'name', 'host0-br']);
    for (const ifname of ['host0', 'host0-br']) {
      await noOffload(ns, ifname);
      await execOk(ns, ['ip', 'link', 'set', ifname, 'up']);
    }
    await ovs.addPort(BRIDGE, 'host0-br', { ofport: 3 });
  } else {
    await ovs.addPort(BRIDGE, 'vx0', { ofport: 10, type: 'vxlan', options: { remote_ip: 'flow' } });
  }
  await applyAddresses(options);
  if (options.mode === 'tunnel') await addTunnelIngress(ns, (args) => ovs.ofctl(BRIDGE, args));
  return ovs;
}

/** The node's addresses: on host0 (routed) or on br0 (tunnel; again after a vswitchd restart). */
export async function applyAddresses(options: OvsNodeOptions): Promise<void> {
  const ns = options.namespace;
  const device = options.mode === 'routed' ? 'host0' : BRIDGE;
  await execOk(ns, ['ip', 'link', 'set', device, 'up']);
  if (options.mode === 'tunnel') await execOk(ns, ['ethtool', '-K', device, 'tx', 'off']).catch(() => '');
  await execOk(ns, ['ip', 'addr', 'replace', `${options.nodeIp}/24`, 'dev', device]);
  await execOk(ns, ['ip', 'addr', 'replace', `10.233.${options.index}.1/24`, 'dev', device]);
}

/**
 * Tunnel mode: packets decapsulated from vx0 carry the sender's inner MACs;
 * hand them to the node's own stack (br0's MAC, the LOCAL port), which
 * delivers them to the pod. The lab's flow, not the agent's.
 */
async function addTunnelIngress(
  ns: string,
  ofctl: (args: readonly string[]) => Promise<string>,
): Promise<void> {
  const mac = (await execOk(ns, ['cat', `/sys/class/net/${BRIDGE}/address`])).trim();
  await ofctl([
    'add-flow',
    `table=0,cookie=${LAB_COOKIE},priority=100,in_port=10,ip,actions=set_field:${mac}->eth_dst,LOCAL`,
  ]);
}

/** The agent's configuration for an OVS node (kernel FIB off: the bridge forwards). */
export function ovsAgentConfig(options: {
  readonly index: 1 | 2;
  readonly nodeIp: string;
  readonly peerIp: string;
  readonly holdTimeSeconds: number;
  readonly mode: OvsLabMode;
  readonly nodeStateDir: string;
  readonly socket: string;
  /** BFD at this many ms x 3, or null. */
  readonly bfdMs?: number | null;
}): string {
  const ovsDir = ovsStateDir(options.nodeStateDir);
  return [
    `# Written by lab/ovs-node.ts for node ${options.index} (${options.nodeIp}), OVS ${options.mode} mode.`,
    'asn: 64512',
    `routerId: ${options.nodeIp}`,
    'listen: { address: "0.0.0.0", port: 179 }',
    'neighbors:',
    `  - address: ${options.peerIp}`,
    '    asn: 64512',
    `    holdTimeSeconds: ${options.holdTimeSeconds}`,
    '    connectRetrySeconds: 2',
    '    families: [ipv4-unicast]',
    ...(options.bfdMs != null
      ? [`    bfd: { enabled: true, minRxMs: ${options.bfdMs}, minTxMs: ${options.bfdMs}, multiplier: 3 }`]
      : []),
    'originate:',
    `  - prefix: 10.233.${options.index}.0/24`,
    'fib:',
    '  kernel: { enabled: false }',
    '  ovs:',
    '    enabled: true',
    `    bridge: ${BRIDGE}`,
    `    mode: ${options.mode}`,
    `    ovsdb: "unix:${join(ovsDir, 'db.sock')}"`,
    // Routed mode names no uplink port: the bridge's NORMAL forwarding finds it.
    ...(options.mode === 'routed' ? [] : ['    tunnelPort: vx0']),
    `api: { socket: ${options.socket} }`,
    'metrics: { listen: "127.0.0.1:9179" }',
    '',
  ].join('\n');
}

/**
 * Restarts the node's ovs-vswitchd by its saved PID: SIGTERM (the flows go
 * with it: OVS keeps none across a restart), then the same command again.
 * The agent must put its flows back; the lab re-applies what is its own
 * (tunnel mode: br0's addresses and the ingress flow).
 */
export async function restartVswitchd(options: OvsNodeOptions): Promise<void> {
  const dir = ovsStateDir(options.stateDir);
  const record = savedPids(dir).find((saved) => saved.name === 'ovs-vswitchd');
  if (record === undefined) throw new Error(`no saved ovs-vswitchd PID in ${dir}/pids`);
  if (isAlive(record.pid)) await stopPid(record.pid, { timeoutMs: 5000, startTime: record.startTime });
  await startProcess({
    name: 'ovs-vswitchd',
    stateDir: dir,
    namespace: options.namespace,
    env: ovsEnv(dir),
    argv: record.argv,
  });
  // Wait until the bridge is back (its management socket answers).
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await ovsTools(options.stateDir).ofctl(['show']);
      break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  if (options.mode === 'tunnel') {
    await applyAddresses(options);
    await addTunnelIngress(options.namespace, ovsTools(options.stateDir).ofctl);
  }
}

/** Commands against the node's OVS without an OvsLab object (another process started it). */
export function ovsTools(nodeStateDir: string): {
  readonly ofctl: (args: readonly string[]) => Promise<string>;
  readonly appctl: (args: readonly string[]) => Promise<string>;
} {
  const dir = ovsStateDir(nodeStateDir);
  const env = ovsEnv(dir);
  return {
    ofctl: (args) =>
      runOk(
        [
          'ovs-ofctl',
          '-O',
          'OpenFlow13',
          args[0] ?? '',
          `unix:${join(dir, `${BRIDGE}.mgmt`)}`,
          ...args.slice(1),
        ],
        {
          env,
        },
      ),
    appctl: (args) => runOk(['ovs-appctl', '-t', join(dir, 'ovs-vswitchd.ctl'), ...args], { env }),
  };
}
