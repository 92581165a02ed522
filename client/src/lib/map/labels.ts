import { Marker, type Map as MapLibre } from 'maplibre-gl';

/** A name to write on the map, from this zoom on; the higher its rank, the sooner it gets a place. */
export interface LabelCandidate {
  text: string;
  lon: number;
  lat: number;
  rank: number;
  minZoom: number;
  /** CSS class of its kind (`commune`, `focus`, `departement`): its size and weight. */
  kind: string;
}

/** Rough width of a character and height of a line of the labels, in pixels (for collisions). */
const CHAR_PX = 6.5;
const LINE_PX = 16;

/** A box on the screen, in pixels of the map's container: left, top, right, bottom. */
export type ScreenBox = [number, number, number, number];

/** How far from its point a name may move to leave an obstacle visible, and its gap to it, in pixels (a name's box is up to 20 px high, LINE_PX + 4). */
const MAX_SHIFT_PX = 60;
const CLEARANCE_PX = 4;

const overlaps = (a: ScreenBox, b: ScreenBox) => a[0] < b[2] && a[2] > b[0] && a[1] < b[3] && a[3] > b[1];

/**
 * Names on a map without any glyph: the offline style loads no font (MapLibre's text layers need
 * glyph PBFs), so names are HTML markers in the page's own font, placed on each `moveend`, the
 * highest ranks first and none over another. `obstacles` are what a name must leave visible (the
 * actors' points and clusters, whose count is written on them): a name that would cover one moves
 * just below or just above it, the nearest first, or is left out.
 */
export class MapLabels {
  private markers: Marker[] = [];
  private candidates: LabelCandidate[] = [];
  private readonly place = () => this.update();

  constructor(
    private readonly map: MapLibre,
    private readonly obstacles: () => ScreenBox[] = () => [],
  ) {
    map.on('moveend', this.place);
  }

  /** Places the names again (after what the obstacles depend on is drawn). */
  refresh(): void {
    this.update();
  }

  set(candidates: LabelCandidate[]): void {
    this.candidates = [...candidates].sort((a, b) => b.rank - a.rank);
    this.update();
  }

  private update(): void {
    this.markers.forEach((m) => m.remove());
    this.markers = [];
    const zoom = this.map.getZoom();
    const { clientWidth: width, clientHeight: height } = this.map.getContainer();
    const obstacles = this.obstacles();
    const taken: ScreenBox[] = [];
    const seen = new Set<string>();
    for (const c of this.candidates) {
      if (c.minZoom > zoom || seen.has(`${c.kind}:${c.text}`)) continue;
      const p = this.map.project([c.lon, c.lat]);
      const w = c.text.length * CHAR_PX + 8;
      const fits = (box: ScreenBox) =>
        box[0] >= 0 && box[1] >= 0 && box[2] <= width && box[3] <= height && !taken.some((t) => overlaps(box, t)) && !obstacles.some((o) => overlaps(box, o));
      // On its point, else just below or above an obstacle in its way (the nearest place first).
      const places = [
        0,
        ...obstacles
          .filter((o) => o[0] < p.x + w / 2 && o[2] > p.x - w / 2)
          .flatMap((o) => [o[3] + CLEARANCE_PX + LINE_PX / 2 - p.y, o[1] - CLEARANCE_PX - LINE_PX / 2 - p.y])
          .filter((d) => Math.abs(d) <= MAX_SHIFT_PX)
          .sort((a, b) => Math.abs(a) - Math.abs(b)),
      ];
      const dy = places.find((d) => fits([p.x - w / 2, p.y + d - LINE_PX / 2, p.x + w / 2, p.y + d + LINE_PX / 2]));
      if (dy === undefined) continue;
      taken.push([p.x - w / 2, p.y + dy - LINE_PX / 2, p.x + w / 2, p.y + dy + LINE_PX / 2]);
      seen.add(`${c.kind}:${c.text}`);
      const el = document.createElement('div');
      el.className = `map-label map-label-${c.kind}`;
      el.textContent = c.text;
      this.markers.push(new Marker({ element: el, offset: [0, dy] }).setLngLat([c.lon, c.lat]).addTo(this.map));
    }
  }

  remove(): void {
    this.map.off('moveend', this.place);
    this.markers.forEach((m) => m.remove());
  }
}
