// The request schemas with their checkers, loaded together on the first
// request that has a body or query to check (routes.ts): zod costs some
// 10 MB of RSS, which an idle agent nobody queries should not pay.

export * from './requests.js';
export { checkedBody, checkedQuery } from './validate.js';
