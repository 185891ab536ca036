// A real browser for the web pages: Debian's Chromium driven by
// playwright-core (no browser download; .ci/run installs the package).
import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export const noChromium = (): string | false => (existsSync(CHROMIUM) ? false : `needs ${CHROMIUM} (apt-get install chromium)`);

export async function launchBrowser(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM });
}

/** The parts of a DOM element the row readers use (the tests are compiled without the DOM library). */
interface El {
  textContent: string | null;
  getAttribute(name: string): string | null;
  querySelector(sel: string): El | null;
  querySelectorAll(sel: string): ArrayLike<El>;
}

export interface StatusRow {
  stateClass: string | null;
  state: string;
  description: string;
  name: string;
  nameHref: string | null;
  /** every link in the Action cell: name, href, target, class */
  actions: string[];
}

/** The status table as the browser shows it, on Supervisor's page or tsv's (both keep the same hooks). */
export async function statusRows(page: Page): Promise<StatusRow[]> {
  return page.locator('tbody tr').evaluateAll((trs: El[]) =>
    trs.map((tr) => {
      const cells = tr.querySelectorAll('td');
      const text = (e: El | null | undefined): string => (e?.textContent ?? '').trim();
      const span = tr.querySelector('td.status span');
      const name = cells[2]?.querySelector('a') ?? null;
      const links = Array.from(cells[3]?.querySelectorAll('a') ?? []);
      return {
        stateClass: span?.getAttribute('class') ?? null,
        state: text(span),
        description: text(cells[1]),
        name: text(name),
        nameHref: name?.getAttribute('href') ?? null,
        actions: links.map((a) => [a.getAttribute('name'), a.getAttribute('href'), a.getAttribute('target'), a.getAttribute('class')].join(' | ')),
      };
    }),
  );
}
