import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { listen } from '../../src/api/server.js';
import { createLogger } from '../../src/logger.js';
import { MIN, PROVIDER_SETTINGS, WebhookSender, pastMinute } from '../support/scenario.js';
import { zoomMeetingEnded, zoomMeetingStarted, zoomParticipantJoined, zoomParticipantLeft } from '../support/sign.js';
import { request, startSystem, type TestSystem } from '../support/system.js';
import { launchChromium } from './browser.js';

const SCREENSHOTS = new URL('./screenshots/', import.meta.url);
/** The page polls the workflow every second: a join must show well within this. */
const SHOWS_WITHIN_MS = 5_000;

/** The status chip colours of live.css (text, background), as the browser computes them. */
const STATUS_COLOURS = {
  present: ['rgb(26, 127, 55)', 'rgb(218, 251, 225)'],
  late: ['rgb(154, 103, 0)', 'rgb(255, 248, 197)'],
  partial: ['rgb(188, 76, 0)', 'rgb(255, 241, 229)'],
  absent: ['rgb(207, 34, 46)', 'rgb(255, 235, 233)'],
};

/**
 * The live page in headless Chromium, driven by signed Zoom webhooks. A 45-minute class scheduled 50 minutes
 * ago (grace 15 min): s1 from 0 to the end (present), s4 1-10 (partial), a guest 5-10 (partial), s2 from 20
 * (late), s3 on the roster never comes (absent).
 */
