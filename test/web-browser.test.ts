// tsv's web page in a real browser (Chromium): the buttons and links do what
// they say, the tail page and the live tail show the log, and what Supervisor's
// page lacks: a page on another site cannot make the browser stop a program
// (a link, an image or a form aimed at index.html is answered with a
// confirmation, not carried out), the page cannot be framed, it asks for the
// password the config sets, and it fits a phone's screen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { freePort } from './helpers/common';
import { httpRequest, rawRequest } from './helpers/raw-http';
import { poll } from './helpers/daemon-cli';
import { haveSupervisord, startSide, stopSides, cleanupSides, waitLog, type Side } from './helpers/daemon-oracle';
import { launchBrowser, noChromium, statusRows } from './helpers/browser';
import { RpcClient } from '../src/rpc/client';
import type { XmlRpcValue } from '../src/rpc/xmlrpc';

const skip = noChromium();

const PROGRAMS =
  `[program:talker]\ncommand=/bin/sh -c 'echo hello; while :; do echo "tick <&>"; sleep 0.2; done'\nstartsecs=0\n` +
  '[program:idle]\ncommand=/bin/sleep 1000\nstartsecs=0\n';

interface Site {
  side: Side;
  port: number;
  url: string;
  browser: Browser;
}

async function withSite(extra: string, body: (s: Site) => Promise<void>): Promise<void> {
  const port = await freePort();
  const side = startSide('tsv', `[inet_http_server]\nport=127.0.0.1:${port}\n${extra}` + PROGRAMS);
  let browser: Browser | null = null;
  try {
    await waitLog([side], /success: talker[^]*success: idle|success: idle[^]*success: talker/);
    browser = await launchBrowser();
    await body({ side, port, url: `http://127.0.0.1:${port}`, browser });
    await stopSides([side]);
  } finally {
    await browser?.close();
    cleanupSides([side]);
  }
}

async function rpcOf(s: Site, method: string, params: XmlRpcValue[]): Promise<XmlRpcValue> {
  const rpc = new RpcClient({ serverurl: `unix://${s.side.dir.join('s.sock')}` });
  try {
    return await rpc.call(method, params);
  } finally {
    rpc.close();
  }
}

const infoOf = async (s: Site, name: string): Promise<{ statename: string; stdout_logfile: string }> =>
  (await rpcOf(s, 'supervisor.getProcessInfo', [name])) as { statename: string; stdout_logfile: string };

const stateOf = async (s: Site, name: string): Promise<string> => (await infoOf(s, name)).statename;

async function rowOf(page: Page, name: string): Promise<string> {
  const row = (await statusRows(page)).find((r) => r.name === name);
  return row ? `${row.state} ${row.stateClass}` : 'missing';
}

/** A page on another origin (another port): what an attacker's site would serve. */
async function elsewhere(html: string): Promise<{ server: Server; url: string }> {
  const port = await freePort();
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end(html);
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  // "localhost" is another site than "127.0.0.1" to the browser
  return { server, url: `http://localhost:${port}/` };
}

