// The web UI against the real Supervisor 4.2.5: the same config, the same
// clicks and form posts sent to /usr/bin/supervisord and to tsv must give the
// same HTTP status, the same redirect with the same flash message, and the
// same status table as a real browser (Chromium) reads it: state, its CSS
// class, description, name, and every action link's name, href and target.
// The markup around those hooks is tsv's own (docs/differences.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import type { Browser, Page } from 'playwright-core';
import { poll } from './helpers/daemon-cli';
import { freePort } from './helpers/common';
import { headerValue, httpRequest, rawRequest } from './helpers/raw-http';
import { haveSupervisord, startSide, stopSides, cleanupSides, waitLog, type Side } from './helpers/daemon-oracle';
import { launchBrowser, noChromium, statusRows, type StatusRow } from './helpers/browser';

const skip = !haveSupervisord() ? 'needs /usr/bin/supervisord (apt-get install supervisor)' : noChromium();

const PROGRAMS =
  `[program:talker]\ncommand=/bin/sh -c 'echo hello; echo "a <b> & c"; echo err >&2; exec sleep 1000'\nstartsecs=1\n` +
  '[program:bad]\ncommand=/nonexistent/prog\nstartretries=0\n' +
  '[program:off]\ncommand=/bin/sleep 1000\nautostart=false\nstartsecs=0\n' +
  '[program:nolog]\ncommand=/bin/sleep 1000\nstdout_logfile=NONE\nstartsecs=0\n' +
  '[group:g]\nprograms=a,b\n' +
  '[program:a]\ncommand=/bin/sleep 1000\nstartsecs=0\n' +
  "[program:b]\ncommand=/bin/sh -c 'exit 3'\nstartsecs=0\nautorestart=false\n" +
  '[program:early]\ncommand=/bin/sh -c "sleep 0.2; exit 2"\nstartsecs=5\nstartretries=0\nautostart=false\n';

interface Answer {
  status: number | null;
  location: string | null;
}

/** One request, as the bytes say: `host` null sends no Host header (HTTP/1.1 without it). */
async function send(port: number, method: string, path: string, opts: { body?: string; host?: string | null } = {}): Promise<Answer> {
  const headers: Record<string, string> = { Host: opts.host === undefined ? `127.0.0.1:${port}` : (opts.host ?? '') };
  if (opts.body !== undefined) headers['Content-Type'] = 'application/x-www-form-urlencoded';
  const r = await rawRequest({ host: '127.0.0.1', port }, httpRequest(method, path, headers, opts.body ?? ''));
  return { status: r.status, location: headerValue(r.head, 'Location') };
}

/** The status line a request gets (medusa answers HEAD with a body, which node's client cannot read). */
async function statusLine(port: number, request: string): Promise<string> {
  const [method, path] = request.split(' ') as [string, string];
  const r = await rawRequest({ host: '127.0.0.1', port }, httpRequest(method, path, { Host: 'x' }));
  return r.head.split('\r\n')[0] ?? '';
}

/** Ports and the clock are all that may differ in an answer. */
function normalAnswer(a: Answer, port: number): Answer {
  const location =
    a.location
      ?.replaceAll(`:${port}/`, ':PORT/')
      .replace(/%20at%20\w{3}%20\w{3}%20[%0-9A-F]+%20\d\d%3A\d\d%3A\d\d%20\d{4}$/, '%20at%20CTIME') ?? null;
  return { status: a.status, location };
}

function normalRows(rows: StatusRow[]): StatusRow[] {
  return rows.map((r) => ({
    ...r,
    description: r.description
      .replace(/^pid \d+, uptime \d+:\d\d:\d\d$/, 'pid PID, uptime UPTIME')
      .replace(/^\w{3} \d{1,2} \d{1,2}:\d\d [AP]M$/, 'WHEN'),
  }));
}

interface Pair {
  sides: Side[];
  ports: number[];
  browser: Browser;
  pages: Page[];
}

async function tables(p: Pair): Promise<StatusRow[][]> {
  return Promise.all(
    p.pages.map(async (page, i) => {
      await page.goto(`http://127.0.0.1:${p.ports[i]}/`);
      return normalRows(await statusRows(page));
    }),
  );
}

/** The two tables once both daemons have settled (a program that exits right after its start may still show RUNNING for a moment). */
async function sameTables(p: Pair, what: string): Promise<StatusRow[]> {
  let last: StatusRow[][] = [];
  try {
    return await poll(async () => {
      last = await tables(p);
      const [py, ts] = last;
      return py && py.length > 0 && isDeepStrictEqual(py, ts) ? py : undefined;
    }, `the same status table after ${what}`, 10000, 100);
  } catch (e) {
    assert.deepEqual(last[1], last[0], `status table after ${what}`);
    throw e;
  }
}

