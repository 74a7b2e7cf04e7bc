// A request's body or query read through its schema (./requests.ts): the
// checked value the route works with, or HTTP 400 with the first wrong field
// in one line, said as configuration file mistakes are.

import type { z } from 'zod';
import { describeValueIssue } from '../util/zod-issue.js';
import { ApiError } from './server.js';

function checked<S extends z.ZodType>(schema: S, input: unknown, root: string): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new ApiError(
    400,
    issue === undefined ? `${root}: not valid` : describeValueIssue(issue, input, root),
  );
}

/** A JSON body; none at all reads as {} (every field then missing or defaulted). */
export function checkedBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  return checked(schema, body ?? {}, 'request body');
}

/** Query parameters; a name given twice counts once, its first value (as URLSearchParams.get). */
export function checkedQuery<S extends z.ZodType>(schema: S, query: URLSearchParams): z.output<S> {
  const first = new Map<string, string>();
  for (const [name, value] of query) if (!first.has(name)) first.set(name, value);
  return checked(schema, Object.fromEntries(first), 'query');
}
