import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Debian's Chromium: the browser tests drive it, never a downloaded browser. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const hasChromium = fs.existsSync(CHROMIUM);

/** Screenshots land here, to be looked at. */
export const SHOTS = path.resolve('test-output/screenshots');

/** Builds the client once if client/dist is missing, so the server can serve it. */
export async function ensureClientBuilt(): Promise<void> {
  if (fs.existsSync('client/dist/index.html')) return;
  const { build } = await import('vite');
  await build({ configFile: path.resolve('client/vite.config.ts'), logLevel: 'warn' });
}

export async function launch(): Promise<BrowserContext> {
  fs.mkdirSync(SHOTS, { recursive: true });
  return chromium.launchPersistentContext(fs.mkdtempSync(path.join(os.tmpdir(), 'chromium-')), {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    locale: 'fr-FR',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Waits until the map has drawn everything (the app sets the flag on MapLibre's idle event). */
export async function mapIdle(page: Page): Promise<void> {
  await page.waitForFunction(() => (globalThis as any).__mapIdle === true, null, { timeout: 30_000 });
}
