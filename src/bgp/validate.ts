// Semantics of a decoded UPDATE in its session's context, pure (GoBGP's
// validate.go beside its decoder): the decoder checks what the bytes alone
// can tell; what depends on who sent them is checked here.
//
// - RFC 4271 §6.3 / RFC 7606 §7.2: from an external neighbor, AS_PATH must
//   not carry confederation segments and (unless disabled) must start with
//   the neighbor's AS; both are treat-as-withdraw (RFC 7606 §7.2).
// - RFC 4271 §6.3 / RFC 7606 §7.3: a NEXT_HOP that is the receiving
//   speaker's own address is treat-as-withdraw.
// - RFC 6793 §4.2.3: from a 2-octet (OLD) speaker, the real AS path and
//   aggregator are rebuilt from AS4_PATH and AS4_AGGREGATOR; §4.1: from a
//   4-octet (NEW) speaker those two attributes are ignored.

import { mergeAs4Path } from './codec/as-path.js';
import type { PathAttributes } from './codec/attribute-types.js';
import { type BgpError, bgpError, strongestAction } from './codec/errors.js';
import { AS_TRANS, ErrorCode, MAX_TWO_OCTET_AS, SegmentType, UpdateSubcode } from './codec/iana.js';
import type { UpdateMessage } from './codec/update.js';

export interface UpdateSessionContext {
  /** iBGP (same AS) rather than eBGP. */
  readonly internal: boolean;
  /** The neighbor's configured AS. */
  readonly peerAsn: number;
  /** RFC 4271 §6.3 first-AS check on external sessions (on by default, as in FRR and BIRD). */
  readonly enforceFirstAs: boolean;
  /** 4-octet AS negotiated (RFC 6793). */
  readonly asn4: boolean;
  /** Our address on this session (canonical text), or null when unknown. */
  readonly localAddress: string | null;
}

export interface ValidatedUpdate {
  /** The attributes to use: AS4 merged or dropped as RFC 6793 says. */
  readonly attributes: PathAttributes;
  /** The decoder's errors followed by those found here. */
  readonly errors: readonly BgpError[];
  /** RFC 7606: every prefix of the UPDATE is withdrawn instead of announced. */
  readonly treatAsWithdraw: boolean;
}

function sessionError(subcode: number, reason: string): BgpError {
  return bgpError(ErrorCode.updateMessage, subcode, reason, new Uint8Array(0), 'treat-as-withdraw');
}

/** The checks that need the session; only for UPDATEs that announce something. */
export function sessionErrors(update: UpdateMessage, context: UpdateSessionContext): BgpError[] {
  const errors: BgpError[] = [];
  const announces = update.nlri.count > 0 || (update.attributes.mpReach?.prefixes?.count ?? 0) > 0;
  if (!announces) return errors;
  const path = update.attributes.asPath;
  if (!context.internal) {
    const confederation = path?.some(
      (s) => s.type === SegmentType.confedSequence || s.type === SegmentType.confedSet,
    );
    if (confederation === true) {
      errors.push(
        sessionError(
          UpdateSubcode.malformedAsPath,
          'AS_PATH has confederation segments from an external neighbor',
        ),
      );
    } else if (context.enforceFirstAs) {
      const first = path?.[0];
      const leftmost = first?.type === SegmentType.asSequence ? first.asns[0] : undefined;
      const peerAs = context.peerAsn;
      // A 2-octet speaker writes AS_TRANS for a 4-octet neighbor AS (RFC 6793 §4.2.2).
      if (leftmost !== peerAs && !(leftmost === AS_TRANS && peerAs > MAX_TWO_OCTET_AS)) {
        errors.push(
          sessionError(
            UpdateSubcode.malformedAsPath,
            `leftmost AS ${leftmost ?? 'none'} is not the neighbor's AS ${peerAs}`,
          ),
        );
      }
    }
  }
  const own = context.localAddress;
  if (own !== null && update.nlri.count > 0 && update.attributes.nextHop === own) {
    errors.push(
      sessionError(UpdateSubcode.invalidNextHopAttribute, `NEXT_HOP ${own} is this speaker's own address`),
    );
  }
  return errors;
}

/** RFC 6793 §4.1: a NEW speaker ignores AS4_PATH and AS4_AGGREGATOR from a NEW speaker. */
export function withoutAs4(attributes: PathAttributes): PathAttributes {
  if (attributes.as4Path === undefined && attributes.as4Aggregator === undefined) return attributes;
  return { ...attributes, as4Path: undefined, as4Aggregator: undefined };
}

/** RFC 6793 §4.2.3: the real AS path and aggregator of a route from an OLD (2-octet) speaker. */
export function withAs4Merged(attributes: PathAttributes): PathAttributes {
  const asPath =
    attributes.asPath === undefined ? undefined : mergeAs4Path(attributes.asPath, attributes.as4Path);
  const aggregator =
    attributes.aggregator !== undefined &&
    attributes.aggregator.asn === AS_TRANS &&
    attributes.as4Aggregator !== undefined
      ? attributes.as4Aggregator
      : attributes.aggregator;
  return { ...attributes, asPath, aggregator, as4Path: undefined, as4Aggregator: undefined };
}

/** The UPDATE as the RIB should take it, with every error found (decoder's and session's). */
export function validateUpdate(
  update: UpdateMessage,
  decodeErrors: readonly BgpError[],
  context: UpdateSessionContext,
): ValidatedUpdate {
  const found = sessionErrors(update, context);
  const errors = found.length > 0 ? [...decodeErrors, ...found] : decodeErrors;
  return {
    attributes: context.asn4 ? withoutAs4(update.attributes) : withAs4Merged(update.attributes),
    errors,
    treatAsWithdraw: strongestAction(errors) === 'treat-as-withdraw',
  };
}
