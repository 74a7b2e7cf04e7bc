// Network namespaces for the real-peer lab: create, link, run commands in, and
// remove again. Every namespace a Topology makes is named `<runId>-<name>`
// (runId = 't' + 4 hex digits) so parallel runs never collide, and a run
// registry under the state root (owner PID + start time) lets a later run tell
// a crashed run's leftovers from a live one (cleanupStaleRuns).
//
// Commands are always argv arrays (spawn, never a shell string).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive, killAllSaved, procStartTime, stopPid } from './process.js';

export interface ExecResult {
  readonly stdout: string;
  readonly stderr: string;
  /** Exit code; -1 if the process was killed by a signal (see `signal`). */
  readonly code: number;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
}

export interface ExecOptions {
  /** Kill the command (SIGKILL) after this long; default 30 s. */
  readonly timeoutMs?: number;
  /** Written to stdin, which is then closed; without it stdin is /dev/null. */
  readonly input?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

export class CommandError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly result: ExecResult,
  ) {
    const why = result.timedOut
      ? 'timed out'
      : result.signal
        ? `killed by ${result.signal}`
        : `exit ${result.code}`;
    const detail = (result.stderr.trim() || result.stdout.trim()).slice(0, 2000);
    super(`${argv.join(' ')}: ${why}${detail ? `: ${detail}` : ''}`);
    this.name = 'CommandError';
  }
}

/** Runs argv in the current (root) namespace. Resolves with the exit code; rejects only if it cannot start. */
export function run(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  const [file, ...args] = argv;
  if (file === undefined) return Promise.reject(new Error('run: empty argv'));
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: options.env ?? process.env,
      cwd: options.cwd,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 30_000);
    child.stdout?.on('data', (b: Buffer) => out.push(b));
    child.stderr?.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        code: code ?? -1,
        signal,
        timedOut,
      });
    });
    if (options.input !== undefined && child.stdin) {
      child.stdin.on('error', () => undefined); // EPIPE if the command does not read stdin
      child.stdin.end(options.input);
    }
  });
}

/** Like run(), but throws CommandError unless the exit code is 0; returns stdout. */
export async function runOk(argv: readonly string[], options: ExecOptions = {}): Promise<string> {
  const result = await run(argv, options);
  if (result.code !== 0 || result.timedOut) throw new CommandError(argv, result);
  return result.stdout;
}

/** Runs argv inside namespace `ns` (`ip netns exec ns ...`). */
export function exec(ns: string, argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  return run(['ip', 'netns', 'exec', ns, ...argv], options);
}

/** Like exec(), but throws CommandError unless the exit code is 0; returns stdout. */
export function execOk(ns: string, argv: readonly string[], options: ExecOptions = {}): Promise<string> {
  return runOk(['ip', 'netns', 'exec', ns, ...argv], options);
}

export function namespaceExists(ns: string): boolean {
  return existsSync(join('/run/netns', ns));
}

export function listNamespaces(): string[] {
  try {
    return readdirSync('/run/netns');
  } catch {
    return [];
  }
}

/** PIDs of processes whose network namespace is `ns` (`ip netns pids`). */
export async function namespacePids(ns: string): Promise<number[]> {
  const result = await run(['ip', 'netns', 'pids', ns], { timeoutMs: 10_000 });
  if (result.code !== 0) return [];
  return result.stdout
    .split(/\s+/)
    .filter((s) => /^\d+$/.test(s))
    .map(Number);
}

/**
 * Kills what still runs in `ns` (processes we started there whose PID file was
 * lost, e.g. helpers a daemon forked) and deletes the namespace. Idempotent.
 */
export async function deleteNamespace(ns: string, timeoutMs = 3000): Promise<void> {
  if (!namespaceExists(ns)) return;
  const pids = await namespacePids(ns);
  await Promise.all(pids.map((pid) => stopPid(pid, { timeoutMs })));
  const result = await run(['ip', 'netns', 'del', ns], { timeoutMs: 10_000 });
  if (result.code !== 0 && namespaceExists(ns)) throw new CommandError(['ip', 'netns', 'del', ns], result);
}