test('web page in a browser: stop, start and restart by clicking, flash messages, the tail page and the live tail', { skip }, async () => {
  await withSite('', async (s) => {
    const page = await s.browser.newPage();
    await page.goto(`${s.url}/`);
    assert.match(await page.title(), /^tsv status: /);
    assert.equal(await rowOf(page, 'talker'), 'running statusrunning');
    const row = page.locator('tbody tr', { hasText: 'talker' });

    await row.getByRole('link', { name: 'Stop', exact: true }).click();
    await page.waitForURL(/\?message=/);
    assert.equal(await page.locator('.status_msg').innerText(), 'Process talker stopped');
    assert.equal(await rowOf(page, 'talker'), 'stopped statusnominal');
    assert.equal(await stateOf(s, 'talker'), 'STOPPED');

    await row.getByRole('link', { name: 'Start', exact: true }).click();
    await page.waitForURL(/started$/);
    assert.equal(await page.locator('.status_msg').innerText(), 'Process talker started');
    assert.equal(await rowOf(page, 'talker'), 'running statusrunning');

    await page.getByRole('link', { name: 'Stop All' }).click();
    await page.waitForURL(/All%20stopped/);
    assert.equal(await rowOf(page, 'idle'), 'stopped statusnominal');
    await page.getByRole('link', { name: 'Restart All' }).click();
    await page.waitForURL(/All%20restarted/);
    assert.equal(await rowOf(page, 'idle'), 'running statusrunning');
    assert.match(await page.locator('.summary').innerText(), /^2 processes: 2 RUNNING$/);

    // the name opens the tail page in a new tab; the log's text is shown as it is
    const [tail] = await Promise.all([page.waitForEvent('popup'), row.getByRole('link', { name: 'talker', exact: true }).click()]);
    await tail.waitForLoadState();
    assert.match(await tail.locator('pre').innerText(), /hello\n(tick <&>\n)+/);
    // Tail -f streams: the text grows while the tab is open
    // ... line by line: a browser that sniffs text/plain shows nothing before
    // 512 bytes, so the log starts empty (it grows by 45 bytes a second) and
    // its size is taken as soon as the first tick shows
    const log = (await infoOf(s, 'talker')).stdout_logfile;
    await rpcOf(s, 'supervisor.clearProcessLogs', ['talker']);
    const [live] = await Promise.all([page.waitForEvent('popup'), row.getByRole('link', { name: 'Tail -f Stdout' }).click()]);
    const ticks = async (): Promise<number> => ((await live.locator('body').innerText()).match(/tick/g) ?? []).length;
    let shownAt = 0;
    const first = await poll(async () => {
      const n = await ticks();
      shownAt = statSync(log).size;
      return n > 0 ? n : undefined;
    }, 'the live tail to show ticks');
    assert.ok(shownAt < 512, `shown only once the whole log was ${shownAt} bytes`);
    await poll(async () => ((await ticks()) >= first + 3 ? true : undefined), 'the live tail to grow');
  });
});

/** The first two links of a row's Action cell (Start/Restart, Stop, or Supervisor's hidden placeholder "#"). */
async function startStopOf(page: Page, name: string): Promise<string[]> {
  const row = (await statusRows(page)).find((r) => r.name === name);
  return (row?.actions ?? []).slice(0, 2).map((a) => a.split(' | ')[0]);
}

test('web page in a browser: Stop for a program not running whose start is pending (FATAL before its fatalretrysecs retry, waiting on depends_on), which calls the start off', { skip }, async () => {
  const extra =
    '[program:flaky]\ncommand=/bin/false\nstartsecs=1\nstartretries=0\nfatalretrysecs=600\n' +
    '[program:base]\ncommand=/bin/sleep 1000\nautostart=false\nstartsecs=0\n' +
    '[program:waiter]\ncommand=/bin/sleep 1000\nstartsecs=0\ndepends_on=base\n';
  await withSite(extra, async (s) => {
    await waitLog([s.side], /gave up: flaky/);
    const page = await s.browser.newPage();
    await page.goto(`${s.url}/`);
    assert.equal(await rowOf(page, 'flaky'), 'fatal statuserror');
    assert.deepEqual(await startStopOf(page, 'flaky'), ['Start', 'Stop']);
    assert.equal(await rowOf(page, 'waiter'), 'stopped statusnominal');
    assert.deepEqual(await startStopOf(page, 'waiter'), ['Start', 'Stop']);
    // nothing pending: Supervisor's row (Start and the placeholder)
    assert.deepEqual(await startStopOf(page, 'base'), ['Start', '#']);
    // the description says what each pending start waits for
    const described = async (name: string): Promise<string | undefined> => (await statusRows(page)).find((r) => r.name === name)?.description;
    assert.match((await described('flaky')) ?? '', /^Exited too quickly \(process log may have details\), retrying in 0:(10:00|09:5\d) \(fatalretrysecs\)$/);
    assert.equal(await described('waiter'), 'Not started, waiting for base (depends_on)');
    assert.equal(await described('base'), 'Not started');

    await page.locator('tbody tr', { hasText: 'flaky' }).getByRole('link', { name: 'Stop', exact: true }).click();
    await page.waitForURL(/\?message=/);
    assert.equal(await page.locator('.status_msg').innerText(), 'Process flaky stopped');
    assert.equal(await rowOf(page, 'flaky'), 'stopped statusnominal');
    assert.deepEqual(await startStopOf(page, 'flaky'), ['Start', '#']);
    assert.match(s.side.log(), /stopped: flaky \(it was to be started again after FATAL; fatalretrysecs\)/);

    await page.locator('tbody tr', { hasText: 'waiter' }).getByRole('link', { name: 'Stop', exact: true }).click();
    await page.waitForURL(/waiter%20stopped/);
    assert.deepEqual(await startStopOf(page, 'waiter'), ['Start', '#']);
    assert.equal(await described('waiter'), 'Not started');
    assert.match(s.side.log(), /stopped: waiter \(it was to be started once base ran; depends_on\)/);
    // called off: base running no longer starts it
    await page.locator('tbody tr', { hasText: 'base' }).getByRole('link', { name: 'Start', exact: true }).click();
    await page.waitForURL(/base%20started/);
    assert.equal(await rowOf(page, 'base'), 'running statusrunning');
    assert.equal(await stateOf(s, 'waiter'), 'STOPPED');
    assert.equal(await stateOf(s, 'flaky'), 'STOPPED');
  });
});

