import type { z } from 'zod';
import { InvalidInput } from '../domain/errors.js';
import { describeZodError } from './http-error.js';

/** Parses a request part with a zod schema; a 400 that names the wrong fields otherwise. */
export function parseOr400<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new InvalidInput(describeZodError(result.error));
  return result.data;
}
