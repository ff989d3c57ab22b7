/** The report sync workflows' inputs, outputs and progress: plain types shared with activities, the API and the CLI. */
import type { ParticipantSource, ZoomKind } from '../zoom-api/reports.js';

/** What to sync: one Zoom meeting or webinar id, and which of its past instances. */
export interface ReportSyncTarget {
  /** Undefined: found out by the sync (meeting first, then webinar); sessions do not record which a room is. */
  kind?: ZoomKind;
  /** The meeting or webinar id: the room sessions are registered under. */
  id: string;
  /** Every past instance of a recurring series. */
  recurring?: boolean;
  /** This one instance. */
  instanceUuid?: string;
  /** The instances that started within [from, to] (epoch ms): a registered session's routing window. */
  startedWithin?: { from: number; to: number };
  // none of the three: the latest instance
}

export type InstanceStatus = 'pending' | 'done' | 'not-found' | 'refused' | 'failed';

export interface InstanceProgress {
  uuid: string;
  startTime?: number;
  /** Which endpoint is being read; `past` after the report endpoint refused (plan). */
  source: ParticipantSource;
  /** Where the next page starts; undefined = page 1. */
  pageToken?: string;
  /** Pages read, including pages read again after a restart. */
  pages: number;
  /** Rows of the current pass (a restart or a fallback starts counting again). */
  rows: number;
  /** Rows stored as new facts of the instance (a row stored before, by this sync or an earlier one, is not counted). */
  delivered: number;
  /** Restarts from page 1 after Zoom said the page token expired. */
  restarts: number;
  status: InstanceStatus;
  error?: string;
}

export interface ReportSyncProgress {
  kind: ZoomKind;
  instances: InstanceProgress[];
}

export interface ReportSyncInput {
  target: ReportSyncTarget;
  /**
   * Instances read at the same time (pages of one instance are a chain and go one after another). Default: every
   * pending instance, up to MAX_LANES. The worker's account limiter paces all their requests together, so open
   * chains cost nothing but a waiting request each, and an instance never waits for another to finish: no lane
   * goes idle while the workflow hands it its next instance (a workflow task that may queue behind sessions').
   */
  concurrency?: number;
  /** Carried over continue-as-new. */
  progress?: ReportSyncProgress;
}

export interface ReportSyncResult {
  target: ReportSyncTarget;
  kind: ZoomKind;
  instances: InstanceProgress[];
  totals: { pages: number; rows: number; delivered: number };
}

/** What one activity over a run of pages reports; rows themselves never enter the workflow's history. */
export interface PagesOutcome {
  /** `more`: stopped after maxPages, `nextPageToken` goes on; `done`: the last page was read. */
  status: 'more' | 'done' | 'page-token-expired' | 'refused' | 'not-found';
  pages: number;
  rows: number;
  delivered: number;
  nextPageToken?: string;
  reason?: string;
}

export interface PagesRequest {
  kind: ZoomKind;
  /** The room (meeting or webinar id) the rows are facts of. */
  meetingId: string;
  uuid: string;
  startTime?: number;
  source: ParticipantSource;
  pageToken?: string;
  maxPages: number;
}
