// `agent --cleanup`: the clean removal that SIGTERM no longer does (it keeps
// forwarding for Graceful Restart). Removes the kernel routes with our
// protocol id in our table and the OVS flows with our cookie, and nothing
// else, using the writers' own ownership rules.

import { answers } from '../api/server.js';
import type { AgentConfig } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { overlayWriterConfig } from './agent.js';

export interface CleanupResult {
  /** Kernel routes removed (null: the kernel writer is disabled). */
  readonly kernelRoutes: number | null;
  /** Our flows left on the bridge afterwards (null: OVS disabled or unreachable). */
  readonly ovsFlowsLeft: number | null;
}

/** A running agent would put everything back at once: refuse while one answers on the socket. */
export class AgentRunningError extends Error {}

export async function cleanupForwardingState(config: AgentConfig, log: Logger): Promise<CleanupResult> {
  if (await answers(config.api.socket)) {
    throw new AgentRunningError(
      `an agent is running on ${config.api.socket}: stop it first (systemctl stop agent), then run --cleanup`,
    );
  }
  let kernelRoutes: number | null = null;
  if (config.fib.kernel.enabled) {
    const { KernelWriter } = await import('../netlink/writer.js');
    const { table, protocol, metric } = config.fib.kernel;
    // Starting adopts every route we own; with nothing wanted, removeAll takes them
    // all, then the overlay's device (created by the start if it was gone: harmless).
    const kernel = new KernelWriter(
      { table, protocol, metric, reconcileIntervalMs: 0, overlay: overlayWriterConfig(config) },
      log,
    );
    await kernel.start();
    try {
      kernelRoutes = await kernel.removeAll();
    } finally {
      await kernel.stop();
    }
  }
  let ovsFlowsLeft: number | null = null;
  if (config.fib.ovs.enabled) {
    const { OvsWriter } = await import('../ovs/writer.js');
    // Its first sync converges the bridge to what is wanted: none of our flows.
    const ovs = new OvsWriter(config.fib.ovs, { logger: log, options: { startTimeoutMs: 5000 } });
    await ovs.start();
    try {
      await ovs.flush();
      ovsFlowsLeft = (await ovs.show()).length;
    } catch (error) {
      log.error({ err: String(error) }, 'ovs: cannot reach the bridge; its flows stay');
    } finally {
      await ovs.stop();
    }
  }
  return { kernelRoutes, ovsFlowsLeft };
}
