// The operator console in a real browser: Debian's chromium (or firefox-esr) driven by
// puppeteer-core, which never downloads one. Pages are saved as pictures: with CONSOLE_SCREENSHOTS=1
// to docs/console/*.png (the pictures docs/console.md shows), otherwise to a temporary directory, so
// a test run leaves the working tree as it was. Without the browser the tests skip, loudly.
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

const BROWSERS = {
  chrome: { executablePath: '/usr/bin/chromium', debianPackage: 'chromium', args: ['--no-sandbox', '--headless=new'] },
  firefox: { executablePath: '/usr/bin/firefox-esr', debianPackage: 'firefox-esr', args: [] },
} as const;
export type BrowserName = keyof typeof BROWSERS;

export const hasBrowser = (name: BrowserName) => existsSync(BROWSERS[name].executablePath);
export const hasChromium = hasBrowser('chrome');

export function warnIfNoBrowser(file: string, name: BrowserName = 'chrome'): void {
  const b = BROWSERS[name];
  if (!hasBrowser(name)) console.warn(`${file} skipped: no ${b.executablePath}. Install it with: apt-get install ${b.debianPackage}`);
}

export type ConsoleBrowser = {
  page: Page;
  /** Saves the page as `<name>.png`. */
  shot(name: string): Promise<void>;
  /** The text of the page's main element. */
  text(): Promise<string>;
  /** Clicks `selector` and waits for the page it leads to. */
  submit(selector: string): Promise<void>;
  signIn(baseUrl: string, token: string): Promise<void>;
  close(): Promise<void>;
};

export async function openConsoleBrowser(name: BrowserName = 'chrome'): Promise<ConsoleBrowser> {
  const shots = process.env.CONSOLE_SCREENSHOTS === '1' ? path.resolve('docs/console') : mkdtempSync(path.join(os.tmpdir(), 'console-shots-'));
  mkdirSync(shots, { recursive: true });
  const { executablePath, args } = BROWSERS[name];
  const browser: Browser = await puppeteer.launch({ browser: name, executablePath, args: [...args], headless: true });
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 860 });
  const submit = async (selector: string) => {
    await Promise.all([page.waitForNavigation(), page.click(selector)]);
  };
  return {
    page,
    shot: async (name) => {
      await page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
    },
    // A string, evaluated in the page: the test's TypeScript has no DOM types.
    text: async () => String(await page.evaluate('document.querySelector("main").textContent')),
    submit,
    async signIn(baseUrl, token) {
      await page.goto(`${baseUrl}/console/sign-in`);
      await page.type('#token', token);
      await submit('button[type=submit]');
    },
    close: () => browser.close(),
  };
}
