// Jobs asked for in bursts (view reads, reconciles), with fake timers: one
// run per burst after the delay, never two at once, one more when asked
// during a run, failures reported, nothing after stop().
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CoalescedRun } from '../../src/netlink/coalesced-run.js';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A job that takes `durationMs` (of fake time) and records when it started and ended. */
function slowJob(durationMs: number) {
  const log: string[] = [];
  let running = 0;
  let most = 0;
  const job = async (): Promise<void> => {
    running++;
    most = Math.max(most, running);
    log.push(`start ${Date.now()}`);
    await new Promise((resolve) => setTimeout(resolve, durationMs));
    log.push(`end ${Date.now()}`);
    running--;
  };
  return { job, log, most: () => most };
}

describe('CoalescedRun', () => {
  it('runs once for a burst, after the delay', async () => {
    vi.setSystemTime(0);
    const { job, log } = slowJob(10);
    const run = new CoalescedRun(50, job, () => {});
    for (let i = 0; i < 10_000; i++) run.request();
    await vi.advanceTimersByTimeAsync(1000);
    expect(log).toEqual(['start 50', 'end 60']);
  });

  it('runs once more, and only once, when asked during a run', async () => {
    vi.setSystemTime(0);
    const { job, log, most } = slowJob(500);
    const run = new CoalescedRun(50, job, () => {});
    run.request();
    await vi.advanceTimersByTimeAsync(100); // under way
    for (let i = 0; i < 100; i++) run.request();
    await vi.advanceTimersByTimeAsync(5000);
    expect(log).toEqual(['start 50', 'end 550', 'start 600', 'end 1100']);
    expect(most()).toBe(1);
  });

  it('reports a failed run and goes on taking requests', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const run = new CoalescedRun(
      10,
      async () => {
        calls++;
        if (calls === 1) throw new Error('EBUSY');
      },
      (error) => errors.push(error),
    );
    run.request();
    await vi.advanceTimersByTimeAsync(20);
    expect(errors.map(String)).toEqual(['Error: EBUSY']);
    run.request();
    await vi.advanceTimersByTimeAsync(20);
    expect(calls).toBe(2);
  });

  it('retries when the failure handler asks again', async () => {
    let calls = 0;
    const run: CoalescedRun = new CoalescedRun(
      10,
      async () => {
        calls++;
        if (calls < 3) throw new Error('EBUSY');
      },
      () => run.request(),
    );
    run.request();
    await vi.advanceTimersByTimeAsync(100);
    expect(calls).toBe(3);
  });

  it('runs nothing after stop', async () => {
    const { job, log } = slowJob(10);
    const run = new CoalescedRun(50, job, () => {});
    run.request();
    run.stop();
    run.request();
    await vi.advanceTimersByTimeAsync(1000);
    expect(log).toEqual([]);
  });
});
