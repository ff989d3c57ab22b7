/** Human-readable pieces shared by the commands' plain-text output. */
import type { AttendanceCounts } from '../domain/index.js';
import { toIsoOrNull } from '../time.js';
import type { SessionSummary } from '../workflows/messages.js';

export const iso = (epochMs: number | undefined) => toIsoOrNull(epochMs) ?? '-';

export function formatCounts(counts: AttendanceCounts | undefined): string {
  if (!counts) return 'none yet';
  return `people ${counts.people}: present ${counts.present}, late ${counts.late}, partial ${counts.partial}, absent ${counts.absent}, guests ${counts.guests}`;
}

/** One line: where the workflow is and what its latest calculation found. */
export function formatSummaryLine(summary: SessionSummary): string {
  return `phase ${summary.phase}, ${summary.calculations} calculation(s); ${formatCounts(summary.lastCounts)}`;
}

/** Aligned `label  value` rows. */
export function table(rows: Array<[string, string]>): string[] {
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`);
}
