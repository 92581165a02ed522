/// <reference lib="dom" />
import path from 'node:path';
import type { Page } from 'playwright-core';
import { beforeAll, expect, it } from 'vitest';
import { mapIdle, SHOTS, describeInBrowser } from '../helpers/browser.js';

const SOURCE = 'test:e2e/gaps-presence.test.ts';
const THEME = 'parentalite';

/** The four colours of the legend (CoverageMap.svelte), drawn at 85 % opacity over the map's background. */
const CLASS_COLOURS = { NONE: [215, 25, 28], WIDE_ONLY: [253, 174, 97], LOCAL_STALE: [171, 217, 233], LOCAL_VERIFIED: [44, 123, 182] } as const;
const BACKGROUND = [238, 243, 247];
const drawn = (c: readonly number[]) => c.map((v, i) => Math.round(v * 0.85 + BACKGROUND[i] * 0.15));

type Counts = Record<keyof typeof CLASS_COLOURS, number>;

/** Pixels of a PNG screenshot close to each class's colour as the map draws it (decoded by the browser itself). */
async function countClasses(page: Page, png: Buffer): Promise<Counts> {
  const targets = Object.fromEntries(Object.entries(CLASS_COLOURS).map(([k, c]) => [k, drawn(c)]));
  return page.evaluate(
    async ({ base64, targets }) => {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(bitmap, 0, 0);
      const { data } = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
      const counts: Record<string, number> = Object.fromEntries(Object.keys(targets).map((k) => [k, 0]));
      for (let i = 0; i < data.length; i += 4) {
        for (const [k, t] of Object.entries(targets)) {
          if (Math.abs(data[i] - t[0]) + Math.abs(data[i + 1] - t[1]) + Math.abs(data[i + 2] - t[2]) < 40) counts[k]++;
        }
      }
      return counts as Counts;
    },
    { base64: png.toString('base64'), targets },
  );
}

describeInBrowser('gaps page: local presence verified or to check, wide-scope only, no actor (Chromium)', (s) => {
  beforeAll(async () => {
    const create = async (input: Record<string, unknown>) => {
      const res = await s.server.admin.gql(`mutation ($i: CreateActorInput!) { createActor(input: $i) { id version } }`, {
        i: { kind: 'ASSOCIATION', sector: 'SOCIAL', themes: [THEME], source: SOURCE, ...input },
      });
      expect(res.errors).toBeUndefined();
      return res.data.createActor as { id: string; version: number };
    };
    // Local presence in one EPCI (never confirmed: to check) and in Bar-le-Duc (confirmed today);
    // 60 km around Verdun is wide-scope; the rest of Meuse has nobody.
    await create({ name: 'Parentalité Revigny', territories: [{ level: 'EPCI', code: '245501184' }] });
    const bar = await create({ name: 'Parentalité Bar-le-Duc', territories: [{ level: 'COMMUNE', code: '55029' }] });
    const confirm = await s.server.admin.gql(`mutation ($id: ID!, $v: Int!) { confirmActorUpToDate(id: $id, version: $v) { id } }`, {
      id: bar.id,
      v: bar.version,
    });
    expect(confirm.errors).toBeUndefined();
    await create({ name: 'Parentalité Lorraine 60 km', lon: 5.3844, lat: 49.1598, radiusKm: 60 });
  });

  it('draws the four classes of the legend, lists the gaps with their wide-scope actors, and counts any coverage on request', async () => {
    await s.page.goto(`${s.server.url}/lacunes?region=44&departement=55&niveau=COMMUNE&theme=${THEME}`);
    const title = s.page.locator('#gaps-title');
    await expect.poll(() => title.textContent(), { timeout: 30_000 }).toMatch(/\(\d/);
    const localGaps = Number((await title.textContent())!.match(/\(([\d\s\u202f]+)\)/)![1].replace(/\D/g, ''));
    expect(localGaps).toBe(499 - 16 - 1);
    const legend = await s.page.getByLabel('Légende').innerText();
    expect(legend).toMatch(/Aucun acteur/);
    expect(legend).toMatch(/Seulement des acteurs régionaux ou nationaux/);
    expect(legend).toMatch(/Présence locale, fiches à vérifier/);
    expect(legend).toMatch(/Présence locale, fiche vérifiée récemment/);
    const summary = s.page.locator('.summary');
    await expect.poll(() => summary.innerText()).toMatch(/2\s*acteurs présents localement sur Meuse, dont 1 à fiche confirmée depuis moins de 18 mois/);
    // The 16 communes of the EPCI rest on a record nobody confirmed.
    expect(await summary.innerText()).toMatch(/16\s*communes dont la présence locale ne repose que sur des fiches à vérifier/);
    // The largest gap, Verdun, is covered from afar only: one wide-scope actor, no local one.
    const first = await s.page.locator('.gap-list tbody tr').first().locator('td').allInnerTexts();
    expect(first.slice(1, 5)).toEqual(['Verdun', expect.stringMatching(/\d/), '0', '1']);

    await mapIdle(s.page);
    const map = s.page.locator('.map');
    const counts = await countClasses(s.page, await map.screenshot({ path: path.join(SHOTS, 'lacunes-presence-classes.png') }));
    expect(counts.LOCAL_STALE, JSON.stringify(counts)).toBeGreaterThan(300);
    expect(counts.LOCAL_VERIFIED, JSON.stringify(counts)).toBeGreaterThan(30);
    expect(counts.WIDE_ONLY, JSON.stringify(counts)).toBeGreaterThan(300);
    expect(counts.NONE, JSON.stringify(counts)).toBeGreaterThan(300);

    // Any coverage: the communes reached by the 60 km radius stop being gaps.
    // The DSFR draws the box from the label, over the hidden input: the click lands on the label, as a person's does.
    await s.page.getByLabel(/Présence locale seulement/).uncheck({ force: true });
    await expect.poll(() => title.textContent(), { timeout: 30_000 }).not.toMatch(new RegExp(`\\(${localGaps}\\)`));
    expect(s.page.url()).toMatch(/presence=toute/);
    await expect.poll(async () => Number((await title.textContent())!.match(/\(([\d\s\u202f]+)\)/)?.[1].replace(/\D/g, '') ?? NaN)).toBeLessThan(localGaps);
  });
});