export const RUN_ID_PATTERN = /^t[0-9a-f]{4}$/;
const NAMESPACE_PATTERN = /^(t[0-9a-f]{4})-./;

/** Where run registries and state dirs live: $BGPLAB_ROOT or <tmpdir>/bgplab. */
export function stateRoot(): string {
  return process.env.BGPLAB_ROOT ?? join(tmpdir(), 'bgplab');
}

interface OwnerRecord {
  readonly pid: number;
  readonly startTime: string | undefined;
  readonly createdAt: string;
}

function readOwner(runDir: string): OwnerRecord | undefined {
  try {
    const value: unknown = JSON.parse(readFileSync(join(runDir, 'owner.json'), 'utf8'));
    if (typeof value === 'object' && value !== null && 'pid' in value && typeof value.pid === 'number') {
      const startTime =
        'startTime' in value && typeof value.startTime === 'string' ? value.startTime : undefined;
      const createdAt = 'createdAt' in value && typeof value.createdAt === 'string' ? value.createdAt : '';
      return { pid: value.pid, startTime, createdAt };
    }
  } catch {
    // missing or torn file: treated as a dead owner
  }
  return undefined;
}

function ownerAlive(owner: OwnerRecord | undefined): boolean {
  if (!owner || !isAlive(owner.pid)) return false;
  return owner.startTime === undefined || procStartTime(owner.pid) === owner.startTime;
}

/** Every directory below `dir` (inclusive) that has a `pids` subdirectory, i.e. a process state dir. */
function findStateDirs(dir: string, depth = 4): string[] {
  const found: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return found;
  }
  if (entries.includes('pids')) found.push(dir);
  if (depth === 0) return found;
  for (const entry of entries) {
    const path = join(dir, entry);
    try {
      if (entry !== 'pids' && statSync(path).isDirectory()) found.push(...findStateDirs(path, depth - 1));
    } catch {
      // vanished meanwhile
    }
  }
  return found;
}

/** Kills saved PIDs of a run, deletes its namespaces and its registry dir. */
async function removeRun(runId: string, runDir: string | undefined): Promise<void> {
  if (runDir) for (const dir of findStateDirs(runDir)) await killAllSaved(dir);
  for (const ns of listNamespaces().filter((n) => n.startsWith(`${runId}-`))) await deleteNamespace(ns);
  if (runDir) rmSync(runDir, { recursive: true, force: true });
}

/**
 * Removes leftovers of earlier runs that crashed: run registries whose owner
 * process is gone (their saved PIDs are killed, their namespaces deleted) and
 * namespaces named like ours (`t1234-...`) that have no live registry.
 * Live runs (other test processes running in parallel) are left alone.
 * Returns the run ids removed.
 */
export async function cleanupStaleRuns(root = stateRoot()): Promise<string[]> {
  const removed = new Set<string>();
  let dirs: string[] = [];
  try {
    dirs = readdirSync(root).filter((d) => RUN_ID_PATTERN.test(d));
  } catch {
    // no registry yet
  }
  for (const runId of dirs) {
    const runDir = join(root, runId);
    if (ownerAlive(readOwner(runDir))) continue;
    await removeRun(runId, runDir);
    removed.add(runId);
  }
  for (const ns of listNamespaces()) {
    const runId = NAMESPACE_PATTERN.exec(ns)?.[1];
    if (!runId || removed.has(runId)) continue;
    const runDir = join(root, runId);
    if (existsSync(runDir) && ownerAlive(readOwner(runDir))) continue;
    await removeRun(runId, existsSync(runDir) ? runDir : undefined);
    removed.add(runId);
  }
  return [...removed];
}

export interface LinkEnd {
  /** Full namespace name (as returned by Topology.addNamespace). */
  readonly ns: string;
  /** Interface name inside that namespace (max 15 characters). */
  readonly ifname: string;
  /** IPv4 address with prefix length, e.g. '172.18.8.101/24'. */
  readonly ipv4?: string;
  /** IPv6 address with prefix length, e.g. 'fd00:8::101/64' (added with nodad). */
  readonly ipv6?: string;
}

