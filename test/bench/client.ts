import fs from 'node:fs';
import type { Page } from 'playwright-core';
import { CHROMIUM, launch } from '../helpers/browser.js';

/**
 * What a user waits for in the browser, against the bench server and its national dataset:
 * - the commune search page, cold (empty cache, new browser profile): from navigation until the
 *   search box is usable, and until typing « verdun » shows Verdun (55545) among the suggestions;
 * - the coverage map of a région (Grand Est, communes, one theme): from navigation until the
 *   figures are shown and MapLibre has drawn them (its `idle` event); once from the search page
 *   (the app's files cached), once as a shared link opened in a new browser (nothing cached).
 * Each measured `runs` times in a fresh profile; the median and the slowest are reported.
 */
export interface ClientTiming {
  name: string;
  target: string;
  targetMs: number;
  samplesMs: number[];
  medianMs: number;
  maxMs: number;
  ok: boolean;
}

export interface ClientReport {
  timings: ClientTiming[];
  bundle: { file: string; bytes: number; gzipBytes: number }[];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function measureClient(url: string, runs = 5): Promise<ClientReport | { skipped: string }> {
  if (!fs.existsSync(CHROMIUM)) return { skipped: 'Chromium absent (/usr/bin/chromium) : mesures du client non faites' };
  if (!fs.existsSync('client/dist/index.html')) return { skipped: 'client non construit (npm run build)' };
  const measures: Record<string, number[]> = { interactive: [], suggestion: [], regionMap: [], regionMapDirect: [] };
  const REGION_MAP = `${url}/lacunes?region=44&niveau=COMMUNE&theme=sante-mentale`;
  /** From navigation until the figures are shown and MapLibre has drawn the coverage. */
  const regionMap = async (page: Page) => {
    const t0 = Date.now();
    await page.goto(REGION_MAP, { waitUntil: 'commit' });
    await page.locator('#gaps-title').filter({ hasText: /\(\d/ }).waitFor({ timeout: 60_000 });
    await page.locator('.summary').waitFor();
    await page.waitForFunction(() => (globalThis as any).__mapIdle === true, null, { timeout: 60_000 });
    const ms = Date.now() - t0;
    // The page then asks for the theme matrix and the base map: let them end (not timed), or the
    // server would still be computing them during the next measurement.
    await page.waitForLoadState('networkidle');
    return ms;
  };
  for (let i = 0; i < runs; i++) {
    const browser = await launch(CHROMIUM);
    try {
      const page = browser.pages()[0] ?? (await browser.newPage());
      const t0 = Date.now();
      await page.goto(`${url}/`, { waitUntil: 'commit' });
      const box = page.getByRole('combobox').first();
      // Svelte renders the box once the app is mounted, with its handlers: from then on it is usable.
      await box.waitFor({ state: 'visible' });
      measures.interactive.push(Date.now() - t0);
      await box.fill('verdun');
      await page
        .getByRole('option', { name: /Verdun/ })
        .first()
        .waitFor();
      measures.suggestion.push(Date.now() - t0);

      // From the search page: the app's files are in the browser's cache.
      measures.regionMap.push(await regionMap(page));
    } finally {
      await browser.close();
    }
    // A shared link opened in a new browser: nothing in its cache.
    const cold = await launch(CHROMIUM);
    try {
      const page = cold.pages()[0] ?? (await cold.newPage());
      // A browser already running, as a user's is: its own start-up work (GPU process, SwiftShader)
      // is over before the link is opened.
      await page.goto('about:blank');
      await page.waitForTimeout(1000);
      measures.regionMapDirect.push(await regionMap(page));
    } finally {
      await cold.close();
    }
  }
  const timing = (name: string, key: string, target: string, targetMs: number): ClientTiming => ({
    name,
    target,
    targetMs,
    samplesMs: measures[key],
    medianMs: median(measures[key]),
    maxMs: Math.max(...measures[key]),
    ok: median(measures[key]) <= targetMs,
  });
  const { gzipSync } = await import('node:zlib');
  const assets = fs.readdirSync('client/dist/assets').filter((f) => /\.(m?js|css)$/.test(f));
  return {
    timings: [
      timing('recherche par commune : page utilisable (à froid)', 'interactive', '≤ 2 000 ms', 2000),
      timing('recherche par commune : suggestion « Verdun » affichée (à froid)', 'suggestion', '≤ 2 000 ms', 2000),
      timing('carte de couverture du Grand Est (5 121 communes) dessinée, depuis la recherche', 'regionMap', '≤ 3 000 ms', 3000),
      timing('carte de couverture du Grand Est dessinée, lien ouvert dans un navigateur neuf', 'regionMapDirect', '≤ 3 000 ms', 3000),
    ],
    bundle: assets.map((file) => {
      const bytes = fs.readFileSync(`client/dist/assets/${file}`);
      return { file, bytes: bytes.length, gzipBytes: gzipSync(bytes).length };
    }),
  };
}
