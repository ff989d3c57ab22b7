// The live attendance page: follows /api/sessions/:id/live and redraws the part each event is about.
import { clock, duration, guestTag, h, personLabel } from './dom.js';
import { follow } from './sse.js';
import { renderTimeline } from './timeline.js';

const $ = (id) => document.getElementById(id);
const sessionId = decodeURIComponent(location.pathname.split('/')[2] ?? '');
const api = `/api/sessions/${encodeURIComponent(sessionId)}`;
// With API_TOKEN set, open the link POST /api/sessions/<id>/viewer-link gives: /sessions/<id>/live#view=<token>, a
// read-only token for this session alone. A fragment never reaches the server; it is also taken off the address
// bar (and the history) once read.
const token = new URLSearchParams(location.hash.slice(1)).get('view');
if (token) history.replaceState(null, '', location.pathname + location.search);
const headers = token ? { authorization: `Bearer ${token}` } : {};

/** Phases in which someone can be in the room. */
const OPEN_PHASES = new Set(['scheduled', 'live']);
const STATUSES = ['present', 'late', 'partial', 'absent'];

const view = { session: null, presence: null, timeline: null };
const meetingOpen = () => !view.session || OPEN_PHASES.has(view.session.status);
const now = () => view.presence?.at ?? Date.now();

function setConnection(state, message) {
  const badge = $('connection');
  badge.dataset.state = state;
  badge.textContent =
    { live: 'connected', reconnecting: 'reconnecting…', failed: 'failed', problem: 'update failed' }[state] ?? state;
  badge.title = message ?? '';
  if (state === 'failed') {
    $('presence-note').textContent = message;
    $('presence-note').hidden = false;
  }
}

function showSession(session) {
  const title = session.title || session.id;
  $('title').textContent = title;
  document.title = `${title} · live attendance`;
  const window = session.scheduledStart ? `${clock(session.scheduledStart)}–${clock(session.scheduledEnd)}` : 'ad hoc';
  $('subtitle').textContent = `${session.provider === 'zoom' ? 'Zoom' : 'LiveKit'} · room ${session.room} · ${window}`;
  Object.assign($('phase'), { textContent: session.status, hidden: false });
  $('phase').dataset.phase = session.status;
  if (session.temporalUiUrl) Object.assign($('temporal-link'), { href: session.temporalUiUrl, hidden: false });
}

function presentPerson(person) {
  const devices = person.connections > 1 ? ` · ${person.connections} devices` : '';
  return h(
    'li',
    { class: 'person', 'data-person-key': person.personKey },
    h(
      'div',
      { class: 'line' },
      h('strong', {}, personLabel(person)),
      guestTag(person),
      h('span', { class: 'since' }, `since ${clock(person.since)}`),
    ),
    h('div', { class: 'muted small' }, person.email ?? ' '),
    h(
      'div',
      { class: 'small' },
      `${duration(person.currentSeconds)} now · ${duration(person.totalSeconds)} in total${devices}`,
    ),
  );
}

function showPresence() {
  const note = $('presence-note');
  const presence = view.presence;
  if (!meetingOpen()) {
    $('presence').replaceChildren();
    $('counts').textContent = '';
    Object.assign(note, { textContent: 'The meeting has ended.', hidden: false });
    return;
  }
  if (!presence) return;
  if (presence.error) {
    Object.assign(note, { textContent: presence.error, hidden: false });
    return;
  }
  const { inRoom, guestsInRoom, seen } = presence.counts;
  $('counts').textContent =
    `${inRoom} now · ${guestsInRoom} guest${guestsInRoom === 1 ? '' : 's'} · ${seen} seen so far`;
  Object.assign(note, { textContent: 'No one is in the room.', hidden: presence.inRoom.length > 0 });
  $('presence').replaceChildren(...presence.inRoom.map(presentPerson));
}

function showTimeline() {
  renderTimeline($('timeline'), view.timeline, now(), meetingOpen());
}

function attendanceRow(person) {
  const dash = (value, show) => (value ? show(value) : '—');
  return h(
    'tr',
    { 'data-person-key': person.personKey, 'data-status': person.status },
    h(
      'td',
      {},
      h('strong', {}, personLabel(person)),
      guestTag(person),
      person.email ? h('div', { class: 'muted small' }, person.email) : null,
    ),
    h('td', {}, h('span', { class: `status status-${person.status}` }, person.status)),
    h('td', { class: 'num' }, duration(person.attendedSeconds)),
    h('td', { class: 'num' }, `${person.percentage}%`),
    h('td', { class: 'num' }, person.late ? `${person.lateMinutes} min` : '—'),
    h('td', {}, dash(person.firstJoin, clock)),
    h('td', {}, dash(person.lastLeave, clock)),
    h('td', { class: 'num' }, String(person.cycles.length)),
  );
}

function showAttendance(report) {
  const tally = STATUSES.map((status) => [status, report.people.filter((p) => p.status === status).length]).filter(
    ([, n]) => n > 0,
  );
  const calculated = view.session?.calculatedAt ?? report.calculatedAt;
  $('attendance-summary').textContent = [
    calculated && `calculated ${clock(calculated)}`,
    ...tally.map(([status, n]) => `${n} ${status}`),
  ]
    .filter(Boolean)
    .join(' · ');
  $('attendance')
    .querySelector('tbody')
    .replaceChildren(...report.people.map(attendanceRow));
  $('attendance').hidden = report.people.length === 0;
  Object.assign($('attendance-note'), { textContent: 'No one attended.', hidden: report.people.length > 0 });
  $('csv').hidden = false;
}

/** The CSV link works as a plain link; with a token the download has to carry the header, so it is fetched. */
function setUpCsvLink() {
  const link = $('csv');
  link.href = `${api}/attendance.csv`;
  if (!token) return;
  link.addEventListener('click', async (event) => {
    event.preventDefault();
    const response = await fetch(link.href, { headers });
    const url = URL.createObjectURL(await response.blob());
    h('a', { href: url, download: `attendance-${sessionId}.csv` }).click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  });
}

const handlers = {
  session(session) {
    view.session = session;
    showSession(session);
    showPresence();
  },
  presence(presence) {
    view.presence = presence;
    showPresence();
    showTimeline();
  },
  timeline(timeline) {
    view.timeline = timeline;
    showTimeline();
  },
  attendance: showAttendance,
  problem: ({ error }) => setConnection('problem', error),
};

setUpCsvLink();
follow(
  `${api}/live`,
  headers,
  (event, data) => {
    if (event !== 'problem') setConnection('live');
    handlers[event]?.(data);
  },
  setConnection,
);
