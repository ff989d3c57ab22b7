import { ConfigError } from '../config/index.js';

type Stop = () => Promise<void>;

/**
 * Runs a process entry point: a bad setting or a failed start prints one message and exits 1 (no stack trace);
 * SIGINT/SIGTERM call the returned stop function once, a second signal exits at once.
 */
export function runMain(name: string, start: () => Promise<Stop>): void {
  let stop: Stop | undefined;
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) process.exit(130);
    stopping = true;
    process.stderr.write(`${name}: ${signal}, stopping...\n`);
    (stop ?? (() => Promise.resolve()))().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`${name}: error while stopping: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  start().then(
    (stopFn) => {
      stop = stopFn;
    },
    (error: unknown) => {
      process.stderr.write(
        error instanceof ConfigError
          ? `${name}: ${error.message}\n`
          : `${name}: failed to start: ${describeError(error)}\n`,
      );
      process.exit(1);
    },
  );
}

/**
 * What a start-up failure prints: its message, no stack trace (a failure to start is about the machine or a
 * setting, and its message says which); LOG_LEVEL=debug or trace adds the stack.
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return ['debug', 'trace'].includes(process.env.LOG_LEVEL ?? '') ? (error.stack ?? error.message) : error.message;
}

/** A setting a standalone process needs even though npm start would provide it. */
export function required<T>(value: T | undefined, variable: string, why: string): T {
  if (value === undefined) throw new ConfigError(`Invalid configuration:\n  ${variable}: required by ${why}`);
  return value;
}
