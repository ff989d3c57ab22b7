import type { ErrorRequestHandler } from 'express';
import type { ZodError } from 'zod';
import {
  Conflict,
  InvalidInput,
  NotFound,
  ProviderRefused,
  SessionNotRunning,
  Unavailable,
  type RollcallError,
} from '../domain/errors.js';
import type { Logger } from '../logger.js';

/** An HTTP concern with no meaning outside the edge (authentication, content type), with the message to answer. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** The one table from neutral errors to HTTP: each answers its status with its own (caller-facing) message. */
export const HTTP_STATUS_OF = new Map<abstract new (...args: never[]) => RollcallError, number>([
  [InvalidInput, 400],
  [NotFound, 404],
  [SessionNotRunning, 404],
  [Conflict, 409],
  [ProviderRefused, 502],
  [Unavailable, 503],
]);

/** The status and body an error is answered with; undefined for an unexpected error (a 500 without detail). */
export function httpAnswerOf(
  error: unknown,
): { status: number; body: { error: string; details?: unknown } } | undefined {
  if (error instanceof HttpError)
    return {
      status: error.status,
      body: { error: error.message, ...(error.details === undefined ? {} : { details: error.details }) },
    };
  for (const [type, status] of HTTP_STATUS_OF)
    if (error instanceof type) return { status, body: { error: error.message } };
  // body-parser errors (malformed JSON, too large) carry their own 4xx status.
  const status = (error as { status?: number } | undefined)?.status;
  if (typeof status === 'number' && status >= 400 && status < 500)
    return { status, body: { error: (error as Error).message } };
  return undefined;
}

/** The first few zod issues as `path: message`, so a 400 says which field is wrong. */
export function describeZodError(error: ZodError, limit = 5): string {
  const lines = error.issues
    .slice(0, limit)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(body)'}: ${issue.message}`);
  if (error.issues.length > limit) lines.push(`... and ${error.issues.length - limit} more`);
  return lines.join('; ');
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const answer = httpAnswerOf(error);
    // What went wrong inside (the error, its cause) is logged, never answered.
    if (!answer) {
      logger.error({ err: error, method: req.method, path: req.path }, 'request failed');
      res.status(500).json({ error: 'internal error' });
      return;
    }
    if (answer.status >= 500 && error instanceof Error && error.cause !== undefined)
      logger.warn({ err: error, method: req.method, path: req.path }, 'request answered unavailable');
    res.status(answer.status).json(answer.body);
  };
}
