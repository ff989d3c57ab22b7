import { allHandlersFinished, condition, continueAsNew, setHandler } from '@temporalio/workflow';
import type { MeetingEndedEvent } from '../domain/index.js';
import {
  endUpdate,
  factsSignal,
  presenceQuery,
  recalculateUpdate,
  summaryQuery,
  type SessionSummary,
} from './messages.js';
import { nextAction } from './session-loop.js';
import { SessionRun, type SessionWorkflowInput } from './session-run.js';

export type { CarriedState, SessionWorkflowInput } from './session-run.js';

/**
 * One class session, from registration (or the first fact of an ad-hoc meeting) to its final attendance.
 * Handlers fold facts and take requests; the loop does what `nextAction` says, one timer at a time.
 */
export async function sessionWorkflow(input: SessionWorkflowInput): Promise<SessionSummary> {
  const run = new SessionRun(input);

  setHandler(factsSignal, (facts) => run.receive(facts));
  setHandler(presenceQuery, (now) => run.presence(now));
  setHandler(summaryQuery, () => run.summary());
  setHandler(
    endUpdate,
    (end) => {
      run.receive([end]);
      return run.summary();
    },
    {
      validator: (end: MeetingEndedEvent) => {
        if (end?.kind !== 'meeting-ended' || !Number.isFinite(end.at))
          throw new Error('an end needs kind meeting-ended and a finite time');
      },
    },
  );
  setHandler(recalculateUpdate, async () => {
    const ticket = run.requestRecalculation();
    await condition(() => run.served(ticket));
    return run.summary();
  });

  if (!input.carried) await run.start();
  for (;;) {
    await run.publish();
    const view = run.view(Date.now(), allHandlersFinished());
    const action = nextAction(view);
    switch (action.kind) {
      case 'seed':
        await run.seed();
        break;
      case 'calculate':
        await run.calculate(action.auto);
        break;
      case 'hard-stop':
        await run.hardStop();
        break;
      case 'reconcile':
        await run.reconcile();
        break;
      case 'continue-as-new':
        return continueAsNew<typeof sessionWorkflow>(run.continueAsNewInput());
      case 'finish':
        return run.summary();
      case 'wait': {
        const seen = run.version;
        // Wake for what changes the next action: a handler's news, the handlers finishing, continue-as-new becoming
        // due.
        const wake = () =>
          run.version !== seen ||
          (action.forHandlers && allHandlersFinished()) ||
          (!view.continueAsNewDue && run.continueAsNewDue());
        if (action.until === Infinity) await condition(wake);
        else await condition(wake, Math.max(1, action.until - Date.now()));
      }
    }
  }
}
