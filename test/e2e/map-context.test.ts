import { beforeAll, expect, it } from 'vitest';
import { boundsOf } from '../../client/src/lib/map/bounds.js';
import { describeInBrowser, mapIdle, keepScreenshot } from '../helpers/browser.js';

const SOURCE = 'test:e2e/map-context.test.ts';

/** What a web map of `width` × `height` pixels centred on [lon, lat] at `zoom` shows (Web Mercator, 512-px world at zoom 0 as MapLibre). */
function visibleBox([lon, lat]: number[], zoom: number, width: number, height: number) {
  const world = 512 * 2 ** zoom;
  const x = ((lon + 180) / 360) * world;
  const y = ((1 - Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360)) / Math.PI) / 2) * world;
  const lonAt = (px: number) => (px / world) * 360 - 180;
  const latAt = (py: number) => (Math.atan(Math.sinh(Math.PI * (1 - (2 * py) / world))) * 180) / Math.PI;
  return { west: lonAt(x - width / 2), east: lonAt(x + width / 2), north: latAt(y - height / 2), south: latAt(y + height / 2) };
}

/**
 * The maps with their context, offline (issue 16): a commune's map shows the neighbouring
 * communes' outlines and names, its département's boundary and a legend of every symbol; an actor
 * acting within a radius is a circle, and « Voir son territoire » frames it; the gaps map names
 * the départements and the large communes and says what its dashed line is.
 */
