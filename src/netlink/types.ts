// The kernel writer's configuration and what it reports through: plain
// interfaces, so that its parts (programmer.ts, monitor.ts, ...) and their
// tests need neither pino nor prom-client.

export interface KernelWriterConfig {
  readonly table: number;
  readonly protocol: number;
  readonly metric: number;
  /** Full comparison with the kernel this often (0: only at start and after notifications). */
  readonly reconcileIntervalMs: number;
  /** The cross-subnet VXLAN overlay (absent or null: none, every route plain). */
  readonly overlay?: OverlayWriterConfig | null;
}

/** The overlay as the kernel writer takes it (overlay-device.ts, overlay-resolver.ts). */
export interface OverlayWriterConfig {
  readonly mode: 'cross-subnet' | 'always';
  readonly device: string;
  readonly vni: number;
  readonly port: number;
  readonly mtu: number | null;
  /** This node's underlay address (text). */
  readonly localAddress: string;
}

/** Whose routes are ours: our protocol id in our table. */
export interface RouteOwner {
  readonly protocol: number;
  readonly table: number;
}

export interface WriterLog {
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
  debug(fields: Record<string, unknown>, message: string): void;
}

export interface KernelWriterMetrics {
  routes(version: 4 | 6, installed: number): void;
  repaired(count: number): void;
  failed(count: number): void;
  batch(routes: number, milliseconds: number): void;
}

export const noMetrics: KernelWriterMetrics = {
  routes: () => {},
  repaired: () => {},
  failed: () => {},
  batch: () => {},
};

export interface OverlayMetrics {
  /** 1 while the device is there as configured, 0 while it cannot be made. */
  deviceUp(up: boolean): void;
  /** The device could not be created or changed. */
  deviceFailed(): void;
  /** Entries (or the device) put back after a change outside the agent. */
  repaired(count: number): void;
  /** Remote VTEPs with entries now. */
  vteps(count: number): void;
}

export const noOverlayMetrics: OverlayMetrics = {
  deviceUp: () => {},
  deviceFailed: () => {},
  repaired: () => {},
  vteps: () => {},
};

/** Where command datagrams go: command-channel.ts's CommandChannel, or a fake in tests. */
export interface CommandSink {
  send(datagram: Uint8Array): void;
  /** False while the channel holds as many datagrams as it will: wait for it to drain. */
  readonly canSend: boolean;
}
