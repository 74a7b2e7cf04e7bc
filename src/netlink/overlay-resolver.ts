// Next-hop resolution with the overlay in it: the kernel view's facts about
// a BGP next hop (connected or not, reachable through the underlay or not,
// the device there and up) go through planNextHop (overlay-plan.ts), and
// the answer is what the desired state (desired.ts) resolves hop sets with.

import type { NextHopResolver } from './desired.js';
import { addressBytes, type KernelView, type Resolution } from './kernel-view.js';
import { type OverlayMode, planNextHop } from './overlay-plan.js';

export interface OverlaySettings {
  readonly mode: OverlayMode;
  readonly device: string;
  /** AF_INET or AF_INET6: the family of the local underlay address. */
  readonly family: number;
}

export class OverlayResolver implements NextHopResolver {
  constructor(
    private readonly view: KernelView,
    private readonly settings: OverlaySettings,
  ) {}

  /** The device's interface index now (0: not there). */
  get deviceIndex(): number {
    return this.view.interfaceByName(this.settings.device)?.index ?? 0;
  }

  resolve(address: string, interfaceName?: string): Resolution | null {
    const parsed = addressBytes(address);
    if (parsed === null) return null;
    const state = this.view.interfaceByName(this.settings.device);
    const device =
      state === null ? null : { ifindex: state.index, up: state.up, family: this.settings.family };
    const plan = planNextHop(
      this.settings.mode,
      parsed.bytes,
      this.view.underlay(parsed.family, parsed.bytes),
      device,
    );
    switch (plan.kind) {
      case 'plain':
        return this.view.resolve(address, interfaceName);
      case 'unreachable':
        return null;
      case 'overlay':
        return { hop: plan.hop, cost: plan.cost };
    }
  }
}
