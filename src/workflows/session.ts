import { allHandlersFinished, condition, continueAsNew, log, patched, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import { applyEvent, emptyState, presenceFromState, type AttendanceCounts, type AttendanceEvent, type AttendanceState } from '../domain/index.js';
import { endUpdate, eventsSignal, presenceQuery, recalculateUpdate, summaryQuery, type SessionPhase, type SessionSummary } from './messages.js';
import { ParticipantCountAttr, SessionStatusAttr } from './search-attributes.js';
import type { SessionSpec, SessionTimings } from './types.js';

/** What a continued run takes over from the previous one: plain JSON (no Map or Set), small with the session. */
export interface CarriedState {
  state: AttendanceState;
  /** Accepted events not yet written to the event log. */
  pending: AttendanceEvent[];
  /** Workflow time the end (meeting end or hard stop) became known: the grace delay runs from here. */
  endSeenAt?: number;
  /** Workflow time of the first calculation after the meeting ended; starts the late-event window. */
  finalizedAt?: number;
  calculatedAt?: number;
  calculations: number;
  /** Events were accepted since the last calculation (late events: recalculate). */
  dirty: boolean;
  /** Workflow time of the last accepted event; an ad-hoc session stops after SESSION_MAX_OVERRUN of silence. */
  lastActivityAt: number;
  acceptedEvents: number;
  lastCounts?: AttendanceCounts;
  /** Workflow time of the last reconcile tick. */
  lastReconcileAt?: number;
}

export interface SessionWorkflowInput {
  session: SessionSpec;
  timings: SessionTimings;
  /** REPORT_WEBHOOK_URL is set: push every calculated report. */
  pushReports?: boolean;
  /** Ask the provider who is really in the room every RECONCILE_INTERVAL while the meeting runs (LiveKit with LIVEKIT_URL). */
  reconcile?: boolean;
  /** Continue as new by this history length at the latest (CONTINUE_AS_NEW_EVENTS). */
  continueAsNewEvents?: number;
  carried?: CarriedState;
}

/** Events per activity call: keeps each payload far below Temporal's 2 MB limit. */
const MAX_BATCH = 500;
/**
 * How long accepted events may wait before they are written to the event log. They are durable in the
 * workflow's history from the moment the signal is accepted; writing them once a second (or per MAX_BATCH)
 * instead of after every signal saves a busy session an activity and a timer per signal.
 */
const FLUSH_DELAY_MS = 1_000;
/**
 * The server refuses signals past 10,000 per run and fails a run past 50,000 events or 50 MB of history; it
 * suggests continuing as new near 4,096 events or 4 MB. Continue well before the limits even without it.
 */
const MAX_SIGNALS_PER_RUN = 4_000;
/** For runs started without CONTINUE_AS_NEW_EVENTS in their input: what they were started to do. */
const DEFAULT_MAX_HISTORY_EVENTS = 8_000;
const MAX_HISTORY_BYTES = 8 * 1024 * 1024;
/** How often (workflow time) the ParticipantCount search attribute may be refreshed. */
const COUNT_REFRESH_MS = 10_000;

// No attempt limit: the database may be down for a while, and nothing may be lost.
const retry = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' };
/**
 * Writes to PostgreSQL take milliseconds; a short timeout means a task handed to a worker that then died is
 * retried on a live one within seconds, not after a minute.
 */
const activities = proxyActivities<Activities>({ startToCloseTimeout: '20 seconds', retry });
/** A big session's calculation may take a while: it heartbeats instead, so a dead worker is noticed as quickly. */
const calculation = proxyActivities<Activities>({ startToCloseTimeout: '10 minutes', heartbeatTimeout: '10 seconds', retry });

/** Optional work (a reconcile, scheduling a report sync): when it cannot be done, skip it rather than hold up the session. */
const bestEffort = proxyActivities<Activities>({ startToCloseTimeout: '15 seconds', retry: { maximumAttempts: 3, initialInterval: '1 second' } });

const latest = (times: number[]) => (times.length ? Math.max(...times) : undefined);
const earliest = (times: number[]) => (times.length ? Math.min(...times) : undefined);

/**
 * One class session, from registration (or the first webhook of an ad-hoc meeting) to its final attendance.
 * Signals bring provider events; the compact engine state answers presence; the event log is written in
 * batches by activities; one timer at a time waits for the next deadline: final calculation after the meeting
 * end + grace, hard stop when no end ever comes, and the end of the late-event window.
 */
export async function sessionWorkflow(input: SessionWorkflowInput): Promise<SessionSummary> {
  const { session, timings, pushReports = false, reconcile = false, continueAsNewEvents = DEFAULT_MAX_HISTORY_EVENTS, carried } = input;
  const run: CarriedState = carried ?? {
    state: emptyState(),
    pending: [],
    calculations: 0,
    dirty: false,
    lastActivityAt: Date.now(),
    acceptedEvents: 0,
  };
  const { state } = run;
  const context = { session };
  let signalsThisRun = 0;
  let recalculationsRequested = 0;
  let reportedPhase: SessionPhase | undefined;
  let reportedConnections = -1;
  let countPublishedAt = -Infinity;
  /** Report pushes run one after another beside the main loop: a receiver that is down must not delay events. */
  let pushes: Promise<unknown> = Promise.resolve();

  const endedAt = () => latest([...state.meetingEnds, ...state.hardStops]);
  // Connections are never removed: once there is one, phase() (run on every wake-up and in every replay) need
  // not list a webinar's 10,000s of them again.
  let connected = false;
  const hasConnections = () => (connected ||= Object.keys(state.connections).length > 0);
  const phase = (): SessionPhase => {
    if (run.finalizedAt !== undefined) return 'calculated';
    if (endedAt() !== undefined) return 'ended';
    return hasConnections() || state.meetingStarts.length > 0 ? 'live' : 'scheduled';
  };
  const hardStopAt = () => (session.adHoc ? run.lastActivityAt : session.scheduledEnd!) + timings.maxOverrunMs;
  const summary = (): SessionSummary => ({
    sessionId: session.id,
    phase: phase(),
    meetingStartedAt: earliest(state.meetingStarts),
    meetingEndedAt: endedAt(),
    calculationDueAt: run.finalizedAt === undefined ? calculationDueAt() : undefined,
    calculatedAt: run.calculatedAt,
    calculations: run.calculations,
    lastCounts: run.lastCounts,
    connections: Object.keys(state.connections).length,
    acceptedEvents: run.acceptedEvents,
  });

  // Runs that started before the event log was written in batches keep writing after every signal.
  const batchedFlush = patched('event-log-flush-delay');
  let pendingSince = Date.now();

  /** Folds an event into the state; only events that add a fact are logged (duplicates stop here). */
  const accept = (event: AttendanceEvent) => {
    if (!applyEvent(state, event)) return;
    if (run.pending.length === 0) pendingSince = Date.now();
    run.pending.push(event);
    run.acceptedEvents += 1;
    run.lastActivityAt = Date.now();
    if (run.finalizedAt !== undefined) run.dirty = true;
    if ((event.kind === 'meeting-ended' || event.kind === 'hard-stop') && run.endSeenAt === undefined) run.endSeenAt = Date.now();
  };
  /** An end delivered late (a provider retry) still gets the full grace delay for the stragglers around it. */
  const calculationDueAt = () => {
    const ended = endedAt();
    return ended === undefined ? undefined : Math.max(ended, run.endSeenAt ?? ended) + timings.calculationDelayMs;
  };

  setHandler(eventsSignal, (events) => {
    signalsThisRun += 1;
    for (const event of events) accept(event);
  });
  setHandler(presenceQuery, (now) => presenceFromState(state, context, now));
  setHandler(summaryQuery, summary);
  setHandler(endUpdate, ({ at }) => {
    const endAt = at ?? Date.now();
    accept({ kind: 'meeting-ended', key: `system:end:${endAt}`, at: endAt, source: 'system' });
    return summary();
  });
  setHandler(recalculateUpdate, async () => {
    const target = run.calculations + 1;
    recalculationsRequested += 1;
    await condition(() => run.calculations >= target && run.pending.length === 0);
    return summary();
  });

  /**
   * Writes the events pending now. Events accepted meanwhile wait for the next flush: under a steady stream,
   * flushing until nothing is pending would never end, and the loop would never get to continue as new.
   */
  const flush = async () => {
    let remaining = batchedFlush ? run.pending.length : Infinity;
    while (run.pending.length > 0 && remaining > 0) {
      const batch = run.pending.slice(0, Math.min(MAX_BATCH, remaining));
      await activities.recordEvents(session.id, batch);
      run.pending.splice(0, batch.length);
      remaining -= batch.length;
    }
    // What came in meanwhile is written a flush delay from now.
    pendingSince = Date.now();
  };

  /** Keeps the sessions table and the search attributes in step with the phase and the number of people seen. */
  const publish = async () => {
    const current = phase();
    // Counting people resolves every identity: in a big webinar that is done every few seconds, not per batch;
    // even counting connections waits for that (it lists every key).
    if (current !== reportedPhase || Date.now() - countPublishedAt >= COUNT_REFRESH_MS) {
      const connections = Object.keys(state.connections).length;
      if (connections !== reportedConnections) {
        upsertSearchAttributes([{ key: ParticipantCountAttr, value: presenceFromState(state, context, Date.now()).counts.seen }]);
        reportedConnections = connections;
        countPublishedAt = Date.now();
      }
    }
    if (current !== reportedPhase) {
      upsertSearchAttributes([{ key: SessionStatusAttr, value: current }]);
      await activities.recordPhase(session.id, current, earliest(state.meetingStarts), endedAt());
      reportedPhase = current;
    }
  };

  const calculate = async (auto: boolean) => {
    await flush();
    // Everything accepted but still pending is not in the log the calculation reads, nor what arrives while it runs.
    const logged = run.acceptedEvents - run.pending.length;
    const outcome = await calculation.calculateAttendance(session.id, auto);
    run.calculations += 1;
    run.calculatedAt = Date.now();
    run.lastCounts = outcome.counts;
    // Events that came in during the calculation (a retried one can take minutes) need one more, once the end
    // is known; before that, the final calculation will include them anyway.
    run.dirty = endedAt() !== undefined && run.acceptedEvents > logged && patched('recalculate-events-accepted-during-calculation');
    if (run.finalizedAt === undefined && endedAt() !== undefined) {
      run.finalizedAt = run.calculatedAt;
      // Webhooks miss people: after a Zoom meeting, its report is fetched and merged (a no-op without Zoom API credentials).
      if (session.provider === 'zoom' && patched('schedule-zoom-report-sync')) {
        await bestEffort.scheduleReportSync(session.id).catch((error: unknown) => log.warn('report sync not scheduled', { sessionId: session.id, error: String(error) }));
      }
    }
    if (pushReports) pushes = pushes.then(() => activities.pushReport(session.id));
  };

  /** Reconcile ticks only while the meeting is live: that is when webhooks can have missed a join or a leave. */
  const reconcileDueAt = () => (reconcile && phase() === 'live' ? (run.lastReconcileAt ?? 0) + timings.reconcileIntervalMs : Infinity);
  const lifecycleDeadline = (): number => {
    if (run.finalizedAt !== undefined) return run.finalizedAt + timings.lateEventWindowMs;
    return calculationDueAt() ?? hardStopAt();
  };
  const nextDeadline = () => Math.min(lifecycleDeadline(), reconcileDueAt());
  /** A full batch is written at once; a partial one FLUSH_DELAY_MS after its first event. */
  const flushNow = () => (batchedFlush ? run.pending.length >= MAX_BATCH : run.pending.length > 0);
  const flushDueAt = () => (batchedFlush && run.pending.length > 0 ? pendingSince + FLUSH_DELAY_MS : Infinity);

  const continueAsNewDue = () => {
    const info = workflowInfo();
    return info.continueAsNewSuggested || signalsThisRun >= MAX_SIGNALS_PER_RUN || info.historyLength >= continueAsNewEvents || info.historySize >= MAX_HISTORY_BYTES;
  };

  run.lastReconcileAt ??= Date.now();
  if (!carried) {
    // A run started after an earlier one finished (a very late event, report rows, a forced recalculation):
    // recalculate at once from the full stored log, then serve a fresh late-event window.
    const stored = await activities.saveSession(session);
    if (stored?.finalized) {
      run.finalizedAt = Date.now();
      run.dirty = true;
    }
  }
  for (;;) {
    await publish();
    const wait = Math.max(1, Math.min(nextDeadline(), flushDueAt()) - Date.now());
    // The first event after a quiet spell wakes the loop, to arm the flush timer (and recompute the deadlines).
    const flushArmed = flushDueAt() !== Infinity;
    await condition(() => flushNow() || (batchedFlush && !flushArmed && run.pending.length > 0) || recalculationsRequested > 0 || run.dirty || continueAsNewDue(), wait);
    await flush();
    const now = Date.now();

    if (recalculationsRequested > 0) {
      recalculationsRequested = 0;
      await calculate(false);
    } else if (run.finalizedAt === undefined && endedAt() === undefined && now >= hardStopAt()) {
      // No end event ever came: the hard stop is itself logged, so the calculation stays a function of the log.
      accept({ kind: 'hard-stop', key: 'system:hard-stop', at: hardStopAt(), source: 'system' });
    } else if (run.finalizedAt === undefined && endedAt() !== undefined && now >= lifecycleDeadline()) {
      await calculate(true);
    } else if (run.dirty) {
      await calculate(true);
    } else if (now >= reconcileDueAt()) {
      run.lastReconcileAt = now;
      const snapshot = await bestEffort.reconcileRoom(session.room).catch((error: unknown) => {
        log.warn('reconcile skipped', { sessionId: session.id, error: String(error) });
        return undefined;
      });
      // A snapshot taken while the end event was arriving says nothing about the meeting any more.
      if (snapshot && endedAt() === undefined) accept(snapshot);
    } else if (run.finalizedAt !== undefined && now >= lifecycleDeadline()) {
      await pushes;
      await publish();
      return summary();
    }

    if (continueAsNewDue()) {
      await pushes;
      await condition(allHandlersFinished);
      await flush();
      await continueAsNew<typeof sessionWorkflow>({ ...input, carried: run });
    }
  }
}
