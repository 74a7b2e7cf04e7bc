// Results: one row per (case, receiver), medians over repetitions, printed as
// a fixed-width table and kept as JSON.

import type { CaseName } from './feed.js';
import type { ReceiverName } from './receivers.js';

/** One measured load. */
export interface RunResult {
  readonly case: CaseName;
  readonly receiver: ReceiverName;
  readonly repetition: number;
  readonly version: string;
  readonly prefixes: number;
  readonly ok: boolean;
  readonly error?: string;
  /** Feed start (right after Established and the idle RSS reading) until the first poll that saw every prefix, s. */
  readonly seconds?: number;
  /** Same, but to the moment that poll was sent (a lower bound), s. */
  readonly secondsLowerBound?: number;
  /** Injector: Established until the feed started (RSS baseline reading), ms. */
  readonly establishedToFeedMs?: number;
  /** Injector: feed start until the last octet (and End-of-RIB) was handed to the kernel, ms. */
  readonly feedWrittenMs?: number;
  /** CPU seconds the receiver process used from feed start to done. */
  readonly receiverCpuSeconds?: number;
  readonly injectorCpuSeconds?: number;
  /** Cores' worth of CPU all other processes on the box used meanwhile (noise). */
  readonly otherCores?: number;
  /** The same, in the second before the feed started (session up, both ends idle). */
  readonly backgroundCoresBefore?: number;
  readonly rssIdleKb?: number;
  /** RSS at the poll that saw every prefix. */
  readonly rssLoadedKb?: number;
  /** RSS `settleMs` after that. */
  readonly rssSettledKb?: number;
  readonly settleMs?: number;
  /** VmHWM at the end. */
  readonly peakKb?: number;
  /** (settled RSS - idle RSS) / prefixes. */
  readonly bytesPerRoute?: number;
  /** How the end of the load was seen: 'count' (best routes) or 'last-prefix' (see bench/rib.ts waitLoaded). */
  readonly probe?: string;
  readonly polls?: number;
  /** [ms since feed start, best routes (probe 'count') or 1/0 (last prefix there or not)] per poll. */
  readonly samples?: readonly (readonly [number, number])[];
  /** Receiver log lines worth a look (agent: warn and above). */
  readonly logLines?: readonly string[];
}

export interface Row {
  readonly case: CaseName;
  readonly receiver: ReceiverName;
  readonly version: string;
  readonly prefixes: number;
  readonly runs: number;
  readonly failures: number;
  readonly seconds: number | null;
  readonly secondsMin: number | null;
  readonly secondsMax: number | null;
  readonly cpuSeconds: number | null;
  /** Median of otherCores. */
  readonly otherCores: number | null;
  readonly rssMb: number | null;
  readonly peakMb: number | null;
  readonly bytesPerRoute: number | null;
  /** seconds / FRR's seconds for the same case. */
  readonly ratioToFrr: number | null;
  /** bytes per route / FRR's. */
  readonly memoryRatioToFrr: number | null;
}

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function present(values: readonly (number | undefined)[]): number[] {
  return values.filter((v): v is number => v !== undefined);
}

export function summarize(results: readonly RunResult[]): Row[] {
  const groups = new Map<string, RunResult[]>();
  for (const r of results) {
    const key = `${r.case}\0${r.receiver}`;
    const list = groups.get(key) ?? [];
    list.push(r);
    groups.set(key, list);
  }
  const rows: Omit<Row, 'ratioToFrr' | 'memoryRatioToFrr'>[] = [];
  for (const list of groups.values()) {
    const first = list[0] as RunResult;
    const good = list.filter((r) => r.ok);
    const seconds = present(good.map((r) => r.seconds));
    const rss = present(good.map((r) => r.rssSettledKb));
    const peak = present(good.map((r) => r.peakKb));
    rows.push({
      case: first.case,
      receiver: first.receiver,
      version: first.version,
      prefixes: first.prefixes,
      runs: list.length,
      failures: list.length - good.length,
      seconds: median(seconds),
      secondsMin: seconds.length ? Math.min(...seconds) : null,
      secondsMax: seconds.length ? Math.max(...seconds) : null,
      cpuSeconds: median(present(good.map((r) => r.receiverCpuSeconds))),
      otherCores: median(present(good.map((r) => r.otherCores))),
      rssMb: rss.length ? (median(rss) as number) / 1024 : null,
      peakMb: peak.length ? (median(peak) as number) / 1024 : null,
      bytesPerRoute: median(present(good.map((r) => r.bytesPerRoute))),
    });
  }
  return rows.map((row) => {
    const frr = rows.find((r) => r.case === row.case && r.receiver === 'frr');
    const ratio = (a: number | null, b: number | null | undefined) =>
      a !== null && b !== null && b !== undefined && b > 0 ? a / b : null;
    return {
      ...row,
      ratioToFrr: ratio(row.seconds, frr?.seconds),
      memoryRatioToFrr: ratio(row.bytesPerRoute, frr?.bytesPerRoute),
    };
  });
}

function fixed(value: number | null, digits: number): string {
  return value === null ? '-' : value.toFixed(digits);
}

export function formatTable(rows: readonly Row[]): string {
  const header = [
    'case',
    'receiver',
    'prefixes',
    'seconds',
    'CPU s',
    'RSS MB',
    'peak MB',
    'bytes/route',
    'ratio-to-FRR',
    'mem-ratio-to-FRR',
    'runs',
    'other load',
    'version',
  ];
  const lines = rows.map((r) => [
    r.case,
    r.receiver,
    String(r.prefixes),
    r.seconds === null
      ? 'FAIL'
      : r.runs > 1
        ? `${fixed(r.seconds, 2)} (${fixed(r.secondsMin, 2)}-${fixed(r.secondsMax, 2)})`
        : fixed(r.seconds, 2),
    fixed(r.cpuSeconds, 2),
    fixed(r.rssMb, 1),
    fixed(r.peakMb, 1),
    fixed(r.bytesPerRoute, 0),
    fixed(r.ratioToFrr, 2),
    fixed(r.memoryRatioToFrr, 2),
    r.failures > 0 ? `${r.runs - r.failures}/${r.runs}` : String(r.runs),
    fixed(r.otherCores, 2),
    r.version,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] as string).length)));
  const numeric = new Set([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  const format = (cells: readonly string[]) =>
    cells
      .map((c, i) => (numeric.has(i) ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [format(header), ...lines.map(format)].join('\n');
}

export const LEGEND = [
  'seconds: feed start (right after Established) until the first poll (every 50 ms) that saw every prefix',
  "         as a best route; gobgpd: until its Loc-RIB had the feed's last prefix, confirmed by a full count",
  'CPU s: CPU time of the receiver process over that time (FRR: bgpd alone; zebra is not installing anything)',
  'RSS MB: receiver RSS 2 s after the load; peak MB: its VmHWM; bytes/route: (RSS - RSS at Established) / prefixes',
  'ratio-to-FRR: seconds / FRR seconds; mem-ratio-to-FRR: bytes/route / FRR bytes/route',
  'other load: cores used by everything else on the machine meanwhile (0 = a quiet box)',
].join('\n');
