import { WorkflowNotFoundError } from '@temporalio/client';
import { Command, InvalidArgumentError } from 'commander';
import { isoTime } from '../../schemas/common.js';
import { presentState } from '../../sessions/views.js';
import { getSession } from '../../db/sessions.js';
import { SessionNotRunning } from '../../domain/errors.js';
import { endSession } from '../../sessions/workflow-client.js';
import { action, CliError, say } from '../context.js';
import { iso } from '../format.js';

const BUDGET_MS = 10_000;

/** `--at`: the same ISO-8601 form the API's end route takes. */
function parseAt(text: string): number {
  if (!isoTime.safeParse(text).success)
    throw new InvalidArgumentError('expected an ISO-8601 date-time with an offset, e.g. 2026-11-21T10:45:00Z');
  return Date.parse(text);
}

export function endCommand(): Command {
  return new Command('end')
    .description(
      "end a session's meeting as the provider's end event would; the final calculation follows after CALCULATION_DELAY",
    )
    .argument('<sessionId>', 'the session id')
    .option('--at <time>', 'when the meeting ended (ISO-8601); default now', parseAt)
    .option('--json', 'print the workflow summary as JSON')
    .action(
      action(async (ctx, sessionId: string, options: { at?: number; json?: boolean }) => {
        const session = await getSession(ctx.database(), sessionId);
        if (!session) throw new CliError(`no session ${sessionId}`);
        const summary = await ctx
          .call(BUDGET_MS, `ending session ${sessionId}`, () =>
            endSession(ctx.temporal(), ctx.database(), session, options.at),
          )
          .catch((error: unknown) => {
            if (error instanceof WorkflowNotFoundError || error instanceof SessionNotRunning)
              throw new CliError(`session ${sessionId} has no running workflow (finished, or never started)`);
            throw error;
          });
        if (options.json) return say(JSON.stringify(presentState(summary), null, 2));
        say(
          `ended session ${sessionId}: meeting end ${iso(summary.meetingEndedAt)}, phase ${summary.phase}, final calculation due ${iso(summary.calculationDueAt)}`,
        );
      }),
    );
}
