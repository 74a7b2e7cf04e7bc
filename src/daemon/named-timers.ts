// A neighbor's protocol timers by name (the restart and stale timers of
// Graceful Restart and Enhanced Route Refresh, the max-prefix restart): the
// pure machines ask for them as actions, this arms them and runs the expiry
// through the neighbor's guard. Unref'd: no timer keeps the daemon alive.

export class NamedTimers {
  private readonly handles = new Map<string, NodeJS.Timeout>();

  constructor(private readonly guard: (work: () => void) => void) {}

  /** (Re)starts `name`: `fire` runs once after `delayMs`, unless stopped. */
  start(name: string, delayMs: number, fire: () => void): void {
    this.stop(name);
    const handle = setTimeout(() => {
      this.handles.delete(name);
      this.guard(fire);
    }, delayMs);
    handle.unref();
    this.handles.set(name, handle);
  }

  stop(name: string): void {
    const handle = this.handles.get(name);
    if (handle === undefined) return;
    clearTimeout(handle);
    this.handles.delete(name);
  }

  has(name: string): boolean {
    return this.handles.has(name);
  }

  stopAll(): void {
    for (const handle of this.handles.values()) clearTimeout(handle);
    this.handles.clear();
  }
}
