import type { AuthUser } from '../auth/auth.types.js';
import type { Coalition } from './coalition.entity.js';
import { MembershipRole, type MembershipStatus, SECTOR_CATEGORY_LABELS, SectorCategory, sectorCategories } from './coalition-enums.js';
import { Permissions } from './coalition.permissions.js';
import { Intersectorality, type Membership } from './membership.entity.js';

/** How a coalition's members are shown: pure functions over memberships and actors. */

const ROLE_ORDER = [MembershipRole.PILOTE, MembershipRole.SIGNATAIRE, MembershipRole.PARTENAIRE, MembershipRole.MEMBRE];

/** Memberships of a coalition with the given statuses that the user may see (`Permissions.canSeeMembership`). */
export function visibleMemberships(user: AuthUser | null, c: Coalition, all: readonly Membership[], statuses: readonly MembershipStatus[]): Membership[] {
  return all.filter((m) => statuses.includes(m.status) && Permissions.canSeeMembership(user, c, m));
}

/** Members by role, pilots first; roles without members left out. */
export function groupByRole(members: readonly Membership[]) {
  return ROLE_ORDER.map((role) => ({ role, members: members.filter((m) => m.role === role) })).filter((g) => g.members.length > 0);
}

/** The sectors the actors bring (an actor may bring several) and those missing, of the eight. */
export function intersectorality(actors: readonly { sector: string; kind: string }[]): Intersectorality {
  const counts = new Map<SectorCategory, number>();
  for (const a of actors) for (const cat of sectorCategories(a.sector, a.kind)) counts.set(cat, (counts.get(cat) ?? 0) + 1);
  const all = Object.values(SectorCategory);
  const entry = (category: SectorCategory) => ({ category, label: SECTOR_CATEGORY_LABELS[category], count: counts.get(category) ?? 0 });
  const present = all.filter((c) => counts.has(c)).map(entry);
  const missing = all.filter((c) => !counts.has(c)).map(entry);
  return Object.assign(new Intersectorality(), { present, missing, ratio: present.length / all.length });
}
