/** The report endpoints Rollcall reads: past instances of a meeting or webinar, and its participants page by page. */
import { z } from 'zod';
import type { Query, ZoomApiClient } from './client.js';
import { zoomPathId } from './uuid.js';

export type ZoomKind = 'meeting' | 'webinar';
/** `report`: /report/{kind}s/{uuid}/participants (full rows; needs a paid plan). `past`: /past_{kind}s/{uuid}/participants (fewer fields). */
export type ParticipantSource = 'report' | 'past';

/** Zoom's page size ceiling for participant reports. */
export const PAGE_SIZE = 300;

/** Absent, null and '' all mean "not given" in Zoom's answers. */
const text = z.preprocess(
  (v) => (v === '' || v === null ? undefined : typeof v === 'number' ? String(v) : v),
  z.string().optional(),
);

const instancesSchema = z.object({
  meetings: z.array(z.object({ uuid: z.string().min(1), start_time: text })).optional(),
  webinars: z.array(z.object({ uuid: z.string().min(1), start_time: text })).optional(),
});

const rowSchema = z.object({
  id: text,
  user_id: text,
  participant_user_id: text,
  participant_uuid: text,
  registrant_id: text,
  name: text,
  user_email: text,
  join_time: text,
  leave_time: text,
  duration: z.number().optional().catch(undefined),
  status: text,
});

const pageSchema = z.object({
  next_page_token: text,
  total_records: z.number().optional().catch(undefined),
  participants: z.array(rowSchema).default([]),
});

export type ParticipantRow = z.output<typeof rowSchema>;

export interface Instance {
  uuid: string;
  /** Epoch ms; undefined when Zoom did not say. */
  startTime?: number;
}

export interface ParticipantsPage {
  rows: ParticipantRow[];
  /** Undefined on the last page. */
  nextPageToken?: string;
}

/** Every past instance of a meeting or webinar id (a recurring series has several), oldest first. */
export async function listInstances(client: ZoomApiClient, kind: ZoomKind, id: string): Promise<Instance[]> {
  const body = instancesSchema.parse(await client.get(`/past_${kind}s/${zoomPathId(id)}/instances`));
  const instances = (kind === 'meeting' ? body.meetings : body.webinars) ?? [];
  return instances
    .map(({ uuid, start_time }) => {
      const startTime = start_time === undefined ? NaN : Date.parse(start_time);
      return Number.isNaN(startTime) ? { uuid } : { uuid, startTime };
    })
    .sort((a, b) => (a.startTime ?? 0) - (b.startTime ?? 0));
}

/** One page of an instance's participants (one row per connection); `rank`: see ZoomApiClient.get. */
export async function participantsPage(
  client: ZoomApiClient,
  kind: ZoomKind,
  source: ParticipantSource,
  uuid: string,
  pageToken?: string,
  rank = 0,
): Promise<ParticipantsPage> {
  const path =
    source === 'report'
      ? `/report/${kind}s/${zoomPathId(uuid)}/participants`
      : `/past_${kind}s/${zoomPathId(uuid)}/participants`;
  const query: Query = { page_size: PAGE_SIZE, next_page_token: pageToken };
  if (source === 'report') query.include_fields = 'registrant_id';
  const body = pageSchema.parse(await client.get(path, query, rank));
  return {
    rows: body.participants,
    ...(body.next_page_token !== undefined && { nextPageToken: body.next_page_token }),
  };
}