export interface LinkSpec {
  readonly a: LinkEnd;
  readonly b: LinkEnd;
  readonly mtu?: number;
}

export interface NamespaceOptions {
  /** Extra sysctls, e.g. { 'net.ipv4.ip_forward': 1 }. */
  readonly sysctls?: Readonly<Record<string, string | number>>;
}

/**
 * Everything one test run creates: namespaces, links (which disappear with
 * their namespaces), state dirs whose saved PIDs are killed on destroy().
 * destroy() is idempotent and also cleans up after a partial failure.
 */
export class Topology {
  private readonly namespaces: string[] = [];
  private readonly stateDirs: string[] = [];
  private destroyed = false;

  private constructor(
    readonly runId: string,
    /** Registry dir of this run; state dirs are created below it. */
    readonly dir: string,
  ) {}

  /** Registers a new run (owner = this process) and returns its empty topology. */
  static create(options: { readonly root?: string; readonly runId?: string } = {}): Topology {
    const root = options.root ?? stateRoot();
    mkdirSync(root, { recursive: true });
    for (let attempt = 0; attempt < 100; attempt++) {
      const runId = options.runId ?? `t${randomBytes(2).toString('hex')}`;
      if (!RUN_ID_PATTERN.test(runId)) throw new Error(`bad run id ${runId}: must match ${RUN_ID_PATTERN}`);
      const dir = join(root, runId);
      const clash = listNamespaces().some((n) => n.startsWith(`${runId}-`));
      if (!clash) {
        try {
          mkdirSync(dir); // atomic claim of the run id
        } catch {
          if (options.runId) throw new Error(`run id ${runId} is in use (${dir} exists)`);
          continue;
        }
        const owner: OwnerRecord = {
          pid: process.pid,
          startTime: procStartTime(process.pid),
          createdAt: new Date().toISOString(),
        };
        writeFileSync(join(dir, 'owner.json'), `${JSON.stringify(owner)}\n`);
        return new Topology(runId, dir);
      }
      if (options.runId) throw new Error(`run id ${runId} is in use (namespaces exist)`);
    }
    throw new Error('could not find a free run id');
  }

  /** Full namespace name for a short name: `<runId>-<name>`. */
  nsName(name: string): string {
    return `${this.runId}-${name}`;
  }

  /** Namespaces created so far (full names). */
  get namespaceNames(): readonly string[] {
    return [...this.namespaces];
  }

  /**
   * Creates namespace `<runId>-<name>` with `lo` up and IPv6 DAD off (so
   * link-local and global addresses are usable at once). Returns its full name.
   */
  async addNamespace(name: string, options: NamespaceOptions = {}): Promise<string> {
    this.assertLive();
    const ns = this.nsName(name);
    this.namespaces.push(ns); // recorded first: destroy() copes with a half-made namespace
    await runOk(['ip', 'netns', 'add', ns]);
    await execOk(ns, ['ip', 'link', 'set', 'lo', 'up']);
    await this.sysctl(ns, {
      'net.ipv6.conf.all.accept_dad': 0,
      'net.ipv6.conf.default.accept_dad': 0,
      'net.ipv6.conf.all.disable_ipv6': 0,
      'net.ipv6.conf.default.disable_ipv6': 0,
      ...options.sysctls,
    });
    return ns;
  }

  /** Sets sysctls inside `ns` (`sysctl -w k=v ...`). */
  async sysctl(ns: string, values: Readonly<Record<string, string | number>>): Promise<void> {
    const pairs = Object.entries(values).map(([k, v]) => `${k}=${v}`);
    if (pairs.length > 0) await execOk(ns, ['sysctl', '-q', '-w', ...pairs]);
  }

