import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';

export interface ReportPushInput {
  sessionId: string;
  /** The calculation that asked for this push; a push superseded by a newer calculation's stops. */
  version: number;
}

/**
 * Pushes a session's report to REPORT_WEBHOOK_URL until the receiver takes it: a receiver down for hours is
 * retried every few minutes, a refusal (4xx) a few times only. Runs beside the session, never on its path.
 */
const push = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '5 minutes',
    nonRetryableErrorTypes: ['ProviderRefused'],
  },
});

export async function reportPushWorkflow(input: ReportPushInput): Promise<string> {
  return push.pushReport(input.sessionId, input.version);
}
