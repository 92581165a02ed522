/** What NetworkGraph.svelte draws. */

export interface NetworkNode {
  id: string;
  label: string;
  /** The coalition drawn at the centre, its members, and the other coalitions they belong to. */
  kind: 'focus' | 'actor' | 'coalition';
  color: string;
}
export interface NetworkEdge {
  source: string;
  target: string;
  kind: 'MEMBERSHIP' | 'PARTNERSHIP';
}