  /** A veth pair between two namespaces (both ends created in place), with addresses, up. */
  async addLink(spec: LinkSpec): Promise<void> {
    this.assertLive();
    const { a, b } = spec;
    for (const end of [a, b]) {
      if (end.ifname.length > 15) throw new Error(`interface name too long: ${end.ifname}`);
      if (!this.namespaces.includes(end.ns))
        throw new Error(`namespace ${end.ns} is not part of this topology`);
    }
    const argv = ['ip', 'link', 'add', a.ifname, 'netns', a.ns];
    if (spec.mtu) argv.push('mtu', String(spec.mtu));
    argv.push('type', 'veth', 'peer', 'name', b.ifname, 'netns', b.ns);
    if (spec.mtu) argv.push('mtu', String(spec.mtu));
    await runOk(argv);
    for (const end of [a, b]) {
      if (end.ipv4) await execOk(end.ns, ['ip', 'addr', 'add', end.ipv4, 'dev', end.ifname]);
      if (end.ipv6) await execOk(end.ns, ['ip', 'addr', 'add', end.ipv6, 'dev', end.ifname, 'nodad']);
      await execOk(end.ns, ['ip', 'link', 'set', end.ifname, 'up']);
    }
  }

  /** Link-local IPv6 address of `ifname` in `ns` (fe80::...), without prefix length. */
  async linkLocal(ns: string, ifname: string): Promise<string> {
    const out = await execOk(ns, ['ip', '-j', '-6', 'addr', 'show', 'dev', ifname, 'scope', 'link']);
    const parsed: unknown = JSON.parse(out);
    if (Array.isArray(parsed)) {
      for (const link of parsed) {
        const infos: unknown =
          typeof link === 'object' && link !== null ? Reflect.get(link, 'addr_info') : [];
        if (!Array.isArray(infos)) continue;
        for (const info of infos) {
          const local: unknown = typeof info === 'object' && info !== null ? Reflect.get(info, 'local') : '';
          if (typeof local === 'string' && local.startsWith('fe80')) return local;
        }
      }
    }
    throw new Error(`no link-local address on ${ns}/${ifname}`);
  }

  /** Creates (and tracks for cleanup) a state dir `<run dir>/<name>`; its saved PIDs are killed on destroy(). */
  stateDir(name: string): string {
    this.assertLive();
    const dir = join(this.dir, name);
    mkdirSync(dir, { recursive: true });
    if (!this.stateDirs.includes(dir)) this.stateDirs.push(dir);
    return dir;
  }

  exec(ns: string, argv: readonly string[], options?: ExecOptions): Promise<ExecResult> {
    return exec(ns, argv, options);
  }

  execOk(ns: string, argv: readonly string[], options?: ExecOptions): Promise<string> {
    return execOk(ns, argv, options);
  }

  /**
   * Kills every saved PID of every state dir (SIGTERM, then SIGKILL), deletes
   * every namespace (after killing whatever still runs in it), then removes
   * the run dir unless `keepFiles`. Safe to call twice, and after a failure
   * half-way through setup; throws an AggregateError only if something
   * could not be removed.
   */
  async destroy(options: { readonly keepFiles?: boolean } = {}): Promise<void> {
    this.destroyed = true;
    const errors: unknown[] = [];
    for (const dir of this.stateDirs) {
      try {
        await killAllSaved(dir);
      } catch (e) {
        errors.push(e);
      }
    }
    for (const ns of [...this.namespaces].reverse()) {
      try {
        await deleteNamespace(ns);
        this.namespaces.splice(this.namespaces.indexOf(ns), 1);
      } catch (e) {
        errors.push(e);
      }
    }
    // namespaces named like ours that we did not record (should not happen)
    for (const ns of listNamespaces().filter((n) => n.startsWith(`${this.runId}-`))) {
      try {
        await deleteNamespace(ns);
      } catch (e) {
        errors.push(e);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, `topology ${this.runId}: cleanup incomplete`);
    if (!options.keepFiles) rmSync(this.dir, { recursive: true, force: true });
    else rmSync(join(this.dir, 'owner.json'), { force: true });
  }

  private assertLive(): void {
    if (this.destroyed) throw new Error(`topology ${this.runId} was destroyed`);
  }
}
