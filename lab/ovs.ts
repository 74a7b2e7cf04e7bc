// A private Open vSwitch (ovsdb-server + ovs-vswitchd, userspace datapath)
// inside a lab namespace, with all of its state (conf.db, sockets, logs) in
// a state dir: the way ovs-sandbox runs it, without systemd or the kernel
// module.
//
// Both daemons run in the foreground under lab/process.ts startProcess, so
// the saved PID is the daemon's own and Topology.destroy() (or stop())
// stops them by saved PID. Commands (ovs-vsctl, ovs-ofctl, ovs-appctl) run
// in the root namespace: everything they talk to is a unix socket file.
//
//   const topo = Topology.create();
//   const ns = await topo.addNamespace('ovs');
//   const ovs = await OvsLab.start({ namespace: ns, stateDir: topo.stateDir('ovs') });
//   await ovs.addBridge('br0');
//   await ovs.ofctl('br0', ['dump-flows']);
//   await topo.destroy(); // or: await ovs.stop()
//
// Gotchas (lab-notes §2): the bridge needs datapath_type=netdev in the same
// transaction (there is no kernel datapath); veth ports attached to the
// bridge need `ethtool -K <veth> tx off` on the sending side or TCP stalls.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runOk } from './netns.js';
import { type ManagedProcess, startProcess } from './process.js';

export const OVS_SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

export interface OvsLabOptions {
  /** Full namespace name the daemons run in. */
  readonly namespace: string;
  /** Holds conf.db, db.sock, <bridge>.mgmt, *.ctl, logs and pids/. Must be short (unix socket paths ≤ 107 bytes). */
  readonly stateDir: string;
  /** ovs-vswitchd log level for the file log; default info. */
  readonly logLevel?: 'info' | 'dbg';
}