async function withPair(body: (p: Pair) => Promise<void>): Promise<void> {
  const ports = [await freePort(), await freePort()];
  const sides = ports.map((port, i) => startSide(i === 0 ? 'supervisord' : 'tsv', `[inet_http_server]\nport=127.0.0.1:${port}\n` + PROGRAMS));
  let browser: Browser | null = null;
  try {
    for (const re of [/gave up: bad/, /success: talker/, /exited: b /, /success: a/]) await waitLog(sides, re);
    browser = await launchBrowser();
    const pages = [await browser.newPage(), await browser.newPage()];
    await body({ sides, ports, browser, pages });
    await stopSides(sides);
  } finally {
    await browser?.close();
    cleanupSides(sides);
  }
}

test('web UI, differential: every action, its redirect and message, and the table after it', { skip }, async () => {
  await withPair(async (p) => {
    const first = await sameTables(p, 'start-up');
    assert.deepEqual(
      first.map((r) => `${r.name} ${r.state} ${r.stateClass}`),
      ['bad fatal statuserror', 'early stopped statusnominal', 'g:a running statusrunning', 'g:b exited statusnominal', 'nolog running statusrunning', 'off stopped statusnominal', 'talker running statusrunning'],
    );
    const steps: [string, string, string?][] = [
      ['GET', '/index.html?action=refresh'],
      ['GET', '/index.html?processname=talker&action=stop'],
      ['GET', '/index.html?processname=talker&action=stop'],
      ['GET', '/index.html?processname=talker&action=start'],
      ['GET', '/index.html?processname=talker&action=start'],
      ['GET', '/index.html?processname=talker&action=restart'],
      ['GET', '/index.html?processname=off&action=restart'],
      ['GET', '/index.html?processname=nope&action=start'],
      ['GET', '/index.html?processname=bad&action=start'],
      ['GET', '/index.html?processname=early&action=start'],
      ['GET', '/index.html?processname=talker&action=clearlog'],
      ['GET', '/index.html?processname=g:*&action=stop'],
      ['GET', '/index.html?processname=g&action=stop'],
      ['GET', '/index.html?processname=g%3Aa&action=stop'],
      ['GET', '/index.html?processname=g%3Ab&action=start'],
      ['GET', '/index.html?processname=talker&action=bogus'],
      ['GET', '/index.html?processname=nope&action=bogus'],
      ['GET', '/index.html?action=bogus'],
      ['GET', '/index.html?action=start'],
      ['GET', '/index.html?processname=&action=refresh'],
      ['GET', '/index.html?processname=%C3%A9t%C3%A9+x&action=start'],
      ['GET', '/index.html?processname=%ZZ%2&action=stop'],
      ['GET', '/index.html?processname=talker;action=stop'],
      ['GET', '//index.html?processname=off&action=stop'],
      // a form post: its fields override the query's
      ['POST', '/index.html?processname=nope', 'processname=off&action=stop'],
      ['POST', '/', 'action=stop&processname=talker'],
      ['GET', '/?processname=off&action=start&action=stop'],
      ['GET', '/index.html?action=stopall'],
      ['GET', '/index.html?action=restartall'],
    ];
    for (const [method, path, body] of steps) {
      const what = `${method} ${path}${body ? ` (${body})` : ''}`;
      // both at once: supervisord's answers wait for its once-a-second main loop
      const answers = await Promise.all(p.ports.map(async (port) => normalAnswer(await send(port, method, path, { body }), port)));
      // g:b (startsecs=0) exits at once: supervisord answers "started" when its
      // loop passes it to RUNNING before the exit is reaped, and "spawn error"
      // (Exited too quickly) when the reap comes first; tsv is RUNNING at the
      // spawn (docs/differences.md, timing of transitions)
      if (path.includes('g%3Ab&action=start') && answers[0]?.location?.endsWith('ERROR%3A%20Process%20g%3Ab%3A%20spawn%20error')) {
        assert.deepEqual(answers[1], { status: 301, location: 'http://127.0.0.1:PORT/?message=Process%20g%3Ab%20started' }, what);
      } else assert.deepEqual(answers[1], answers[0], what);
      await sameTables(p, what);
    }
  });
});