describe('the live attendance page', () => {
  let system: TestSystem;
  let browser: Browser;
  let page: Page;
  let zoom: WebhookSender;
  let sessionId: string;
  const S = pastMinute(50);
  const at = (minutes: number) => S + minutes * MIN;
  const meetingId = `7${Date.now() % 1_000_000_000}`;
  const meeting = { meetingId, uuid: `uuid-${meetingId}==` };
  const student = (n: number) => ({
    ...meeting,
    userId: `z${n}`,
    userName: `Student ${n}`,
    email: `s${n}@school.example`,
  });
  const guest = { ...meeting, userId: 'g1', userName: 'Visitor' };
  const roster = [1, 2, 3, 4].map((n) => ({ userId: `s${n}`, email: `s${n}@school.example`, name: `Student ${n}` }));

  /** Person keys as the page shows them (sorted by key); the guest's key is derived from Zoom's participant UUID. */
  const who = (personKey: string) => (personKey.startsWith('guest:') ? 'guest' : personKey);
  /** Evaluates a JavaScript expression in the page: a string, since this TypeScript has no DOM types. */
  const inPage = <T>(expression: string) => page.evaluate<T>(expression);
  const all = (selector: string, map: string) =>
    `[...document.querySelectorAll(${JSON.stringify(selector)})].map(${map})`;
  const waitFor = (selector: string, what: string) =>
    page.waitForSelector(selector, { timeout: SHOWS_WITHIN_MS }).catch(() => {
      throw new Error(`the page did not show ${what} within ${SHOWS_WITHIN_MS} ms (${selector})`);
    });

  before(async () => {
    // CHROMIUM_PATH, the system's Chromium, or the one from npm (./browser.ts); first, so a missing one fails fast.
    browser = await launchChromium();
    mkdirSync(SCREENSHOTS, { recursive: true });
    system = await startSystem({ ...PROVIDER_SETTINGS, CALCULATION_DELAY: '1s' });
    zoom = new WebhookSender(system, 'zoom');
    const registered = await request<{ id: string }>(system, 'POST', '/api/sessions', {
      provider: 'zoom',
      room: meetingId,
      title: 'Biology 1, period 2',
      scheduledStart: new Date(S).toISOString(),
      scheduledEnd: new Date(at(45)).toISOString(),
      roster,
    });
    assert.equal(registered.status, 201);
    sessionId = registered.body.id;
    page = await browser.newPage({ viewport: { width: 1280, height: 900 }, timezoneId: 'UTC', locale: 'en-GB' });
  });
  after(async () => {
    await browser?.close();
    await system?.stop();
  });

  it('serves the page and follows the session live', async () => {
    const response = await page.goto(`${system.api.url}/sessions/${sessionId}/live`);
    assert.equal(response?.status(), 200);
    await waitFor('#connection[data-state="live"]', 'a live connection');
    assert.equal(await page.locator('#title').textContent(), 'Biology 1, period 2');
    assert.equal(await page.locator('#phase').textContent(), 'scheduled');
    assert.equal(await page.locator('#presence-note').textContent(), 'No one is in the room.');
  });

  it('shows a person joining within seconds of the webhook, without a reload', async () => {
    // Anything set on the window survives only as long as the document: a reload or navigation would lose it.
    await page.evaluate('window.sameDocument = true');
    await zoom.accept(zoomMeetingStarted({ ...meeting, startTime: at(-2) }));
    await zoom.accept(zoomParticipantJoined({ ...student(1), joinTime: at(0) }));
    const sent = Date.now();
    await waitFor('#presence [data-person-key="user:s1"]', 'Student 1 in the room');
    assert.ok(Date.now() - sent < SHOWS_WITHIN_MS);
    assert.equal(await page.evaluate('window.sameDocument'), true, 'the page reloaded');
    const card = page.locator('#presence [data-person-key="user:s1"]');
    // The page runs in UTC: since the join at S, about 50 minutes in the room, 45 of them in the window.
    const since = new Date(at(0)).toISOString().slice(11, 16);
    assert.match(
      (await card.textContent()) ?? '',
      new RegExp(`^Student 1since ${since}s1@school\\.example5\\dm \\d\\ds now · 45m 00s in total$`),
    );
    await waitFor('#phase:text("live")', 'the live phase');
  });

  it('draws every cycle on the timeline, with join and leave marks', async () => {
    await zoom.accept(zoomParticipantJoined({ ...student(4), joinTime: at(1) }));
    await zoom.accept(zoomParticipantJoined({ ...guest, joinTime: at(5) }));
    await zoom.accept(zoomParticipantLeft({ ...student(4), leaveTime: at(10) }));
    await zoom.accept(zoomParticipantLeft({ ...guest, leaveTime: at(10) }));
    await zoom.accept(zoomParticipantJoined({ ...student(2), joinTime: at(20) }));
    await waitFor('#presence [data-person-key="user:s2"]', 'Student 2 in the room');
    await page.waitForFunction('document.querySelectorAll("#timeline .row").length === 4', undefined, {
      timeout: SHOWS_WITHIN_MS,
    });
    assert.deepEqual(await inPage(all('#presence [data-person-key]', '(item) => item.dataset.personKey')), [
      'user:s1',
      'user:s2',
    ]);
    assert.equal(await page.locator('#counts').textContent(), '2 now · 0 guests · 4 seen so far');

    type DrawnCycle = {
      person: string;
      open: boolean;
      joinedAt: string;
      leftAt: string | null;
      width: number;
      joins: number;
      leaves: number;
    };
    const cycles = await inPage<DrawnCycle[]>(
      all(
        '#timeline .cycle',
        `(mark) => ({
          person: mark.closest('.row').dataset.personKey,
          open: mark.classList.contains('open'),
          joinedAt: mark.dataset.joinedAt,
          leftAt: mark.dataset.leftAt ?? null,
          width: mark.querySelector('.bar').getBBox().width,
          joins: mark.querySelectorAll('.join').length,
          leaves: mark.querySelectorAll('.leave').length,
        })`,
      ),
    );
    const iso = (minutes: number) => new Date(at(minutes)).toISOString();
    assert.deepEqual(
      cycles.map(({ person, open, joinedAt, leftAt, joins, leaves }) => [
        who(person),
        open,
        joinedAt,
        leftAt,
        joins,
        leaves,
      ]),
      [
        ['guest', false, iso(5), iso(10), 1, 1],
        ['user:s1', true, iso(0), null, 1, 0],
        ['user:s2', true, iso(20), null, 1, 0],
        ['user:s4', false, iso(1), iso(10), 1, 1],
      ],
    );
    // Bars are drawn to scale: s1 (50 minutes so far) is longer than s4 (9 minutes).
    const width = (person: string) => cycles.find((cycle) => cycle.person === person)!.width;
    assert.ok(width('user:s1') > 4 * width('user:s4'), `s1 ${width('user:s1')} vs s4 ${width('user:s4')}`);
    await page.screenshot({ path: new URL('live-page.png', SCREENSHOTS).pathname, fullPage: true });
  });

  it('shows the final table with status colours and a CSV download once calculated', async () => {
    await zoom.accept(zoomMeetingEnded({ ...meeting, endTime: at(45) }));
    await page.waitForSelector('#attendance tbody tr', { timeout: 20_000 });
    assert.equal(await page.locator('#presence-note').textContent(), 'The meeting has ended.');
    assert.equal(await page.locator('#presence [data-person-key]').count(), 0);
    await waitFor('#phase:text("calculated")', 'the calculated phase');

    const rows = await inPage(
      all(
        '#attendance tbody tr',
        `(row) => {
          const chip = row.querySelector('.status');
          const style = getComputedStyle(chip);
          return [row.dataset.personKey, row.dataset.status, chip.textContent, style.color, style.backgroundColor];
        }`,
      ),
    );
    const report = await request<{ people: Array<{ personKey: string; status: keyof typeof STATUS_COLOURS }> }>(
      system,
      'GET',
      `/api/sessions/${sessionId}/attendance`,
    );
    assert.deepEqual(
      report.body.people.map((p) => [who(p.personKey), p.status]),
      [
        ['guest', 'partial'],
        ['user:s1', 'present'],
        ['user:s2', 'late'],
        ['user:s3', 'absent'],
        ['user:s4', 'partial'],
      ],
    );
    assert.deepEqual(
      rows,
      report.body.people.map((p) => [p.personKey, p.status, p.status, ...STATUS_COLOURS[p.status]]),
    );

    // The timeline now shows s1's and s2's cycles closed by the meeting's end.
    const closedBy = await inPage(all('#timeline .cycle', '(mark) => mark.dataset.closedBy'));
    assert.deepEqual(closedBy, ['left', 'meeting-ended', 'meeting-ended', 'left']);

    const href = await page.locator('#csv').getAttribute('href');
    assert.equal(href, `/api/sessions/${sessionId}/attendance.csv`);
    assert.equal(await page.locator('#csv').isVisible(), true);
    const csv = await fetch(new URL(href, system.api.url));
    assert.equal(csv.status, 200);
    assert.match(csv.headers.get('content-type') ?? '', /^text\/csv/);
    assert.equal((await csv.text()).trim().split('\n').length, 1 + report.body.people.length);
    await page.screenshot({ path: new URL('live-page-final.png', SCREENSHOTS).pathname, fullPage: true });
  });

  it('with API_TOKEN set, reads its data (and the CSV) with a viewer link for this session, never the API token', async () => {
    const token = 'live-page-token';
    const guarded = await listen(
      {
        config: { ...system.config, apiToken: token },
        pool: system.pool,
        temporal: system.client,
        logger: createLogger('test', 'warn'),
      },
      0,
      '127.0.0.1',
    );
    const context = await browser.newContext({ acceptDownloads: true });
    try {
      const refused = await context.newPage();
      await refused.goto(`${guarded.url}/sessions/${sessionId}/live`);
      await refused.waitForSelector('#connection[data-state="failed"]', { timeout: SHOWS_WITHIN_MS });
      assert.match((await refused.locator('#presence-note').textContent()) ?? '', /bearer token/);

      const minted = await fetch(`${guarded.url}/api/sessions/${sessionId}/viewer-link`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      });
      assert.equal(minted.status, 201);
      const link = (await minted.json()) as { url: string; token: string };
      assert.ok(!link.url.includes(token), 'the link does not carry the API token');
      const allowed = await context.newPage();
      await allowed.goto(link.url);
      assert.ok(!allowed.url().includes('#view='), 'the page takes the viewer token off the address bar');
      await allowed.waitForSelector('#attendance tbody tr', { timeout: SHOWS_WITHIN_MS });
      assert.equal(await allowed.locator('#attendance tbody tr').count(), 5);
      const [download] = await Promise.all([allowed.waitForEvent('download'), allowed.locator('#csv').click()]);
      assert.equal(download.suggestedFilename(), `attendance-${sessionId}.csv`);
      const csv = await readFile(await download.path(), 'utf8');
      assert.equal(csv.trim().split('\n').length, 6);
    } finally {
      await context.close();
      await guarded.close();
    }
  });

  it('does not hold up the API shutting down while a page is open, and the page says it is reconnecting', async () => {
    const closing = await listen(
      { config: system.config, pool: system.pool, temporal: system.client, logger: createLogger('test', 'warn') },
      0,
      '127.0.0.1',
    );
    const open = await browser.newPage();
    try {
      await open.goto(`${closing.url}/sessions/${sessionId}/live`);
      await open.waitForSelector('#connection[data-state="live"]', { timeout: SHOWS_WITHIN_MS });
      const started = Date.now();
      await closing.close();
      // The stream ends at its next tick (1 s) instead of keeping the server open.
      assert.ok(Date.now() - started < 2_500, `close took ${Date.now() - started} ms`);
      await open.waitForSelector('#connection[data-state="reconnecting"]', { timeout: SHOWS_WITHIN_MS });
    } finally {
      await open.close();
    }
  });
});