describeInBrowser('maps with context: neighbours, names, legend, radius circle (Chromium)', (s) => {
  const legend = () => s.page.getByRole('list', { name: 'Légende de la carte' }).innerText();
  const mapView = async () => {
    const map = s.page.locator('.map[data-zoom]');
    return {
      zoom: Number(await map.getAttribute('data-zoom')),
      center: String(await map.getAttribute('data-center'))
        .split(',')
        .map(Number),
    };
  };

  beforeAll(async () => {
    // 25 km around Étain, north-east of Verdun: it covers Verdun without being in it.
    const res = await s.server.admin.gql(`mutation ($i: CreateActorInput!) { createActor(input: $i) { id } }`, {
      i: {
        name: 'Prévention Étain 25 km',
        kind: 'ASSOCIATION',
        sector: 'SOCIAL',
        themes: ['parentalite'],
        source: SOURCE,
        lon: 5.64,
        lat: 49.213,
        radiusKm: 25,
      },
    });
    expect(res.errors).toBeUndefined();
  });

  it('should draw Verdun among its named neighbours, inside the dashed boundary of the Meuse, with a legend of every symbol', async () => {
    await s.page.setViewportSize({ width: 1366, height: 768 });
    await s.page.goto(`${s.server.url}/communes/55545`);
    await mapIdle(s.page);
    await expect.poll(() => s.page.locator('.map-label-focus').allTextContents(), { timeout: 15_000 }).toEqual(['Verdun']);
    // The neighbours' names, none of them Verdun, and some of the communes that touch it.
    await expect.poll(() => s.page.locator('.map-label-commune').count(), { timeout: 15_000 }).toBeGreaterThan(4);
    const names = await s.page.locator('.map-label-commune').allTextContents();
    expect(names).not.toContain('Verdun');
    expect(names.some((n) => ['Belleville-sur-Meuse', 'Thierville-sur-Meuse', 'Haudainville', 'Belrupt-en-Verdunois'].includes(n))).toBe(true);
    const text = await legend();
    for (const item of ['Commune recherchée', 'Communes voisines', 'Limite du département', 'Acteur (son adresse)', 'Rayon d’action d’un acteur de la liste'])
      expect(text).toContain(item);
    await keepScreenshot(s.page.locator('.map-col'), 'carte-commune-contexte.png');
  });

  it('should keep the whole commune in view once its map has taken its final size', async () => {
    // The map's box loses about 90 px of height as the page settles: the commune, framed before,
    // then overflowed it (Saint-Denis was cut at both ends). Framed again on every resize.
    const res = await s.server.admin.gql(`{ territory(code: "55545", level: COMMUNE) { geometry(simplify: 0.0005) } }`);
    expect(res.errors).toBeUndefined();
    const [[west, south], [east, north]] = boundsOf((res.data.territory as { geometry: GeoJSON.Geometry }).geometry)!;
    for (const height of [900, 620]) {
      await s.page.setViewportSize({ width: 1366, height });
      await s.page.goto(`${s.server.url}/communes/55545`);
      await mapIdle(s.page);
      await expect.poll(() => s.page.locator('.map-label-focus').count(), { timeout: 15_000 }).toBe(1);
      // Shrunk after the first framing, as a person narrows the window.
      await s.page.setViewportSize({ width: 1100, height });
      await mapIdle(s.page);
      await expect
        .poll(
          async () => {
            const view = await mapView();
            const box = (await s.page.locator('.map[data-zoom]').boundingBox())!;
            const visible = visibleBox(view.center, view.zoom, box.width, box.height);
            return visible.west <= west && visible.east >= east && visible.south <= south && visible.north >= north;
          },
          { timeout: 15_000 },
        )
        .toBe(true);
    }
  });

  it('should leave the actors’ cluster visible: the commune’s name moves off it rather than covering its count', async () => {
    // Two actors on Verdun's label point, where its name is written: a cluster there at this zoom.
    const at = await s.server.admin.gql(`{ territory(code: "55545", level: COMMUNE) { lon lat } }`);
    expect(at.errors).toBeUndefined();
    const { lon, lat } = at.data.territory as { lon: number; lat: number };
    for (const name of ['Point de Verdun A', 'Point de Verdun B']) {
      const res = await s.server.admin.gql(`mutation ($i: CreateActorInput!) { createActor(input: $i) { id } }`, {
        i: {
          name,
          kind: 'ASSOCIATION',
          sector: 'SOCIAL',
          themes: ['parentalite'],
          source: SOURCE,
          lon,
          lat,
          territories: [{ level: 'COMMUNE', code: '55545' }],
        },
      });
      expect(res.errors).toBeUndefined();
    }
    await s.page.setViewportSize({ width: 1366, height: 768 });
    await s.page.goto(`${s.server.url}/communes/55545`);
    await mapIdle(s.page);
    await expect.poll(() => s.page.locator('.cluster-count').count(), { timeout: 15_000 }).toBeGreaterThan(0);
    await expect.poll(() => s.page.locator('.map-label-focus').allTextContents(), { timeout: 15_000 }).toEqual(['Verdun']);
    const boxes = await s.page.evaluate(() => {
      const box = (e: Element) => {
        const r = e.getBoundingClientRect();
        return { left: r.left, top: r.top, right: r.right, bottom: r.bottom };
      };
      return { labels: Array.from(document.querySelectorAll('.map-label'), box), counts: Array.from(document.querySelectorAll('.cluster-count'), box) };
    });
    // Each cluster's circle: its count at the centre, 16 px of radius at least (14 and its white ring).
    for (const c of boxes.counts) {
      const [x, y] = [(c.left + c.right) / 2, (c.top + c.bottom) / 2];
      for (const l of boxes.labels) expect(l.left < x + 16 && l.right > x - 16 && l.top < y + 16 && l.bottom > y - 16, JSON.stringify({ c, l })).toBe(false);
    }
    await keepScreenshot(s.page.locator('.map-col'), 'carte-commune-grappe.png');
  });

  it('should draw a radius actor as a circle and frame it on « Voir son territoire »', async () => {
    await s.page.goto(`${s.server.url}/communes/55545`);
    await mapIdle(s.page);
    await expect.poll(() => s.page.locator('.map-label-focus').count(), { timeout: 15_000 }).toBe(1);
    const before = await mapView();
    const item = s.page.getByRole('listitem').filter({ hasText: 'Prévention Étain 25 km' });
    await item.getByRole('button', { name: /Voir son territoire/ }).click();
    await expect.poll(legend, { timeout: 15_000 }).toContain('Rayon d’action de l’acteur choisi');
    // Framed on the 50-km-wide circle: further out than Verdun, centred on Étain.
    await expect.poll(async () => (await mapView()).zoom, { timeout: 15_000 }).toBeLessThan(before.zoom - 1);
    const after = await mapView();
    expect(Math.abs(after.center[0] - 5.64)).toBeLessThan(0.05);
    expect(Math.abs(after.center[1] - 49.213)).toBeLessThan(0.05);
    await mapIdle(s.page);
    await keepScreenshot(s.page.locator('.map-col'), 'carte-commune-rayon.png');
  });

  it('should draw a local actor’s page among the named neighbours of its address, and a national actor’s without them', async () => {
    const create = async (name: string, territories: { level: string; code: string }[]) => {
      const res = await s.server.admin.gql(`mutation ($i: CreateActorInput!) { createActor(input: $i) { id } }`, {
        i: { name, kind: 'ASSOCIATION', sector: 'SOCIAL', themes: ['parentalite'], source: SOURCE, communeCode: '55545', territories },
      });
      expect(res.errors).toBeUndefined();
      return (res.data.createActor as { id: string }).id;
    };
    const local = await create('Prévention verdunoise', [{ level: 'COMMUNE', code: '55545' }]);
    const national = await create('Prévention nationale, siège à Verdun', [{ level: 'PAYS', code: 'FR' }]);
    await s.page.setViewportSize({ width: 1366, height: 768 });
    await s.page.goto(`${s.server.url}/acteurs/${local}`);
    await mapIdle(s.page);
    // Before, the commune's outline stood alone on département boundaries simplified for all France.
    await expect.poll(() => s.page.locator('.map-label-commune').count(), { timeout: 15_000 }).toBeGreaterThan(2);
    const names = await s.page.locator('.map-label-commune').allTextContents();
    expect(names.some((n) => ['Belleville-sur-Meuse', 'Thierville-sur-Meuse', 'Haudainville', 'Belrupt-en-Verdunois'].includes(n))).toBe(true);
    const text = await legend();
    for (const item of ['Communes voisines', 'Limite du département', 'Territoire d’intervention de l’acteur choisi']) expect(text).toContain(item);
    await keepScreenshot(s.page.locator('.map-col'), 'acteur-carte-contexte.png');
    // On an EPCI: its own communes, named, and said so.
    const epci = await create('Prévention du Grand Verdun', [{ level: 'EPCI', code: '200049187' }]);
    await s.page.goto(`${s.server.url}/acteurs/${epci}`);
    await mapIdle(s.page);
    await expect.poll(legend, { timeout: 15_000 }).toContain('Communes de l’EPCI');
    // Names that do not crowd each other: several of the 25 communes, a few of them these.
    await expect.poll(() => s.page.locator('.map-label-commune').count(), { timeout: 15_000 }).toBeGreaterThan(5);
    const members = await s.page.locator('.map-label-commune').allTextContents();
    expect(
      members.filter((n) => ['Belleville-sur-Meuse', 'Thierville-sur-Meuse', 'Haudainville', 'Belrupt-en-Verdunois', 'Dieue-sur-Meuse'].includes(n)).length,
    ).toBeGreaterThan(1);
    expect(await legend()).not.toContain('Communes voisines');
    // All of France: the map of France, no neighbours of Verdun asked for nor drawn.
    await s.page.goto(`${s.server.url}/acteurs/${national}`);
    await mapIdle(s.page);
    await expect.poll(legend, { timeout: 15_000 }).toContain('Acteur (son adresse)');
    await s.page.waitForLoadState('networkidle');
    expect(await legend()).not.toContain('Communes voisines');
    expect(await s.page.locator('.map-label-commune').count()).toBe(0);
  });

  it('should name the Meuse and its large communes on the gaps map, and say what its dashed line is', async () => {
    await s.page.goto(`${s.server.url}/lacunes?region=44&departement=55&niveau=COMMUNE&theme=parentalite`);
    await mapIdle(s.page);
    await expect.poll(() => s.page.locator('.map-label-departement').allTextContents(), { timeout: 20_000 }).toContain('Meuse');
    await expect
      .poll(() => s.page.locator('.map-label-commune').allTextContents(), { timeout: 20_000 })
      .toEqual(expect.arrayContaining(['Verdun', 'Bar-le-Duc']));
    expect(await legend()).toContain('Limite de département');
    await keepScreenshot(s.page.locator('.map-col'), 'lacunes-carte-contexte.png');
  });
});
