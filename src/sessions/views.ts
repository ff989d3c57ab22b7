/** How a session and its workflow summary are shown, by the API and by `rollcall status --json` alike. */
import type { z } from 'zod';
import type { Config } from '../config/index.js';
import type { SessionRow } from '../db/sessions.js';
import { workflowUiUrl } from '../infra/temporal-ui.js';
import type { SessionSummary } from '../workflows/messages.js';
import type { sessionDetailSchema, sessionStateSchema } from '../schemas/sessions.js';

const utc = (epochMs: number | undefined) => (epochMs === undefined ? null : new Date(epochMs).toISOString());

export function presentState(summary: SessionSummary): z.output<typeof sessionStateSchema> {
  return {
    ...summary,
    meetingStartedAt: utc(summary.meetingStartedAt),
    meetingEndedAt: utc(summary.meetingEndedAt),
    calculationDueAt: utc(summary.calculationDueAt),
    calculatedAt: utc(summary.calculatedAt),
  };
}

export function presentSession(
  config: Config,
  row: SessionRow,
  state: SessionSummary | null,
): z.input<typeof sessionDetailSchema> {
  return {
    ...row,
    scheduledStart: utc(row.scheduledStart),
    scheduledEnd: utc(row.scheduledEnd),
    meetingStarted: utc(row.meetingStarted),
    meetingEnded: utc(row.meetingEnded),
    calculatedAt: utc(row.calculatedAt),
    createdAt: new Date(row.createdAt).toISOString(),
    state: state && presentState(state),
    temporalUiUrl: workflowUiUrl(config, row.workflowId),
  };
}
