import type { NetworkEdge, NetworkNode } from '../components/network-graph';
import type { CoalitionDetail } from '../graphql/coalitions';

/** Node colours of the network drawing, by actor sector; all dark enough for white labels around. */
export const SECTOR_COLOURS: Record<string, string> = {
  SANTE: '#000091',
  SOCIAL: '#6e445a',
  MEDICO_SOCIAL: '#a94645',
  EDUCATION: '#18753c',
  LOGEMENT: '#7d4e5b',
  JUSTICE: '#3a3a3a',
  COLLECTIVITE: '#0063cb',
  ETAT: '#161616',
  RECHERCHE: '#695240',
  USAGERS: '#b34000',
};

export const sectorColour = (sector: string | undefined): string => (sector && SECTOR_COLOURS[sector]) || '#3a3a3a';

export const FOCUS_COLOUR = '#e1000f';
export const OTHER_COALITION_COLOUR = '#929292';
/** Other coalitions of the members drawn at most, so that a large network stays readable. */
const MAX_OTHER_COALITIONS = 30;

export interface CoalitionNetwork {
  nodes: NetworkNode[];
  edges: NetworkEdge[];
  memberCount: number;
  otherCount: number;
  partnerships: number;
  /** Changes when the drawing must be laid out again. */
  key: string;
}

/**
 * The network around a coalition: the coalition at the centre, its active members, the other
 * coalitions they belong to (30 at most), and the confirmed partnerships between members.
 */
export function coalitionNetwork(coalition: CoalitionDetail): CoalitionNetwork {
  const nodes: NetworkNode[] = [{ id: coalition.id, label: coalition.name, kind: 'focus', color: FOCUS_COLOUR }];
  const edges: NetworkEdge[] = [];
  const memberIds = new Set<string>();
  const others = new Map<string, string>();
  for (const m of coalition.members) {
    if (!m.actor || memberIds.has(m.actor.id)) continue;
    memberIds.add(m.actor.id);
    nodes.push({ id: m.actor.id, label: m.actor.name, kind: 'actor', color: sectorColour(m.actor.sector) });
    edges.push({ source: m.actor.id, target: coalition.id, kind: 'MEMBERSHIP' });
  }
  for (const m of coalition.members) {
    if (!m.actor) continue;
    for (const cm of m.actor.coalitionMemberships) {
      if (!cm.coalition || cm.coalition.id === coalition.id) continue;
      if (!others.has(cm.coalition.id) && others.size >= MAX_OTHER_COALITIONS) continue;
      others.set(cm.coalition.id, cm.coalition.name);
      edges.push({ source: m.actor.id, target: cm.coalition.id, kind: 'MEMBERSHIP' });
    }
  }
  for (const [id, name] of others) nodes.push({ id, label: name, kind: 'coalition', color: OTHER_COALITION_COLOUR });
  let partnerships = 0;
  for (const m of coalition.members) {
    if (!m.actor) continue;
    for (const p of m.actor.partnerships) {
      if (p.ended || p.status !== 'ACTIVE' || !p.actorA || !p.actorB || !memberIds.has(p.actorA.id) || !memberIds.has(p.actorB.id)) continue;
      if (p.actorA.id !== m.actor.id) continue; // each partnership once
      edges.push({ source: p.actorA.id, target: p.actorB.id, kind: 'PARTNERSHIP' });
      partnerships++;
    }
  }
  const key = JSON.stringify([nodes.map((n) => n.id), edges.length]);
  return { nodes, edges, memberCount: memberIds.size, otherCount: others.size, partnerships, key };
}

/** The sectors of the members drawn, with their labels, for the legend. */
export function sectorsShown(coalition: CoalitionDetail): [sector: string, label: string][] {
  const seen = new Map<string, string>();
  for (const m of coalition.members) if (m.actor) seen.set(m.actor.sector, m.actor.sectorLabel);
  return [...seen];
}
