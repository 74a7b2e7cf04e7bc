// One clock for the injector and the orchestrator: CLOCK_MONOTONIC (what
// process.hrtime reads on Linux), in milliseconds. It is system-wide, so
// timestamps taken in different processes on this machine compare directly;
// unlike the wall clock it never steps.

export function monoMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
