import { Extensions1764000000000 } from './1764000000000-extensions.js';
import { Territories1764000000001 } from './1764000000001-territories.js';
import { Actors1764000000002 } from './1764000000002-actors.js';
import { BenchIndexes1764000000004 } from './1764000000004-bench-indexes.js';
import { GapAggregates1764000000005 } from './1764000000005-gap-aggregates.js';
import { Coalitions1764000000006 } from './1764000000006-coalitions.js';
import { GapAggregateLock1764000000010 } from './1764000000010-gap-aggregate-lock.js';
import { FieldActorKeys1764000000011 } from './1764000000011-field-actor-keys.js';
import { ProjectedNearest1764000000012 } from './1764000000012-projected-nearest.js';
import { RegionMapGeometry1764000000013 } from './1764000000013-region-map-geometry.js';
import { FastGapRebuild1764000000014 } from './1764000000014-fast-gap-rebuild.js';
import { PartnershipConfirmation1764000000015 } from './1764000000015-partnership-confirmation.js';
import { SessionsAndLoginThrottle1764000000016 } from './1764000000016-sessions-and-login-throttle.js';
import { ActorReview1764000000017 } from './1764000000017-actor-review.js';
import { LocalPresence1764000000018 } from './1764000000018-local-presence.js';
import { ActorVerifiedAt1764000000019 } from './1764000000019-actor-verified-at.js';
import { VerifiedLocalPresence1764000000020 } from './1764000000020-verified-local-presence.js';
import { ActorClaims1764000000021 } from './1764000000021-actor-claims.js';
import { Notifications1764000000022 } from './1764000000022-notifications.js';
import { GapAggregateDeltas1764000000025 } from './1764000000025-gap-aggregate-deltas.js';
import { ActorContactsAndChangeProposals1764000000023 } from './1764000000023-actor-contacts-and-change-proposals.js';
import { DepartementMapGeometry1764000000024 } from './1764000000024-departement-map-geometry.js';
import { ActorIdentifierUniqueness1764000000026 } from './1764000000026-actor-identifier-uniqueness.js';
import { ActorMerge1764000000027 } from './1764000000027-actor-merge.js';
import { ChangeFeed1764000000028 } from './1764000000028-change-feed.js';
import { DuplicateDismissal1764000000030 } from './1764000000030-duplicate-dismissal.js';
import { BulkLoad1764000000031 } from './1764000000031-bulk-load.js';
import { QuietActorUpdates1764000000032 } from './1764000000032-quiet-actor-updates.js';
import { InlinedZone1764000000033 } from './1764000000033-inlined-zone.js';
import { ThemeFirstCounts1764000000034 } from './1764000000034-theme-first-counts.js';
import { OneCountIndex1764000000035 } from './1764000000035-one-count-index.js';
import { CommuneScanIndex1764000000036 } from './1764000000036-commune-scan-index.js';
import { FreshSinceOnce1764000000037 } from './1764000000037-fresh-since-once.js';
import { DisplayGeometryStatistics1764000000038 } from './1764000000038-display-geometry-statistics.js';

/** Every migration, in order. Listed explicitly so the build, the CLI and the tests agree. */
export const migrations = [
  Extensions1764000000000,
  Territories1764000000001,
  Actors1764000000002,
  BenchIndexes1764000000004,
  GapAggregates1764000000005,
  Coalitions1764000000006,
  GapAggregateLock1764000000010,
  FieldActorKeys1764000000011,
  ProjectedNearest1764000000012,
  RegionMapGeometry1764000000013,
  FastGapRebuild1764000000014,
  PartnershipConfirmation1764000000015,
  SessionsAndLoginThrottle1764000000016,
  ActorReview1764000000017,
  LocalPresence1764000000018,
  ActorVerifiedAt1764000000019,
  VerifiedLocalPresence1764000000020,
  ActorClaims1764000000021,
  Notifications1764000000022,
  ActorContactsAndChangeProposals1764000000023,
  DepartementMapGeometry1764000000024,
  GapAggregateDeltas1764000000025,
  ActorIdentifierUniqueness1764000000026,
  ActorMerge1764000000027,
  ChangeFeed1764000000028,
  DuplicateDismissal1764000000030,
  BulkLoad1764000000031,
  QuietActorUpdates1764000000032,
  InlinedZone1764000000033,
  ThemeFirstCounts1764000000034,
  OneCountIndex1764000000035,
  CommuneScanIndex1764000000036,
  FreshSinceOnce1764000000037,
  DisplayGeometryStatistics1764000000038,
];
