/** How a session and its workflow summary are shown, by the API and by `rollcall status --json` alike. */
import type { z } from 'zod';
import type { Config } from '../config/index.js';
import type { SessionRow } from '../db/sessions.js';
import { workflowUiUrl } from '../infra/temporal-ui.js';
import type { SessionSummary } from '../workflows/messages.js';
import type { sessionDetailSchema, sessionStateSchema } from '../schemas/sessions.js';
import { toIso, toIsoOrNull } from '../time.js';

export function presentState(summary: SessionSummary): z.output<typeof sessionStateSchema> {
  return {
    ...summary,
    meetingStartedAt: toIsoOrNull(summary.meetingStartedAt),
    meetingEndedAt: toIsoOrNull(summary.meetingEndedAt),
    calculationDueAt: toIsoOrNull(summary.calculationDueAt),
    calculatedAt: toIsoOrNull(summary.calculatedAt),
  };
}

export function presentSession(
  config: Config,
  row: SessionRow,
  state: SessionSummary | null,
): z.input<typeof sessionDetailSchema> {
  return {
    ...row,
    scheduledStart: toIsoOrNull(row.scheduledStart),
    scheduledEnd: toIsoOrNull(row.scheduledEnd),
    meetingStarted: toIsoOrNull(row.meetingStarted),
    meetingEnded: toIsoOrNull(row.meetingEnded),
    calculatedAt: toIsoOrNull(row.calculatedAt),
    createdAt: toIso(row.createdAt),
    state: state && presentState(state),
    temporalUiUrl: workflowUiUrl(config, row.workflowId),
  };
}