test('web UI, differential: the flash message, the tail page, Host headers, paths that are not pages', { skip }, async () => {
  await withPair(async (p) => {
    const texts = async (path: string, selector: string): Promise<string[]> => {
      const out: string[] = [];
      for (const [i, page] of p.pages.entries()) {
        await page.goto(`http://127.0.0.1:${p.ports[i]}${path}`);
        out.push(await page.locator(selector).innerText());
      }
      return out;
    };
    for (const m of ['Hello%20%3Cb%3Ex%3C%2Fb%3E%20%26%20%22q%22', 'ERROR%3A%20Process%20x%3A%20spawn%20error', '%E2%9C%93+plus']) {
      const [py, ts] = await texts(`/?message=${m}`, '.status_msg');
      assert.equal(ts, py, `message ${m}`);
    }
    // Supervisor's templating leaves an entity reference unescaped, so its page shows
    // "&amp;" as "&" (and a log line's "&lt;" as "<"); tsv shows the text as it is
    const [py, ts] = await texts('/?message=a%20%26amp%3B%20b', '.status_msg');
    assert.deepEqual([py, ts], ['a & b', 'a &amp; b']);
    for (const q of ['processname=talker', 'processname=talker&limit=5', 'processname=talker&limit=abc', 'processname=talker&limit=-3', 'processname=talker&limit=2000', 'processname=talker&limit=%D9%A2%D9%A0%D9%A0%D9%A0', 'processname=nope', 'processname=g:*', 'processname=off', 'processname=nolog', '', 'processname=']) {
      const [py, ts] = await texts(`/tail.html?${q}`, 'pre');
      assert.equal(ts, py, `tail.html?${q}`);
    }
    for (const host of ['example.com', 'example.com:80', 'example.com:8080', '[::1]:9001', null]) {
      const answers = [];
      for (const port of p.ports) answers.push(normalAnswer(await send(port, 'GET', '/index.html?processname=nope&action=start', { host }), port));
      assert.deepEqual(answers[1], answers[0], `Host: ${host}`);
    }
    // a raw '#' starts a fragment, which selects nothing: no action is taken
    for (const path of ['/index.html?processname=off#x&action=start', '/index.html#x?processname=off&action=start']) {
      const answers = [];
      for (const port of p.ports) answers.push(normalAnswer(await send(port, 'GET', path), port));
      assert.deepEqual(answers[1], answers[0], path);
      assert.deepEqual(answers[1], { status: 200, location: null }, path);
    }
    // what shell scripts scraping the page see: `grep -c running` and the like count lines,
    // and a regex takes the message from Supervisor's own element
    const scraped = [];
    for (const port of p.ports) {
      const r = await rawRequest({ host: '127.0.0.1', port }, httpRequest('GET', '/index.html?message=ERROR%3A%20no%20such%20process', { Host: 'x' }));
      const lines = r.body.split('\n');
      const count = (word: string): number => lines.filter((l) => l.includes(word)).length;
      const message = /<div class="status_msg">([^<]*)<\/div>/.exec(r.body)?.[1] ?? null;
      scraped.push({ running: count('running'), fatal: count('fatal'), exited: count('exited'), stopped: count('stopped'), message });
    }
    assert.deepEqual(scraped[1], scraped[0]);
    assert.deepEqual(scraped[0], { running: 3, fatal: 1, exited: 1, stopped: 2, message: 'ERROR: no such process' });
    // a browser sends every cookie of the host, whatever the port: 20 KB of other apps' cookies
    const cookie = Array.from({ length: 5 }, (_, i) => `app${i}=${'c'.repeat(3990)}`).join('; ');
    const cookied = [];
    for (const port of p.ports) cookied.push((await rawRequest({ host: '127.0.0.1', port }, httpRequest('GET', '/', { Host: 'x', Cookie: cookie }))).status);
    assert.deepEqual(cookied, [200, 200]);
    // tsv's limit (supervisord has none) is answered with medusa's error page
    const huge = await rawRequest({ host: '127.0.0.1', port: p.ports[1] as number }, httpRequest('GET', '/', { Host: 'x', Cookie: 'c'.repeat(70 * 1024) }));
    assert.equal(huge.status, 431);
    assert.match(huge.body, /<p>Error code 431\.\r\n<p>Message: Request Header Fields Too Large\./);
    const requests = ['HEAD /', 'HEAD /index.html', 'HEAD /stylesheets/supervisor.css', 'PUT /index.html', 'OPTIONS /', 'DELETE /ok.html', 'POST /nothing.html', 'GET /nothing.html', 'GET /ok.html', 'GET /index.html/x'];
    for (const r of requests) {
      const codes = [];
      for (const port of p.ports) codes.push(await statusLine(port, r));
      assert.equal(codes[1], codes[0], r);
    }
  });
});
