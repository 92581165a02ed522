import { buildSchema } from 'type-graphql';
import type { GraphQLSchema } from 'graphql';
import { ActorImportResolver } from '../actors/actor-import.resolver.js';
import { ActorMergeResolver } from '../actors/actor-merge.resolver.js';
import { ActorModerationResolver } from '../actors/actor-moderation.resolver.js';
import { ActorResolver } from '../actors/actor.resolver.js';
import { ActorPageResolver, ChangeProposalResolver } from '../actors/change-proposal.resolver.js';
import { AuthResolver } from '../auth/auth.resolver.js';
import { ChangeResolver } from '../changes/change.resolver.js';
import { ClaimResolver } from '../claims/claim.resolver.js';
import { ActorPartnershipResolver, CoalitionResolver, MembershipResolver, PartnershipResolver } from '../coalitions/coalition.resolver.js';
import { DiagnosticResolver } from '../diagnostic/diagnostic.resolver.js';
import { GapResolver } from '../gaps/gap.resolver.js';
import { ThemeResolver } from '../themes/theme.resolver.js';
import { TerritoryResolver } from '../territories/territory.resolver.js';
import { VocabularyResolver } from '../vocabulary/vocabulary.resolver.js';
import { NotificationResolver } from '../notifications/notification.resolver.js';
import { ActorRepresentativesResolver, EspaceResolver } from '../espace/espace.resolver.js';

/** The whole GraphQL schema, built from the resolvers of every domain. */
export function createSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers: [
      TerritoryResolver,
      ThemeResolver,
      ActorResolver,
      GapResolver,
      DiagnosticResolver,
      AuthResolver,
      CoalitionResolver,
      MembershipResolver,
      PartnershipResolver,
      ActorPartnershipResolver,
      ActorImportResolver,
      ActorModerationResolver,
      ActorMergeResolver,
      ChangeProposalResolver,
      ActorPageResolver,
      ClaimResolver,
      VocabularyResolver,
      NotificationResolver,
      EspaceResolver,
      ActorRepresentativesResolver,
      ChangeResolver,
    ],
    validate: true,
  });
}
