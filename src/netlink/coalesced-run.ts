// An asynchronous job that events ask for in bursts (notifications, lost
// messages): it starts `delayMs` after the first request of a burst, runs
// one at a time, and runs once more when asked during a run (that run may
// have read the kernel before the change that asked). Never two at once,
// never a queue of them: a burst of ten thousand notifications while a view
// read of 200,000 routes is under way costs one more read, not ten thousand.

export class CoalescedRun {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private again = false;
  private stopped = false;

  constructor(
    private readonly delayMs: number,
    private readonly job: () => Promise<void>,
    /** A failed run (the next request runs it again). */
    private readonly failed: (error: unknown) => void,
  ) {}

  request(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.run();
    }, this.delayMs);
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      await this.job();
    } catch (error) {
      this.failed(error);
    } finally {
      this.running = false;
    }
    if (this.again) {
      this.again = false;
      this.request();
    }
  }

  /** No more runs (one under way finishes). */
  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}
