/**
 * One run of a session's workflow: what it knows (carried across continue-as-new as plain JSON) and one
 * method per thing the loop or a handler does. Handlers only fold facts and record requests; the loop, driven
 * by `nextAction`, does every piece of work.
 */
import {
  log,
  ParentClosePolicy,
  proxyActivities,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import {
  applyEvent,
  emptyState,
  presenceFromState,
  type AttendanceCounts,
  type AttendanceEvent,
  type AttendanceState,
} from '../domain/index.js';
import type { SessionSummary } from './messages.js';
import type { SessionPhase } from '../domain/phases.js';
import { reportPushWorkflow } from './report-push.js';
import { ParticipantCountAttr, SessionStatusAttr } from './search-attributes.js';
import type { LoopView } from './session-loop.js';
import type { SessionSpec, SessionTimings } from './types.js';

/** What a continued run takes over from the previous one: plain JSON (no Map or Set), small with the session. */
export interface CarriedState {
  state: AttendanceState;
  seeded: boolean;
  /** Facts that arrived before the stored ones were loaded; folded in with them. */
  early: AttendanceEvent[];
  /** Workflow time the end (meeting end or hard stop) became known: the grace delay runs from here. */
  endSeenAt?: number;
  /** Workflow time of the first calculation after the end; starts the late-event window. */
  finalizedAt?: number;
  calculatedAt?: number;
  calculations: number;
  /** Sequence number of the latest calculation started; the database keeps only a newer one's result. */
  calculationSeq: number;
  dirty: boolean;
  /** Workflow time of the last provider fact; an ad-hoc session stops after SESSION_MAX_OVERRUN of silence. */
  lastActivityAt: number;
  acceptedEvents: number;
  lastCounts?: AttendanceCounts;
  lastReconcileAt?: number;
  /** Recalculation requests taken, and the number served by a calculation that started after them. */
  requested: number;
  served: number;
}

export interface SessionWorkflowInput {
  session: SessionSpec;
  timings: SessionTimings;
  /** SESSION_EARLY_JOIN: a registered session's facts start this long before its scheduled start. */
  earlyJoinMs?: number;
  /** REPORT_WEBHOOK_URL is set: push every calculated report. */
  pushReports?: boolean;
  /** Ask the provider who is really in the room every RECONCILE_INTERVAL while the meeting runs (LiveKit with LIVEKIT_URL). */
  reconcile?: boolean;
  /** Continue as new by this history length at the latest (CONTINUE_AS_NEW_EVENTS). */
  continueAsNewEvents?: number;
  carried?: CarriedState;
}

/**
 * The server refuses signals past 10,000 per run and fails a run past 50,000 events or 50 MB of history; it
 * suggests continuing as new near 4,096 events or 4 MB. Continue well before the limits even without it.
 */
const MAX_SIGNALS_PER_RUN = 4_000;
const DEFAULT_MAX_HISTORY_EVENTS = 8_000;
const MAX_HISTORY_BYTES = 8 * 1024 * 1024;
/** How often (workflow time) the ParticipantCount search attribute may be refreshed. */
const COUNT_REFRESH_MS = 10_000;

// No attempt limit: the database may be down for a while, and nothing may be lost.
const retry = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds' };
/** Database work takes milliseconds; a short timeout hands a task lost with a dead worker to a live one within seconds. */
const activities = proxyActivities<Activities>({ startToCloseTimeout: '20 seconds', retry });
/** A big session's calculation may take a while: it heartbeats instead, so a dead worker is noticed as quickly. */
const calculation = proxyActivities<Activities>({
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '10 seconds',
  retry,
});
/** Optional work (a reconcile, scheduling a report sync): when it cannot be done, skip it rather than hold up the session. */
const bestEffort = proxyActivities<Activities>({
  startToCloseTimeout: '15 seconds',
  retry: { maximumAttempts: 3, initialInterval: '1 second' },
});

const latest = (times: readonly number[]) => (times.length ? Math.max(...times) : undefined);

export class SessionRun {
  readonly session: SessionSpec;
  readonly data: CarriedState;
  /** Bumped by every handler that changes something: wakes the loop. */
  version = 0;
  private signals = 0;
  private reportedPhase: SessionPhase | undefined;
  private reportedConnections = -1;
  private countPublishedAt = -Infinity;
  /** Connections are never removed: once there is one, the phase check need not list them again. */
  private connected = false;

  constructor(private readonly input: SessionWorkflowInput) {
    this.session = input.session;
    this.data = input.carried ?? {
      state: emptyState(),
      seeded: false,
      early: [],
      calculations: 0,
      calculationSeq: 0,
      dirty: false,
      lastActivityAt: Date.now(),
      acceptedEvents: 0,
      requested: 0,
      served: 0,
    };
    this.data.lastReconcileAt ??= Date.now();
  }

  // ---- handlers ----

  /** Facts from the relay (or an operator's end): folded into the state; duplicates add nothing. */
  receive(events: readonly AttendanceEvent[]): void {
    this.signals += 1;
    // Until the stored facts are loaded these are kept too, to fold into the loaded state; presence sees them now.
    if (!this.data.seeded) this.data.early.push(...events);
    let changed = !this.data.seeded;
    for (const event of events) changed = this.fold(event) || changed;
    if (changed) this.version += 1;
  }

  /** Takes a recalculation request; resolves with the ticket a calculation must serve. */
  requestRecalculation(): number {
    this.version += 1;
    return ++this.data.requested;
  }

  served(ticket: number): boolean {
    return this.data.served >= ticket;
  }

  // ---- the loop's work ----

  view(now: number, handlersFinished: boolean): LoopView {
    const { data, input } = this;
    return {
      now,
      seeded: data.seeded,
      // Ad-hoc sessions exist because facts arrived; registered ones load theirs when their span opens or a fact comes.
      seedDueAt:
        this.session.adHoc || data.early.length > 0
          ? -Infinity
          : this.session.scheduledStart! - (input.earlyJoinMs ?? 0),
      recalculationRequested: data.requested > data.served,
      endedAt: this.endedAt(),
      calculationDueAt: this.calculationDueAt(),
      finalizedAt: data.finalizedAt,
      dirty: data.dirty,
      hardStopAt: this.hardStopAt(),
      reconcileDueAt:
        input.reconcile && this.phase() === 'live'
          ? data.lastReconcileAt! + input.timings.reconcileIntervalMs
          : Infinity,
      lateWindowEndsAt: data.finalizedAt === undefined ? undefined : data.finalizedAt + input.timings.lateEventWindowMs,
      continueAsNewDue: this.continueAsNewDue(),
      handlersFinished,
    };
  }

  continueAsNewDue(): boolean {
    const info = workflowInfo();
    return (
      info.continueAsNewSuggested ||
      this.signals >= MAX_SIGNALS_PER_RUN ||
      info.historyLength >= (this.input.continueAsNewEvents ?? DEFAULT_MAX_HISTORY_EVENTS) ||
      info.historySize >= MAX_HISTORY_BYTES
    );
  }

  /** First run of a session: the stored row (created if new); a run after the session was finalised recalculates at once. */
  async start(): Promise<void> {
    const stored = await activities.saveSession(this.session);
    this.data.calculationSeq = Math.max(this.data.calculationSeq, stored.calculationSeq);
    if (stored.finalized) {
      this.data.finalizedAt = Date.now();
      this.data.dirty = true;
    }
  }

  /** Loads the facts stored before this session heard of them (a meeting already open, facts relayed elsewhere). */
  async seed(): Promise<void> {
    const state = await activities.loadSessionState(this.session.id);
    const { early, acceptedEvents } = this.data;
    Object.assign(this.data, { state, seeded: true, early: [] });
    this.connected = false;
    // Stored facts may already hold the end: the grace delay runs from now.
    if (this.endedAt() !== undefined) this.data.endSeenAt ??= Date.now();
    for (const event of early) this.fold(event);
    // The early facts were counted when they came.
    this.data.acceptedEvents = acceptedEvents;
  }

  /** No end came: the hard stop is itself stored, so the calculation stays a function of the facts. */
  async hardStop(): Promise<void> {
    const event: AttendanceEvent = {
      kind: 'hard-stop',
      key: `system:hard-stop:${this.session.id}`,
      at: this.hardStopAt(),
      source: 'system',
    };
    await activities.storeSessionFact(this.session, event);
    this.fold(event);
  }

  async calculate(auto: boolean): Promise<void> {
    const { data, session } = this;
    const serving = data.requested;
    const seq = ++data.calculationSeq;
    // Cleared before, not after: facts that arrive while it runs set it again.
    data.dirty = false;
    // A calculation once the end is known is final: its saving transaction marks the session calculated too.
    const outcome = await calculation.calculateAttendance(session.id, seq, auto, this.endedAt() !== undefined);
    data.served = Math.max(data.served, serving);
    data.calculations += 1;
    data.calculatedAt = Date.now();
    data.lastCounts = outcome.counts;
    if (data.finalizedAt === undefined && this.endedAt() !== undefined) {
      data.finalizedAt = data.calculatedAt;
      // Webhooks miss people: after a Zoom meeting, its report is fetched and merged (a no-op without Zoom API
      // credentials).
      if (session.provider === 'zoom') {
        await bestEffort
          .scheduleReportSync(session.id)
          .catch((error: unknown) =>
            log.warn('report sync not scheduled', { sessionId: session.id, error: String(error) }),
          );
      }
    }
    if (this.input.pushReports) await this.pushReport(seq);
  }

  /**
   * The report goes out in its own workflow, abandoned by this one: a receiver that is down for an hour
   * delays nothing here. One workflow per report version; each sends the newest report when it gets through.
   */
  private async pushReport(version: number): Promise<void> {
    await startChild(reportPushWorkflow, {
      workflowId: `report-push-${this.session.id}-${version}`,
      args: [{ sessionId: this.session.id, version }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    }).catch((error: unknown) =>
      log.warn('report push not started', { sessionId: this.session.id, error: String(error) }),
    );
  }

  /** Reconcile ticks only while the meeting is live: that is when webhooks can have missed a join or a leave. */
  async reconcile(): Promise<void> {
    this.data.lastReconcileAt = Date.now();
    const { id, room, instanceId, adHoc } = this.session;
    const snapshot = await bestEffort
      .reconcileRoom({ sessionId: id, room, instanceId: adHoc ? instanceId : undefined })
      .catch((error: unknown) => {
        log.warn('reconcile skipped', { sessionId: id, error: String(error) });
        return undefined;
      });
    // A snapshot taken while the end event was arriving says nothing about the meeting any more.
    if (snapshot && this.endedAt() === undefined && applyEvent(this.data.state, snapshot)) this.noteChange(false);
  }

  /** Keeps the sessions table and the search attributes in step with the phase and the number of people seen. */
  async publish(): Promise<void> {
    const current = this.phase();
    const { state } = this.data;
    // Counting people resolves every identity: in a big webinar that is done every few seconds, not per batch.
    if (current !== this.reportedPhase || Date.now() - this.countPublishedAt >= COUNT_REFRESH_MS) {
      const connections = Object.keys(state.connections).length;
      if (connections !== this.reportedConnections) {
        upsertSearchAttributes([{ key: ParticipantCountAttr, value: this.presence(Date.now()).counts.seen }]);
        this.reportedConnections = connections;
        this.countPublishedAt = Date.now();
      }
    }
    if (current !== this.reportedPhase) {
      upsertSearchAttributes([{ key: SessionStatusAttr, value: current }]);
      await activities.recordPhase(this.session.id, current, state.meetingStarts[0], this.endedAt());
      this.reportedPhase = current;
    }
  }

  // ---- what it knows ----

  presence(now: number) {
    return presenceFromState(this.data.state, { session: this.session }, now);
  }

  summary(): SessionSummary {
    const { data } = this;
    return {
      sessionId: this.session.id,
      phase: this.phase(),
      meetingStartedAt: data.state.meetingStarts[0],
      meetingEndedAt: this.endedAt(),
      calculationDueAt: data.finalizedAt === undefined ? this.calculationDueAt() : undefined,
      calculatedAt: data.calculatedAt,
      calculations: data.calculations,
      lastCounts: data.lastCounts,
      connections: Object.keys(data.state.connections).length,
      acceptedEvents: data.acceptedEvents,
    };
  }

  continueAsNewInput(): SessionWorkflowInput {
    return { ...this.input, carried: this.data };
  }

  private phase(): SessionPhase {
    if (this.data.finalizedAt !== undefined) return 'calculated';
    if (this.endedAt() !== undefined) return 'ended';
    this.connected ||= Object.keys(this.data.state.connections).length > 0;
    return this.connected || this.data.state.meetingStarts.length > 0 ? 'live' : 'scheduled';
  }

  /**
   * The end that ends this session: a hard stop, or a meeting end after its scheduled start (the 10:00
   * class's meeting ended at 10:48 does not end the 10:50 class that shares the room).
   */
  endedAt(): number | undefined {
    const { meetingEnds, hardStops } = this.data.state;
    const start = this.session.scheduledStart;
    const ends = start === undefined ? meetingEnds : meetingEnds.filter((at) => at > start);
    return latest([...ends, ...hardStops]);
  }

  /** An end delivered late (a provider retry) still gets the full grace delay for the stragglers around it. */
  private calculationDueAt(): number | undefined {
    const ended = this.endedAt();
    return ended === undefined
      ? undefined
      : Math.max(ended, this.data.endSeenAt ?? ended) + this.input.timings.calculationDelayMs;
  }

  private hardStopAt(): number {
    return (
      (this.session.adHoc ? this.data.lastActivityAt : this.session.scheduledEnd!) + this.input.timings.maxOverrunMs
    );
  }

  private fold(event: AttendanceEvent): boolean {
    if (!applyEvent(this.data.state, event)) return false;
    this.noteChange(event.source !== 'reconcile' && event.source !== 'system');
    return true;
  }

  private noteChange(providerActivity: boolean): void {
    const { data } = this;
    data.acceptedEvents += 1;
    if (providerActivity) data.lastActivityAt = Date.now();
    if (this.endedAt() !== undefined) {
      data.endSeenAt ??= Date.now();
      data.dirty = true;
    }
  }
}
