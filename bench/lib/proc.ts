// Memory of a process from /proc/<pid>/status.

import { readFileSync } from 'node:fs';

export interface Memory {
  /** VmRSS, kB. */
  readonly rssKb: number;
  /** VmHWM (peak RSS since start), kB. */
  readonly hwmKb: number;
}

function field(status: string, name: string): number {
  const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
  if (match === null) throw new Error(`no ${name} in /proc status`);
  return Number(match[1]);
}

export function memoryOf(pid: number): Memory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { rssKb: field(status, 'VmRSS'), hwmKb: field(status, 'VmHWM') };
}