test('web page in a browser: another site cannot stop a program through it; the page cannot be framed', { skip }, async () => {
  await withSite('', async (s) => {
    const stop = `${s.url}/index.html?processname=talker&amp;action=stop`;
    const attacker = await elsewhere(
      `<html><body><img src="${stop}"><iframe id="f" src="${s.url}/"></iframe>` +
        `<a id="link" href="${stop}">cute cats</a></body></html>`,
    );
    try {
      const page = await s.browser.newPage();
      await page.goto(attacker.url);
      // the <img> fired a cross-site GET at the action URL: nothing was done
      await page.waitForLoadState('load');
      assert.equal(await stateOf(s, 'talker'), 'RUNNING');
      // the frame did not render tsv's page
      const frame = page.frames().find((f) => f !== page.mainFrame());
      assert.ok(frame, 'the iframe exists');
      assert.equal(await frame.locator('#statustable').count(), 0, 'tsv refused to be framed');

      // a link followed from the other site gets a confirmation instead
      await page.click('#link');
      await page.waitForURL(/action=stop/);
      assert.match(await page.locator('main').innerText(), /Another web site sent your browser here to stop talker\. Nothing was done\./);
      assert.equal(await stateOf(s, 'talker'), 'RUNNING');
      // the user's own click on tsv's page carries it out
      await page.getByRole('button', { name: 'stop talker' }).click();
      await page.waitForURL(/\?message=Process%20talker%20stopped$/);
      assert.equal(await stateOf(s, 'talker'), 'STOPPED');
      // a bookmark or a typed address is the user's own request
      await page.goto(`${s.url}/index.html?processname=talker&action=start`);
      assert.equal(await page.locator('.status_msg').innerText(), 'Process talker started');
      assert.equal(await stateOf(s, 'talker'), 'RUNNING');
    } finally {
      attacker.server.close();
    }
  });
});

test('web page in a browser: the password from [inet_http_server], and a phone-sized screen', { skip }, async () => {
  await withSite('username=admin\npassword={SHA}d033e22ae348aeb5660fc2140aec35850c4da997\n', async (s) => {
    const anonymous = await s.browser.newContext();
    assert.equal((await anonymous.request.get(`${s.url}/`)).status(), 401);
    assert.equal((await anonymous.request.get(`${s.url}/index.html?processname=talker&action=stop`)).status(), 401);
    await anonymous.close();

    const ctx = await s.browser.newContext({ httpCredentials: { username: 'admin', password: 'admin' }, viewport: { width: 360, height: 740 } });
    const page = await ctx.newPage();
    const ok = await page.goto(`${s.url}/`);
    assert.equal(ok?.status(), 200);
    assert.equal(await rowOf(page, 'talker'), 'running statusrunning');
    assert.equal(await stateOf(s, 'talker'), 'RUNNING', 'the anonymous stop was refused');
    // nothing wider than the screen: no sideways scrolling on a phone
    const width = await page.evaluate('document.documentElement.scrollWidth');
    assert.ok(typeof width === 'number' && width <= 360, `page width ${width}`);
    // the stylesheet is served and applied (the browser's default weight for a span is 400)
    assert.equal(await page.evaluate("getComputedStyle(document.querySelector('td.status span')).fontWeight"), '600');
    await ctx.close();
  });
});

