// CPU time from /proc, in clock ticks (USER_HZ, 100 per second on Linux):
// what the receiver spent on a load, and how busy the rest of the machine
// was meanwhile (this box is shared, and other work skews wall-clock times).

import { readFileSync } from 'node:fs';

export const TICKS_PER_SECOND = 100;

/** Busy ticks of all CPUs together (the `cpu` line of /proc/stat minus idle and iowait). */
export function machineBusyTicks(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  const fields = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already in user)
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return user + nice + system + irq + softirq + steal;
}

/** utime + stime of a process (all its threads); with `children`, plus its waited-for children's. */
export function processTicks(pid: number | 'self', children = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state): utime = field 14, stime 15, cutime 16, cstime 17
    const ticks = Number(rest[11]) + Number(rest[12]);
    return children ? ticks + Number(rest[13]) + Number(rest[14]) : ticks;
  } catch {
    return 0;
  }
}

export interface CpuSnapshot {
  readonly machine: number;
  readonly receiver: number;
  readonly injector: number;
  /** This process and the CLI tools it ran (gobgp). */
  readonly harness: number;
}

export function cpuSnapshot(receiverPid: number, injectorPid: number): CpuSnapshot {
  return {
    machine: machineBusyTicks(),
    receiver: processTicks(receiverPid),
    injector: processTicks(injectorPid),
    harness: processTicks('self', true),
  };
}

export interface CpuUse {
  /** CPU seconds the receiver used. */
  readonly receiverSeconds: number;
  readonly injectorSeconds: number;
  /** Cores' worth of CPU everything else used on average (0 = quiet box). */
  readonly otherCores: number;
}

export function cpuBetween(a: CpuSnapshot, b: CpuSnapshot, wallMs: number): CpuUse {
  const receiver = b.receiver - a.receiver;
  const injector = b.injector - a.injector;
  const other = b.machine - a.machine - receiver - injector - (b.harness - a.harness);
  return {
    receiverSeconds: receiver / TICKS_PER_SECOND,
    injectorSeconds: injector / TICKS_PER_SECOND,
    otherCores: wallMs > 0 ? Math.max(0, other / TICKS_PER_SECOND / (wallMs / 1000)) : 0,
  };
}
