// A zod issue said in one line, the way the agent says every input mistake
// (the configuration file, a control API request): where, what was there,
// and the fix, which each schema message spells out ("must be ...").

import type { z } from 'zod';

/** ['neighbors', 0, 'asn'] -> "neighbors[0].asn"; the empty path is `root`. */
export function formatPath(path: readonly PropertyKey[], root = '(top level)'): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') text += `[${part}]`;
    else text += text === '' ? String(part) : `.${String(part)}`;
  }
  return text === '' ? root : text;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current;
}

/** The offending value as the line quotes it; left out when long. */
function describeValue(value: unknown): string {
  if (value === undefined) return '';
  const text = typeof value === 'string' ? `"${value}"` : JSON.stringify(value);
  return text !== undefined && text.length <= 40 ? ` ${text}` : '';
}

/**
 * 'field: missing; it must be ...' when nothing was given,
 * 'field: "value" is not valid: must be ...' when something wrong was.
 */
export function describeValueIssue(issue: z.core.$ZodIssue, input: unknown, root?: string): string {
  const where = formatPath(issue.path, root);
  const value = valueAt(input, issue.path);
  // An absent enum is an invalid_value in zod 4, not an invalid_type: missing all the same.
  if ((issue.code === 'invalid_type' || issue.code === 'invalid_value') && value === undefined)
    return `${where}: missing; it ${issue.message}`;
  if (issue.code === 'custom' && value === undefined) return `${where}: missing; ${issue.message}`;
  return `${where}:${describeValue(value)} is not valid: ${issue.message}`;
}