export interface PortOptions {
  readonly ofport?: number;
  /** Interface type: internal, vxlan, geneve; default: a system device of that name. */
  readonly type?: string;
  readonly options?: Readonly<Record<string, string>>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function waitFor(what: string, predicate: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export class OvsLab {
  private ovsdb: ManagedProcess | null = null;
  private vswitchd: ManagedProcess | null = null;

  private constructor(private readonly options: OvsLabOptions) {}

  /** Creates conf.db and starts ovsdb-server and ovs-vswitchd; resolves once both answer. */
  static async start(options: OvsLabOptions): Promise<OvsLab> {
    const lab = new OvsLab(options);
    const socketPath = join(options.stateDir, 'ovs-vswitchd.ctl');
    if (socketPath.length > 100)
      throw new Error(`OVS state dir too long for unix sockets: ${options.stateDir}`);
    mkdirSync(options.stateDir, { recursive: true });
    rmSync(join(options.stateDir, 'conf.db'), { force: true });
    await runOk(['ovsdb-tool', 'create', join(options.stateDir, 'conf.db'), OVS_SCHEMA], { env: lab.env });
    await lab.startOvsdb();
    await lab.vsctl(['--no-wait', 'init']);
    await lab.startVswitchd();
    return lab;
  }

  get dir(): string {
    return this.options.stateDir;
  }

  get namespace(): string {
    return this.options.namespace;
  }

  /** The OVSDB socket path. */
  get dbSocketPath(): string {
    return join(this.dir, 'db.sock');
  }

  /** OVSDB remote as a client names it: "unix:<dir>/db.sock". */
  get ovsdbTarget(): string {
    return `unix:${this.dbSocketPath}`;
  }

  /** The bridge's OpenFlow management socket (ovs-vswitchd creates it in OVS_RUNDIR). */
  mgmtPath(bridge: string): string {
    return join(this.dir, `${bridge}.mgmt`);
  }

  openflowTarget(bridge: string): string {
    return `unix:${this.mgmtPath(bridge)}`;
  }

  /** OVS_RUNDIR & co. point at the state dir, so the tools find the sockets by default. */
  get env(): NodeJS.ProcessEnv {
    const dir = this.options.stateDir;
    return { ...process.env, OVS_RUNDIR: dir, OVS_LOGDIR: dir, OVS_DBDIR: dir, OVS_SYSCONFDIR: dir };
  }

  ovsdbRunning(): boolean {
    return this.ovsdb?.running() ?? false;
  }

  vswitchdRunning(): boolean {
    return this.vswitchd?.running() ?? false;
  }

  async startOvsdb(): Promise<void> {
    if (this.ovsdbRunning()) return;
    const dir = this.dir;
    rmSync(this.dbSocketPath, { force: true });
    this.ovsdb = await startProcess({
      name: 'ovsdb-server',
      stateDir: dir,
      namespace: this.options.namespace,
      env: this.env,
      argv: [
        'ovsdb-server',
        '--no-chdir',
        `--log-file=${join(dir, 'ovsdb-server.log')}`,
        `--remote=punix:${this.dbSocketPath}`,
        `--unixctl=${join(dir, 'ovsdb-server.ctl')}`,
        join(dir, 'conf.db'),
      ],
    });
    await waitFor('ovsdb-server db.sock', () => existsSync(this.dbSocketPath), 10_000);
  }

  async startVswitchd(): Promise<void> {
    if (this.vswitchdRunning()) return;
    const dir = this.dir;
    const ctl = join(dir, 'ovs-vswitchd.ctl');
    rmSync(ctl, { force: true });
    this.vswitchd = await startProcess({
      name: 'ovs-vswitchd',
      stateDir: dir,
      namespace: this.options.namespace,
      env: this.env,
      argv: [
        'ovs-vswitchd',
        '--no-chdir',
        `--log-file=${join(dir, 'ovs-vswitchd.log')}`,
        `-vfile:${this.options.logLevel ?? 'info'}`,
        `--unixctl=${ctl}`,
        this.ovsdbTarget,
      ],
    });
    await waitFor('ovs-vswitchd control socket', () => existsSync(ctl), 10_000);
    // Configured bridges come back on their own. A change without --no-wait makes
    // ovs-vsctl wait until vswitchd has applied the whole database (cur_cfg).
    await this.vsctl(['--timeout=10', 'set', 'Open_vSwitch', '.', `external_ids:lab-started=${Date.now()}`]);
  }

  /** SIGTERM: the daemon exits, its bridges' flows and groups are gone (OVS keeps none across restarts). */
  async stopVswitchd(): Promise<void> {
    await this.vswitchd?.stop(5000);
    this.vswitchd = null;
  }

  async killVswitchd(): Promise<void> {
    await this.vswitchd?.kill();
    this.vswitchd = null;
  }

  async restartVswitchd(): Promise<void> {
    await this.stopVswitchd();
    await this.startVswitchd();
  }

  async stopOvsdb(): Promise<void> {
    await this.ovsdb?.stop(5000);
    this.ovsdb = null;
  }

  /** Stops both daemons (by saved PID); conf.db stays. */
  async stop(): Promise<void> {
    await this.stopVswitchd();
    await this.stopOvsdb();
  }

  vsctl(args: readonly string[]): Promise<string> {
    return runOk(['ovs-vsctl', `--db=${this.ovsdbTarget}`, ...args], { env: this.env, timeoutMs: 20_000 });
  }

  /** `ovs-ofctl -O OpenFlow13 <command> unix:<mgmt> [args]`. */
  ofctl(bridge: string, args: readonly string[], input?: string): Promise<string> {
    const [command, ...rest] = args;
    if (command === undefined) return Promise.reject(new Error('ofctl: no command'));
    const options = input === undefined ? { env: this.env } : { env: this.env, input };
    return runOk(['ovs-ofctl', '-O', 'OpenFlow13', command, this.openflowTarget(bridge), ...rest], options);
  }

  /** `ovs-appctl -t <dir>/ovs-vswitchd.ctl ...`. */
  appctl(args: readonly string[]): Promise<string> {
    return runOk(['ovs-appctl', '-t', join(this.dir, 'ovs-vswitchd.ctl'), ...args], { env: this.env });
  }

  /** Adds a netdev bridge and waits until vswitchd has created it (and its .mgmt socket). */
  async addBridge(
    name: string,
    options: { readonly failMode?: 'secure' | 'standalone'; readonly protocols?: string } = {},
  ): Promise<void> {
    const args = ['add-br', name, '--', 'set', 'bridge', name, 'datapath_type=netdev'];
    if (options.failMode) args.push(`fail_mode=${options.failMode}`);
    if (options.protocols) args.push(`protocols=${options.protocols}`);
    await this.vsctl(args);
    await waitFor(`${name}.mgmt`, () => existsSync(this.mgmtPath(name)), 10_000);
  }

  async deleteBridge(name: string): Promise<void> {
    await this.vsctl(['--if-exists', 'del-br', name]);
  }

  async addPort(bridge: string, name: string, options: PortOptions = {}): Promise<void> {
    const args = ['add-port', bridge, name];
    const settings: string[] = [];
    if (options.type) settings.push(`type=${options.type}`);
    if (options.ofport !== undefined) settings.push(`ofport_request=${options.ofport}`);
    for (const [key, value] of Object.entries(options.options ?? {}))
      settings.push(`options:${key}=${value}`);
    if (settings.length > 0) args.push('--', 'set', 'interface', name, ...settings);
    await this.vsctl(args);
  }

  /** The interface's OpenFlow port number (-1 while vswitchd has not assigned one). */
  async ofport(name: string): Promise<number> {
    return Number((await this.vsctl(['get', 'interface', name, 'ofport'])).trim());
  }

  /** The interface's MAC as vswitchd reports it. */
  async macInUse(name: string): Promise<string> {
    return (await this.vsctl(['get', 'interface', name, 'mac_in_use'])).trim().replace(/"/g, '');
  }

  /** `ofproto/trace BRIDGE FLOW`: which flows decide, and the datapath actions. */
  trace(bridge: string, flow: string): Promise<string> {
    return this.appctl(['ofproto/trace', bridge, flow]);
  }

  dumpFlows(bridge: string, filter?: string): Promise<string> {
    return this.ofctl(bridge, filter === undefined ? ['dump-flows'] : ['dump-flows', filter]);
  }

  dumpGroups(bridge: string): Promise<string> {
    return this.ofctl(bridge, ['dump-groups']);
  }

  async logText(which: 'ovsdb-server' | 'ovs-vswitchd'): Promise<string> {
    const { readFile } = await import('node:fs/promises');
    return readFile(join(this.dir, `${which}.log`), 'utf8').catch(() => '');
  }
}
