// The BGP-4 wire codec: pure functions from bytes to typed values and back.
export * from './as-path.js';
export { AttributeFault } from './attribute-fault.js';
export * from './attribute-types.js';
export * from './capabilities.js';
export * from './context.js';
export * from './errors.js';
export * from './header.js';
export * from './iana.js';
export * from './message.js';
export * from './nlri.js';
export * from './notification.js';
export * from './open.js';
export * from './pack.js';
export { decodePathAttributes, encodePathAttributes, forPropagation } from './path-attributes.js';
export * from './route-refresh.js';
export * from './update.js';
export { BufferWriter } from './writer.js';
