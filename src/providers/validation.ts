import type { z } from 'zod';
import type { InvalidWebhook } from './common.js';

const MAX_ISSUES = 3;

export type Checked<T> = { ok: true; value: T } | { ok: false; invalid: InvalidWebhook };

/** Validates a webhook body; on failure the message lists the first few issues as `path: message`. */
export function check<S extends z.ZodType>(schema: S, body: unknown): Checked<z.output<S>> {
  const result = schema.safeParse(body);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, invalid: { type: 'invalid', message: describeIssues(result.error.issues) } };
}

export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const shown = issues.slice(0, MAX_ISSUES).map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
  const hidden = issues.length - shown.length;
  return hidden > 0 ? `${shown.join('; ')} (+${hidden} more)` : shown.join('; ');
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(body)';
  return path
    .map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`))
    .join('');
}
