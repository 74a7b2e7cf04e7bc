// Starting the injector (bench/injector.ts) next to a receiver, shared by
// bench/rib and bench/fib: its argv, and waiting until both ends of the
// session say Established.

import { fileURLToPath } from 'node:url';
import { type ManagedProcess, startProcess } from '../../lab/process.js';
import { sleep } from './clock.js';
import type { CaseName } from './feed.js';
import type { Receiver } from './receivers.js';

export const INJECTOR_JS = fileURLToPath(new URL('../injector.js', import.meta.url));

export interface InjectorSetup {
  readonly caseName: CaseName;
  readonly prefixes: number;
  /** The injector's own addresses on the link (its IPv4 one is also the next hop and router ID). */
  readonly local: { readonly v4: string; readonly v6: string };
  /** The receiver's IPv4 address, connected to. */
  readonly receiver: string;
  readonly asn: number;
  readonly holdSeconds: number;
  readonly namespace: string;
  readonly stateDir: string;
}

/** The injector, pre-encoding the feed and waiting at Established for SIGUSR1 (--wait-go). */
export function startInjector(setup: InjectorSetup): Promise<ManagedProcess> {
  return startProcess({
    name: 'injector',
    argv: [
      process.execPath,
      INJECTOR_JS,
      ...['--case', setup.caseName, '--prefixes', String(setup.prefixes)],
      ...['--connect', setup.receiver, '--local', setup.local.v4],
      ...['--next-hop', setup.local.v4, '--next-hop6', setup.local.v6],
      ...['--asn', String(setup.asn), '--router-id', setup.local.v4, '--hold', String(setup.holdSeconds)],
      '--wait-go',
    ],
    stateDir: setup.stateDir,
    namespace: setup.namespace,
  });
}

export async function waitReceiverEstablished(receiver: Receiver, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await receiver.established().catch(() => false)) return;
    if (Date.now() > deadline)
      throw new Error(`${receiver.name} does not report the session Established within ${timeoutMs} ms`);
    await sleep(100);
  }
}
