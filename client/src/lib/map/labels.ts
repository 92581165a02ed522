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

/**
 * Names on a map without any glyph: the offline style loads no font (MapLibre's text layers need
 * glyph PBFs), so names are HTML markers in the page's own font, placed on each `moveend`, the
 * highest ranks first and none over another.
 */
export class MapLabels {
  private markers: Marker[] = [];
  private candidates: LabelCandidate[] = [];
  private readonly place = () => this.update();

  constructor(private readonly map: MapLibre) {
    map.on('moveend', this.place);
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
    const taken: [number, number, number, number][] = [];
    const seen = new Set<string>();
    for (const c of this.candidates) {
      if (c.minZoom > zoom || seen.has(`${c.kind}:${c.text}`)) continue;
      const p = this.map.project([c.lon, c.lat]);
      const w = c.text.length * CHAR_PX + 8;
      const box: [number, number, number, number] = [p.x - w / 2, p.y - LINE_PX / 2, p.x + w / 2, p.y + LINE_PX / 2];
      if (box[0] < 0 || box[1] < 0 || box[2] > width || box[3] > height) continue;
      if (taken.some((t) => box[0] < t[2] && box[2] > t[0] && box[1] < t[3] && box[3] > t[1])) continue;
      taken.push(box);
      seen.add(`${c.kind}:${c.text}`);
      const el = document.createElement('div');
      el.className = `map-label map-label-${c.kind}`;
      el.textContent = c.text;
      this.markers.push(new Marker({ element: el }).setLngLat([c.lon, c.lat]).addTo(this.map));
    }
  }

  remove(): void {
    this.map.off('moveend', this.place);
    this.markers.forEach((m) => m.remove());
  }
}
