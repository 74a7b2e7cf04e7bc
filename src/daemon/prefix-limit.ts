// Executes one neighbor's max-prefix check (src/bgp/max-prefix.ts decides):
// warnings to the log, the Cease that closes the session, and the timer
// that starts it again.

import type { AddressFamily } from '../bgp/family.js';
import { checkMaxPrefix, initialMaxPrefixState, type MaxPrefixLimit } from '../bgp/max-prefix.js';
import type { Peer } from '../bgp/peer.js';
import type { LogSink } from '../log/logger.js';
import type { NamedTimers } from './named-timers.js';

const RESTART_TIMER = 'max-prefix restart';

export class PrefixLimit {
  private state = initialMaxPrefixState;

  constructor(
    private readonly peer: Peer,
    private readonly timers: NamedTimers,
    private readonly log: LogSink,
  ) {}

  /** A new session counts and warns afresh. */
  reset(): void {
    this.state = initialMaxPrefixState;
  }

  /** Checks `accepted` prefixes of `family`; false when the session was closed (the rest of the UPDATE is moot). */
  check(limit: MaxPrefixLimit, family: AddressFamily, accepted: number): boolean {
    const result = checkMaxPrefix(limit, this.state, family, accepted);
    this.state = result.state;
    let open = true;
    for (const action of result.actions) {
      switch (action.type) {
        case 'warn':
          this.log.warn({ neighbor: this.peer.address, ...action.fields }, action.message);
          break;
        case 'cease':
          this.log.warn({ neighbor: this.peer.address, ...action.fields }, action.message);
          this.peer.stop(action.subcode, undefined, action.data);
          open = false;
          break;
        case 'start-restart-timer':
          this.timers.start(RESTART_TIMER, action.seconds * 1000, () => this.peer.start());
          break;
        default: {
          const unreachable: never = action;
          throw new Error(`unknown max-prefix action ${JSON.stringify(unreachable)}`);
        }
      }
    }
    return open;
  }
}
