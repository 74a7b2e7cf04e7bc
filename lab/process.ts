// Long-running processes (the BGP daemons) inside network namespaces.
//
// startProcess() runs `ip netns exec NS argv...` with stdout+stderr appended
// to `<stateDir>/<name>.out` and writes `<stateDir>/pids/<name>.pid`
// (JSON: pid, start time, argv, namespace). `ip netns exec` execs the command
// after setns(), so the child PID is the daemon's own; startProcess waits
// until /proc/<pid>/exe is no longer `ip` and /proc/<pid>/ns/net is the
// namespace, so the saved PID is verified to be the daemon in that namespace.
//
// Stopping is by saved PID: SIGTERM, then SIGKILL after a timeout, then wait
// until the PID is gone (or a zombie). The start time saved with the PID
// guards against killing an unrelated process that reused the PID.
import { spawn } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface SavedPid {
  readonly pid: number;
  /** Field 22 of /proc/<pid>/stat (clock ticks since boot) when saved. */
  readonly startTime: string | undefined;
  readonly name: string;
  readonly argv: readonly string[];
  readonly namespace: string | undefined;
}

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface StartOptions {
  /** Short name: log `<stateDir>/<name>.out`, PID file `<stateDir>/pids/<name>.pid`. */
  readonly name: string;
  readonly argv: readonly string[];
  readonly stateDir: string;
  /** Network namespace to run in; omit for the current one. */
  readonly namespace?: string;
  /** Environment (replaces process.env when given). */
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** How long to wait for the exec into the daemon; default 5 s. */
  readonly startTimeoutMs?: number;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly logFile: string;
  readonly pidFile: string;
  /** Resolves when the process exits (never rejects). */
  readonly exited: Promise<ExitInfo>;
  running(): boolean;
  /** SIGTERM, SIGKILL after `timeoutMs` (default 5 s); waits for exit; removes the PID file. */
  stop(timeoutMs?: number): Promise<void>;
  /** SIGKILL at once (simulates a crash); waits for exit; removes the PID file. */
  kill(): Promise<void>;
  logText(): Promise<string>;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function readStat(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces: split after the last ')'
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest; // rest[0] = state (field 3), rest[19] = starttime (field 22)
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/<pid>/stat, or undefined if there is no such process. */
export function procStartTime(pid: number): string | undefined {
  return readStat(pid)?.[19];
}

/** True if `pid` exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  const stat = readStat(pid);
  return stat !== undefined && stat[0] !== 'Z' && stat[0] !== 'X';
}

async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(25);
  }
  return true;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/**
 * Stops `pid`: SIGTERM, SIGKILL after `timeoutMs`, waits until it is gone.
 * With `startTime`, does nothing if the PID now belongs to another process.
 * Returns true if the process is gone afterwards.
 */
export async function stopPid(
  pid: number,
  options: {
    readonly timeoutMs?: number;
    readonly startTime?: string | undefined;
    readonly signal?: NodeJS.Signals;
  } = {},
): Promise<boolean> {
  if (!isAlive(pid)) return true;
  if (options.startTime !== undefined && procStartTime(pid) !== options.startTime) return true; // PID reused
  signal(pid, options.signal ?? 'SIGTERM');
  if (await waitGone(pid, options.timeoutMs ?? 5000)) return true;
  signal(pid, 'SIGKILL');
  return waitGone(pid, 5000);
}

function pidDir(stateDir: string): string {
  return join(stateDir, 'pids');
}

/** PID records saved in `<stateDir>/pids/`. */
export function savedPids(stateDir: string): SavedPid[] {
  let files: string[];
  try {
    files = readdirSync(pidDir(stateDir)).filter((f) => f.endsWith('.pid'));
  } catch {
    return [];
  }
  const records: SavedPid[] = [];
  for (const file of files) {
    try {
      const value: unknown = JSON.parse(readFileSync(join(pidDir(stateDir), file), 'utf8'));
      const rec = parseSavedPid(value);
      if (rec) records.push(rec);
    } catch {
      // torn write: ignore
    }
  }
  return records;
}

function parseSavedPid(value: unknown): SavedPid | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const pid: unknown = Reflect.get(value, 'pid');
  if (typeof pid !== 'number' || !Number.isInteger(pid) || pid <= 1) return undefined;
  const startTime: unknown = Reflect.get(value, 'startTime');
  const name: unknown = Reflect.get(value, 'name');
  const argv: unknown = Reflect.get(value, 'argv');
  const namespace: unknown = Reflect.get(value, 'namespace');
  return {
    pid,
    startTime: typeof startTime === 'string' ? startTime : undefined,
    name: typeof name === 'string' ? name : '',
    argv: Array.isArray(argv) ? argv.filter((a): a is string => typeof a === 'string') : [],
    namespace: typeof namespace === 'string' ? namespace : undefined,
  };
}

/** Stops every process saved in `<stateDir>/pids/` and removes the PID files. Returns the PIDs stopped. */
export async function killAllSaved(stateDir: string, timeoutMs = 3000): Promise<number[]> {
  const records = savedPids(stateDir);
  const stopped: number[] = [];
  await Promise.all(
    records.map(async (rec) => {
      if (isAlive(rec.pid) && procStartTime(rec.pid) === rec.startTime) stopped.push(rec.pid);
      const gone = await stopPid(rec.pid, { timeoutMs, startTime: rec.startTime });
      if (!gone) throw new Error(`could not stop PID ${rec.pid} (${rec.name})`);
    }),
  );
  rmSync(pidDir(stateDir), { recursive: true, force: true });
  return stopped;
}

function netnsInode(ns: string): number {
  return statSync(join('/run/netns', ns)).ino;
}

function readExe(pid: number): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return undefined;
  }
}

