import type { AttendanceReport } from '../db/reports.js';

type Cell = string | number | boolean | null;

/** Spreadsheets run cells starting with these as formulas; names come from meeting participants. */
const FORMULA_START = /^[=+\-@\t\r]/;

/** RFC 4180: quote a field holding a comma, quote or line break, doubling its quotes. */
function field(value: Cell): string {
  if (value === null) return '';
  let text = String(value);
  if (typeof value === 'string' && FORMULA_START.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Rows joined with CRLF, as RFC 4180 asks, including after the last one. */
export function toCsv(rows: ReadonlyArray<readonly Cell[]>): string {
  return rows.map((row) => row.map(field).join(',') + '\r\n').join('');
}

const COLUMNS = [
  'personKey',
  'userId',
  'email',
  'name',
  'role',
  'guest',
  'firstJoin',
  'lastLeave',
  'attendedSeconds',
  'percentage',
  'status',
  'late',
  'lateMinutes',
  'cycles',
] as const;

/** One row per person, the JSON report's fields in order; cycles as a count. */
export function attendanceCsv(report: AttendanceReport): string {
  return toCsv([
    COLUMNS,
    ...report.people.map((person) =>
      COLUMNS.map((column) => (column === 'cycles' ? person.cycles.length : person[column])),
    ),
  ]);
}