test('web page: while the daemon stops, the page still shows the programs (stopping), where Supervisor answers 500', { skip: haveSupervisord() ? false : 'needs /usr/bin/supervisord' }, async () => {
  const ports = [await freePort(), await freePort()];
  const sides = (['tsv', 'supervisord'] as const).map((impl, i) =>
    startSide(
      impl,
      `[inet_http_server]\nport=127.0.0.1:${ports[i]}\n[program:stubborn]\ncommand=/bin/sh -c "trap '' TERM; while :; do sleep 0.1; done"\nstartsecs=0\nstopwaitsecs=30\n`,
    ),
  );
  try {
    await waitLog(sides, /success: stubborn/);
    for (const side of sides) side.child.kill('SIGTERM');
    await waitLog(sides, /waiting for stubborn to (stop|die)/);
    const [ts, py] = await Promise.all(ports.map((port) => fetch(`http://127.0.0.1:${port}/`)));
    assert.equal(py?.status, 500, 'supervisord');
    assert.equal(ts?.status, 200);
    assert.match(await ts!.text(), /<span class="statusnominal">stopping<\/span>/);
    const start = await fetch(`http://127.0.0.1:${ports[0]}/index.html?processname=stubborn&action=start`, { redirect: 'manual' });
    assert.equal(decodeURIComponent(start.headers.get('location') ?? ''), `http://127.0.0.1:${ports[0]}/?message=ERROR: Process stubborn: unexpected rpc fault [6] SHUTDOWN_STATE`);
  } finally {
    cleanupSides(sides);
  }
});

test('web page: which requests count as sent by another site (the headers browsers send, and none from scripts)', async () => {
  const port = await freePort();
  const side = startSide('tsv', `[inet_http_server]\nport=127.0.0.1:${port}\n[program:idle]\ncommand=/bin/sleep 1000\nstartsecs=0\n`);
  const ask = async (method: string, headers: Record<string, string>, body = ''): Promise<number | null> => {
    const path = method === 'GET' ? '/index.html?processname=nope&action=stop' : '/index.html';
    return (await rawRequest({ host: '127.0.0.1', port }, httpRequest(method, path, { Host: `127.0.0.1:${port}`, ...headers }, body))).status;
  };
  try {
    await waitLog([side], /success: idle/);
    const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
    const cases: [string, Record<string, string>, number][] = [
      ['GET', {}, 301],
      ['GET', { 'Sec-Fetch-Site': 'none' }, 301],
      ['GET', { 'Sec-Fetch-Site': 'same-origin' }, 301],
      ['GET', { 'Sec-Fetch-Site': 'same-site' }, 403],
      ['GET', { 'Sec-Fetch-Site': 'cross-site' }, 403],
      ['POST', { ...form, Origin: `http://127.0.0.1:${port}` }, 301],
      ['POST', { ...form, Origin: 'http://evil.example' }, 403],
      ['POST', { ...form, Origin: 'null' }, 403],
      ['POST', { ...form, Origin: `http://127.0.0.1:${port}`, 'Sec-Fetch-Site': 'cross-site' }, 403],
    ];
    for (const [method, headers, want] of cases) {
      assert.equal(await ask(method, headers, method === 'POST' ? 'processname=nope&action=stop' : ''), want, `${method} ${JSON.stringify(headers)}`);
    }
    // Refresh changes nothing and is never asked about
    assert.equal(await ask('POST', { ...form, 'Sec-Fetch-Site': 'cross-site' }, 'action=refresh'), 301);
  } finally {
    cleanupSides([side]);
  }
});