function ipBinaries(): Set<string> {
  const set = new Set<string>();
  for (const p of ['/usr/bin/ip', '/usr/sbin/ip', '/bin/ip', '/sbin/ip']) {
    try {
      set.add(readlinkSync(p));
    } catch {
      // not a symlink or absent
    }
    set.add(p);
  }
  return set;
}

/** Starts a long-running process in a namespace; resolves once the saved PID is verified to be the daemon's. */
export async function startProcess(options: StartOptions): Promise<ManagedProcess> {
  const { name, stateDir } = options;
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`bad process name ${name}`);
  if (options.argv.length === 0) throw new Error('startProcess: empty argv');
  mkdirSync(pidDir(stateDir), { recursive: true });
  const logFile = join(stateDir, `${name}.out`);
  const pidFile = join(pidDir(stateDir), `${name}.pid`);
  const argv = options.namespace
    ? ['ip', 'netns', 'exec', options.namespace, ...options.argv]
    : [...options.argv];
  const fd = openSync(logFile, 'a');
  let child: ReturnType<typeof spawn>;
  try {
    const [file, ...args] = argv;
    child = spawn(file ?? '', args, {
      stdio: ['ignore', fd, fd],
      env: options.env ?? process.env,
      cwd: options.cwd,
    });
  } finally {
    closeSync(fd);
  }
  const pid = await new Promise<number>((resolve, reject) => {
    child.once('spawn', () => resolve(child.pid ?? -1));
    child.once('error', reject);
  });
  let exitInfo: ExitInfo | undefined;
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('exit', (code, sig) => {
      exitInfo = { code, signal: sig };
      resolve(exitInfo);
    });
  });
  const startTime = procStartTime(pid);
  const record: SavedPid = { pid, startTime, name, argv: options.argv, namespace: options.namespace };
  writeFileSync(pidFile, `${JSON.stringify(record)}\n`);

  const logText = () => readFile(logFile, 'utf8').catch(() => '');
  // Verify: the PID must become the daemon (exec done) in the right namespace.
  const deadline = Date.now() + (options.startTimeoutMs ?? 5000);
  const ips = ipBinaries();
  const wantIno = options.namespace ? netnsInode(options.namespace) : undefined;
  for (;;) {
    if (exitInfo) {
      rmSync(pidFile, { force: true });
      throw new Error(
        `${name} exited at start (code ${exitInfo.code}, signal ${exitInfo.signal}): ${(await logText()).slice(-2000)}`,
      );
    }
    const exe = readExe(pid);
    if (exe !== undefined && !ips.has(exe)) {
      if (wantIno === undefined) break;
      try {
        if (statSync(`/proc/${pid}/ns/net`).ino === wantIno) break;
      } catch {
        // raced with exit; loop sees exitInfo
      }
    }
    if (Date.now() > deadline) {
      await stopPid(pid, { timeoutMs: 1000 });
      rmSync(pidFile, { force: true });
      throw new Error(`${name}: PID ${pid} did not become the daemon in ${options.namespace} (exe ${exe})`);
    }
    await sleep(10);
  }

  const finish = async (sig: NodeJS.Signals, timeoutMs: number) => {
    if (!exitInfo) {
      signal(pid, sig);
      const timer = setTimeout(() => signal(pid, 'SIGKILL'), timeoutMs);
      await exited;
      clearTimeout(timer);
    }
    rmSync(pidFile, { force: true });
  };
  return {
    name,
    pid,
    logFile,
    pidFile,
    exited,
    running: () => exitInfo === undefined,
    stop: (timeoutMs = 5000) => finish('SIGTERM', timeoutMs),
    kill: () => finish('SIGKILL', 1000),
    logText,
  };
}
