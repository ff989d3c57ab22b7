// The timeline chart: one row per person, a bar per cycle from join to leave (open cycles run to now),
// a dot at each join and a tick at each leave, over the session's window.
import { clock, h, personLabel, svg } from './dom.js';

const ROW = 30;
const AXIS = 28;
const LABEL = 200;
const RIGHT = 20;
const MINUTE = 60_000;
/** Tick spacings in minutes; the first that gives at most 8 ticks wins. */
const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 240, 480];

const ms = (iso) => Date.parse(iso);
const truncate = (text, max) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

function ticks(t0, t1, x, height) {
  const step = (STEPS.find((minutes) => (t1 - t0) / (minutes * MINUTE) <= 8) ?? 960) * MINUTE;
  const marks = [];
  for (let t = Math.ceil(t0 / step) * step; t <= t1; t += step) {
    marks.push(
      svg('line', { class: 'grid', x1: x(t), x2: x(t), y1: AXIS - 6, y2: height }),
      svg('text', { class: 'tick', x: x(t), y: AXIS - 12, 'text-anchor': 'middle' }, clock(t)),
    );
  }
  return marks;
}

function cycleMark(person, cycle, mid, x, now) {
  const start = ms(cycle.joinedAt);
  const open = cycle.leftAt === null;
  const end = open ? Math.max(start, now) : ms(cycle.leftAt);
  const closedBy = cycle.closedBy && cycle.closedBy !== 'left' ? ` (closed by ${cycle.closedBy})` : '';
  return svg(
    'g',
    {
      class: open ? 'cycle open' : 'cycle',
      'data-joined-at': cycle.joinedAt,
      'data-left-at': cycle.leftAt,
      'data-closed-by': cycle.closedBy,
    },
    svg('title', {}, `${personLabel(person)}: ${clock(start)}–${open ? 'now' : clock(end)}${closedBy}`),
    svg('rect', { class: 'bar', x: x(start), y: mid - 7, width: Math.max(2, x(end) - x(start)), height: 14, rx: 3 }),
    svg('circle', { class: 'join', cx: x(start), cy: mid, r: 4.5 }),
    open
      ? null
      : svg('line', { class: `leave leave-${cycle.closedBy}`, x1: x(end), x2: x(end), y1: mid - 10, y2: mid + 10 }),
  );
}

function personRow(person, index, x, right, now) {
  const mid = AXIS + index * ROW + ROW / 2;
  const guest = person.guest ? svg('tspan', { class: 'guest' }, '  guest') : null;
  return svg(
    'g',
    { class: 'row', 'data-person-key': person.personKey },
    svg('text', { class: 'label', x: 4, y: mid + 4 }, truncate(personLabel(person), 24), guest),
    svg('line', { class: 'lane', x1: LABEL, x2: right, y1: mid, y2: mid }),
    person.cycles.map((cycle) => cycleMark(person, cycle, mid, x, now)),
  );
}

/** Draws `timeline` (as the live stream sends it) into `container`; `live` adds a line at `now`. */
export function renderTimeline(container, timeline, now, live) {
  const people = timeline?.people ?? [];
  if (people.length === 0) {
    container.replaceChildren(h('p', { class: 'note' }, 'No one has joined yet.'));
    return;
  }
  const cycles = people.flatMap((person) => person.cycles);
  const window = timeline.window && { start: ms(timeline.window.start), end: ms(timeline.window.end) };
  const t0 = Math.min(...cycles.map((c) => ms(c.joinedAt)), window?.start ?? Infinity);
  const latest = Math.max(
    ...cycles.map((c) => (c.leftAt === null ? now : ms(c.leftAt))),
    window?.end ?? -Infinity,
    live ? now : -Infinity,
  );
  const t1 = Math.max(latest, t0 + 5 * MINUTE);
  const width = Math.max(container.clientWidth, 560);
  const height = AXIS + people.length * ROW + 6;
  const right = width - RIGHT;
  const x = (t) => LABEL + ((t - t0) / (t1 - t0)) * (right - LABEL);

  const chart = svg('svg', {
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': 'Timeline of every person in the session',
  });
  if (window)
    chart.append(
      svg('rect', {
        class: 'window',
        x: x(window.start),
        y: AXIS - 6,
        width: x(window.end) - x(window.start),
        height: height - AXIS + 6,
      }),
    );
  chart.append(...ticks(t0, t1, x, height));
  people.forEach((person, index) => chart.append(personRow(person, index, x, right, now)));
  if (live) chart.append(svg('line', { class: 'now', x1: x(now), x2: x(now), y1: AXIS - 6, y2: height }));
  container.replaceChildren(chart);
}
