import 'reflect-metadata';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuplicateReason } from '../../server/actors/actor-duplicates.js';
import { ACTOR_KIND_LABELS, REVIEW_STATUS_LABELS, SECTOR_LABELS } from '../../server/actors/actor-enums.js';
import { UserRole } from '../../server/auth/auth.types.js';
import { CoverageMapClass, PresenceClass } from '../../server/gaps/gap.inputs.js';
import {
  COALITION_KIND_LABELS,
  CoalitionVisibility,
  JoinPolicy,
  MEMBERSHIP_ROLE_LABELS,
  MembershipStatus,
  PartnershipKind,
  PartnershipStatus,
  SECTOR_CATEGORY_LABELS,
} from '../../server/coalitions/coalition-enums.js';
import { enumLabels } from '../../server/graphql/enums.js';
import { NotificationKind } from '../../server/notifications/notify.js';
import { LEVEL_LABELS } from '../../server/territories/territory-level.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

/** Each list of `vocabulary`, with the GraphQL enum it labels and the server's own label map. */
const LISTS: Record<string, { graphqlEnum: string; labels: Readonly<Record<string, string>> }> = {
  actorKinds: { graphqlEnum: 'ActorKind', labels: ACTOR_KIND_LABELS },
  sectors: { graphqlEnum: 'Sector', labels: SECTOR_LABELS },
  reviewStatuses: { graphqlEnum: 'ActorReviewStatus', labels: REVIEW_STATUS_LABELS },
  userRoles: { graphqlEnum: 'UserRole', labels: enumLabels(UserRole) },
  coalitionKinds: { graphqlEnum: 'CoalitionKind', labels: COALITION_KIND_LABELS },
  coalitionVisibilities: { graphqlEnum: 'CoalitionVisibility', labels: enumLabels(CoalitionVisibility) },
  joinPolicies: { graphqlEnum: 'JoinPolicy', labels: enumLabels(JoinPolicy) },
  membershipRoles: { graphqlEnum: 'MembershipRole', labels: MEMBERSHIP_ROLE_LABELS },
  membershipStatuses: { graphqlEnum: 'MembershipStatus', labels: enumLabels(MembershipStatus) },
  partnershipKinds: { graphqlEnum: 'PartnershipKind', labels: enumLabels(PartnershipKind) },
  partnershipStatuses: { graphqlEnum: 'PartnershipStatus', labels: enumLabels(PartnershipStatus) },
  sectorCategories: { graphqlEnum: 'SectorCategory', labels: SECTOR_CATEGORY_LABELS },
  territoryLevels: { graphqlEnum: 'TerritoryLevel', labels: LEVEL_LABELS },
  presenceClasses: { graphqlEnum: 'PresenceClass', labels: enumLabels(PresenceClass) },
  coverageMapClasses: { graphqlEnum: 'CoverageMapClass', labels: enumLabels(CoverageMapClass) },
  notificationKinds: { graphqlEnum: 'NotificationKind', labels: enumLabels(NotificationKind) },
  duplicateReasons: { graphqlEnum: 'DuplicateReason', labels: enumLabels(DuplicateReason) },
};

const VOCABULARY = `{ vocabulary { ${Object.keys(LISTS)
  .map((k) => `${k} { code label }`)
  .join(' ')} } }`;

type Entry = { code: string; label: string };

describe('vocabulary', () => {
  it('should serve to a visitor, for every closed list, exactly the labels the server declares', async () => {
    const res = await server.gql<{ vocabulary: Record<string, Entry[]> }>(VOCABULARY);
    expect(res.errors).toBeUndefined();
    for (const [field, { labels }] of Object.entries(LISTS)) {
      const served = Object.fromEntries(res.data!.vocabulary[field].map((e) => [e.code, e.label]));
      expect(served, field).toEqual(labels);
    }
  });

  it('should label every value of each GraphQL enum, in the enum’s order, and nothing else', async () => {
    const vocabulary = (await server.gql<{ vocabulary: Record<string, Entry[]> }>(VOCABULARY)).data!.vocabulary;
    for (const [field, { graphqlEnum }] of Object.entries(LISTS)) {
      const res = await server.gql<{ __type: { enumValues: { name: string }[] } }>(`query ($name: String!) { __type(name: $name) { enumValues { name } } }`, {
        name: graphqlEnum,
      });
      const values = res.data!.__type.enumValues.map((v) => v.name);
      expect(values.length, graphqlEnum).toBeGreaterThan(1);
      expect(
        vocabulary[field].map((e) => e.code),
        field,
      ).toEqual(values);
      for (const e of vocabulary[field]) expect(e.label.trim(), `${field}.${e.code}`).not.toBe('');
    }
  });

  it('should have no list this test does not check against the server’s labels', async () => {
    const res = await server.gql<{ __type: { fields: { name: string }[] } }>(`{ __type(name: "Vocabulary") { fields { name } } }`);
    // freshnessMonths is the one number beside the lists (checked by freshness.test.ts).
    expect(
      res
        .data!.__type.fields.map((f) => f.name)
        .filter((name) => name !== 'freshnessMonths')
        .sort(),
    ).toEqual(Object.keys(LISTS).sort());
  });
});
