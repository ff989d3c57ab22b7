import { WorkflowNotFoundError, WorkflowUpdateRPCTimeoutOrCancelledError, type Client } from '@temporalio/client';
import { CommanderError } from 'commander';
import { isTemporalUnavailable, within } from '../sessions/temporal-errors.js';
import { ConfigError, loadConfig, type Config } from '../config/index.js';
import { createPool, type Pool } from '../db/pool.js';
import { required } from '../infra/run-main.js';
import { createClient, temporalAddress } from '../infra/temporal-client.js';

/** A failure the operator should read as one line; the exit code says what kind. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Exit codes: 0 done, 1 the work failed (including non-determinism found by replay), 2 bad configuration or usage. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

const CONNECT_BUDGET_MS = 5_000;

/** What a command works with; Temporal and PostgreSQL are connected on first use, so commands needing neither work without them. */
export class CliContext {
  private client?: Client;
  private connected?: Promise<void>;
  private pool?: Pool;

  constructor(readonly config: Config) {}

  temporal(): Client {
    return (this.client ??= createClient(this.config));
  }

  database(): Pool {
    return (this.pool ??= createPool(
      required(this.config.databaseUrl, 'DATABASE_URL', 'this command (it reads the sessions table)'),
      4,
    ));
  }

  /**
   * A Temporal call bounded in wall time: the SDK would otherwise keep reconnecting to a server that is down,
   * and an update waits indefinitely for a worker that is not running.
   */
  async call<T>(budgetMs: number, what: string, call: () => Promise<T>): Promise<T> {
    const client = this.temporal();
    // Connect first, so "Temporal is down" is not mistaken for "no worker answered" when the budget runs out.
    const unreachable = (why: string) =>
      new CliError(`Temporal is unreachable at ${temporalAddress(this.config)} (${why})`);
    this.connected ??= within(CONNECT_BUDGET_MS, client.connection.ensureConnected(), unreachable('no answer')).catch(
      (error: unknown) => {
        throw error instanceof CliError ? error : unreachable(error instanceof Error ? error.message : String(error));
      },
    );
    await this.connected;
    const seconds = `${Math.round(budgetMs / 1000)} s`;
    const attempt = client.withDeadline(Date.now() + budgetMs, call).catch((error: unknown) => {
      if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
        throw new CliError(
          `${what} did not finish within ${seconds}; is a worker polling task queue "${this.config.temporal.taskQueue}"?`,
        );
      }
      throw error;
    });
    return within(
      budgetMs + 1_000,
      attempt,
      new CliError(`${what}: Temporal at ${temporalAddress(this.config)} did not answer within ${seconds}`),
    );
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.client?.connection.close(), this.pool?.end()]);
  }
}

/** One line for any failure: the message an operator can act on, never a stack trace. */
export function errorMessage(error: unknown, config: Config | undefined): string {
  if (isTemporalUnavailable(error))
    return `Temporal is unreachable at ${config ? temporalAddress(config) : 'its address'}`;
  if (error instanceof WorkflowNotFoundError) return `workflow ${error.workflowId}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Turns a command body into a commander action: reads the configuration (a bad setting exits 2 with its
 * message), runs the body, prints one line on failure and sets the exit code; connections are always closed.
 */
export function action<A extends unknown[]>(
  body: (ctx: CliContext, ...args: A) => Promise<number | void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    let ctx: CliContext | undefined;
    try {
      ctx = new CliContext(loadConfig());
      process.exitCode = (await body(ctx, ...args)) ?? EXIT.ok;
    } catch (error) {
      if (error instanceof CommanderError) throw error;
      process.stderr.write(`rollcall: ${errorMessage(error, ctx?.config)}\n`);
      process.exitCode =
        error instanceof ConfigError ? EXIT.usage : error instanceof CliError ? error.exitCode : EXIT.failed;
    } finally {
      await ctx?.close();
    }
  };
}

/** Writes a line to stdout (results; progress and errors go to stderr). */
export function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}
