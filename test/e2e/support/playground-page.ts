/**
 * A page object for the docs site's playground: what a person does (connect, subscribe, publish,
 * drop, go offline) and what they see, through the same controls, located by `data-testid`.
 *
 * @module
 */

import type { Browser, BrowserContext, Page } from 'playwright-core';

const T = (id: string) => `[data-testid="${id}"]`;

/**
 * One user's tab with the playground open.
 *
 * @example
 * ```ts
 * const ada = await PlaygroundPage.open(browser, origin, 'ada');
 * await ada.connect();
 * await ada.subscribe('room:1');
 * ```
 */
export class PlaygroundPage {
  /** Uncaught page errors, for the assertions at the end of a test. */
  readonly pageErrors: string[] = [];

  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
    readonly origin: string,
    readonly user: string,
  ) {
    page.on('pageerror', (err) => this.pageErrors.push(String(err)));
  }

  /** Opens the playground in a new isolated browser context (its own IndexedDB and storage). */
  static async open(browser: Browser, origin: string, user: string): Promise<PlaygroundPage> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    const page = await context.newPage();
    const pg = new PlaygroundPage(context, page, origin, user);
    await pg.load();
    return pg;
  }

  /** (Re)loads the playground page and waits for the component to mount. */
  async load(): Promise<void> {
    await this.page.goto(`${this.origin}/playground/`);
    await this.page.locator(T('playground')).waitFor({ timeout: 15_000 });
  }

  /** The user name the form holds (prefilled with a random one on a fresh page). */
  prefilledUser(): Promise<string> {
    return this.page.inputValue(T('user'));
  }

  /** Presses Connect without touching the form; waits for `connected`. */
  async connectAsIs(): Promise<void> {
    await this.page.click(T('connect'));
    await this.waitForState('connected');
  }

  /** Fills the form and presses Connect; waits for `connected`. */
  async connect(o: { encryption?: boolean; format?: 'json' | 'msgpack' } = {}): Promise<void> {
    await this.page.fill(T('user'), this.user);
    await this.page.check(T(o.format === 'msgpack' ? 'format-msgpack' : 'format-json'));
    await this.page.setChecked(T('e2e'), o.encryption === true);
    await this.page.click(T('connect'));
    await this.waitForState('connected');
  }

  /** Waits until the status bar shows `state`. */
  async waitForState(state: string, timeout = 15_000): Promise<void> {
    await this.page.waitForFunction(
      ([sel, want]) => document.querySelector(sel)?.textContent?.trim() === want,
      [T('state'), state] as const,
      { timeout },
    );
  }

  /** The status bar's value for a field (`state`, `queued`, `encrypted`, …). */
  async status(id: string): Promise<string> {
    return ((await this.page.textContent(T(id))) ?? '').trim();
  }

  /** The server features the status bar lists (from `server_hello`). */
  async features(): Promise<string[]> {
    const text = await this.status('features');
    return text === '—' ? [] : text.split(', ');
  }

  /** Subscribes to a topic and waits until it is listed. */
  async subscribe(topic: string): Promise<void> {
    await this.page.fill(T('topic'), topic);
    await this.page.click(T('subscribe'));
    await this.page.locator(`[data-topic="${topic}"]`).waitFor({ timeout: 10_000 });
  }

  /** Publishes `text` to `topic` with the Publish form. */
  async publish(topic: string, text: string): Promise<void> {
    await this.page.fill(T('publish-topic'), topic);
    await this.page.fill(T('text'), text);
    await this.page.click(T('send'));
  }

  /** Texts of the received messages, in arrival order. */
  async messages(): Promise<string[]> {
    return this.page.$$eval(T('message'), (els) => els.map((e) => e.getAttribute('data-text') ?? ''));
  }

  /** Texts of the messages marked "recovered". */
  async replayed(): Promise<string[]> {
    return this.page.$$eval(`${T('message')}.replayed`, (els) =>
      els.map((e) => e.getAttribute('data-text') ?? ''),
    );
  }

  /** Waits until every text in `texts` has been received. */
  async waitForMessages(texts: string[], timeout = 15_000): Promise<void> {
    await this.page.waitForFunction(
      ([sel, want]) => {
        const got = new Set([...document.querySelectorAll(sel)].map((e) => e.getAttribute('data-text')));
        return want.every((t) => got.has(t));
      },
      [T('message'), texts] as const,
      { timeout },
    );
  }

  /** Waits until the presence list of `topic` shows exactly `users` (sorted). */
  async waitForPresence(topic: string, users: string[], timeout = 15_000): Promise<void> {
    const want = [...users].sort().join(',');
    await this.page.waitForFunction(
      ([sel, expected]) => {
        const items = [...document.querySelectorAll(sel)].map((e) => e.getAttribute('data-user') ?? '');
        return items.sort().join(',') === expected;
      },
      [`[data-topic="${topic}"] [data-user]`, want] as const,
      { timeout },
    );
  }

  /** Presses "Drop connection" with the network kept down for `seconds`. */
  async drop(seconds: number): Promise<void> {
    await this.page.fill(T('outage'), String(seconds));
    await this.page.click(T('drop'));
  }

  /** Flips the "Go offline" switch. */
  async setOffline(offline: boolean): Promise<void> {
    await this.page.setChecked(T('offline'), offline);
  }

  /** The event log, newest first. */
  async log(): Promise<string[]> {
    return this.page.$$eval(`${T('log')} li`, (els) => els.map((e) => e.textContent ?? ''));
  }

  /**
   * Saves a picture of the playground component. The viewport is made tall enough that the
   * element needs no scrolling (else the fixed nav bar lands on top of it), then restored.
   */
  async screenshot(path: string): Promise<void> {
    const size = this.page.viewportSize();
    await this.page.setViewportSize({ width: 1280, height: 2400 });
    await this.page.locator(T('playground')).screenshot({ path });
    if (size) await this.page.setViewportSize(size);
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}
