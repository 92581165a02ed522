import fs from 'node:fs';
import { beforeAll, expect, it } from 'vitest';
import { mapIdle, describeInBrowser, keepScreenshot } from '../helpers/browser.js';

const SOURCE = 'test:e2e/gaps.test.ts';

describeInBrowser('gaps page in a real browser (Chromium)', (s) => {
  let covered: number;

  beforeAll(async () => {
    const verdun = await s.server.gql(`{ territory(code: "55545") { parents { level code } } }`);
    const epci = verdun.data.territory.parents.find((p: any) => p.level === 'EPCI').code;
    const res = await s.server.admin.gql(`mutation ($i: CreateActorInput!) { createActor(input: $i) { coveredCommunes(first: 0) { totalCount } } }`, {
      i: {
        name: 'Vaccination Grand Verdun',
        kind: 'ASSOCIATION',
        sector: 'SANTE',
        themes: ['vaccination'],
        communeCode: '55545',
        source: SOURCE,
        territories: [{ level: 'EPCI', code: epci }],
      },
    });
    expect(res.errors).toBeUndefined();
    covered = res.data.createActor.coveredCommunes.totalCount;
  });

  it('maps the coverage of a département for a theme and ranks the communes without actor', async () => {
    const tiles: string[] = [];
    const onRequest = (r: { url(): string }) => {
      const m = r.url().match(/\/tiles\/coverage\/(\d+\/\d+\/\d+)\.mvt/);
      if (m) tiles.push(m[1]);
    };
    s.page.on('request', onRequest);
    await s.page.goto(`${s.server.url}/lacunes?region=44&departement=55&niveau=COMMUNE&theme=vaccination`);
    const title = s.page.locator('#gaps-title');
    await expect.poll(() => title.textContent(), { timeout: 30_000 }).toMatch(/\(\d/);
    const gaps = Number((await title.textContent())!.match(/\(([\d\s\u202f]+)\)/)![1].replace(/\D/g, ''));
    // Meuse has 499 communes; the fixture covers those of one EPCI.
    expect(gaps).toBe(499 - covered);
    await expect
      .poll(() => s.page.locator('.summary').textContent())
      .toMatch(new RegExp(`${499 - covered}\\s*communes sans acteur présent localement sur 499`));
    expect(await s.page.locator('table tbody tr').first().locator('td').first().textContent()).toBe('1');
    // The ranked list's six columns fit the half of a 1280-px page: none hidden behind a scroll.
    await s.page.setViewportSize({ width: 1280, height: 900 });
    await expect.poll(() => s.page.locator('.gap-list').evaluate((box) => box.querySelector('table')!.scrollWidth - box.clientWidth)).toBeLessThanOrEqual(0);
    await s.page.getByRole('heading', { name: /Matrice des thèmes/ }).waitFor();
    await mapIdle(s.page);
    s.page.off('request', onRequest);
    // Framed on Meuse from the start (its box ships with the client) and never moved once the
    // coverage came: each tile of the frame asked for once (a move re-asks them), all at one zoom.
    expect(tiles.length).toBeGreaterThan(0);
    expect(new Set(tiles).size).toBe(tiles.length);
    expect(new Set(tiles.map((t) => t.split('/')[0])).size).toBe(1);
    await keepScreenshot(s.page, 'lacunes-meuse-vaccination.png', { fullPage: true });

    // The GeoJSON export carries every commune with its figures and the distance to the nearest actor.
    const [download] = await Promise.all([s.page.waitForEvent('download'), s.page.getByRole('button', { name: 'Exporter la carte (GeoJSON)' }).click()]);
    const exported = JSON.parse(fs.readFileSync(await download.path(), 'utf8'));
    expect(exported.type).toBe('FeatureCollection');
    expect(exported.features).toHaveLength(499);
    const uncovered = exported.features.filter((f: any) => f.properties.actorCount === 0);
    expect(uncovered).toHaveLength(499 - covered);
    expect(uncovered.every((f: any) => typeof f.properties.nearestActorKm === 'number' && f.properties.nearestActorKm >= 0)).toBe(true);
  });

  it('reopens a shared link about a whole région on the whole région', async () => {
    await s.page.goto(`${s.server.url}/lacunes?region=44&niveau=EPCI&theme=vaccination`);
    await expect.poll(() => s.page.locator('#gaps-title').textContent(), { timeout: 30_000 }).toMatch(/\(\d/);
    expect(await s.page.getByRole('combobox', { name: /^Département/ }).inputValue()).toBe('');
    await expect.poll(() => s.page.locator('.summary').textContent()).toMatch(/sur Grand Est/);
    await mapIdle(s.page);
    await keepScreenshot(s.page, 'lacunes-grand-est-epci.png', { fullPage: true });
  });
});
