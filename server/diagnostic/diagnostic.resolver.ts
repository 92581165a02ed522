import { Arg, Ctx, Query, Resolver } from 'type-graphql';
import type { Context } from '../graphql/context.js';
import { DiagnosticPerimeterInput } from './diagnostic.inputs.js';
import { DiagnosticService } from './diagnostic.service.js';
import { TerritorialDiagnostic } from './diagnostic.types.js';

@Resolver()
export class DiagnosticResolver {
  @Query(() => TerritorialDiagnostic, {
    description:
      'Diagnostic territorial d’un périmètre (commune, EPCI, EPT, département, ou liste de communes) : acteurs présents ' +
      'localement et acteurs à couverture large par thème, lacunes par thème avec leur population, coalitions du périmètre ' +
      'et résumé de leur graphe, fraîcheur des fiches ; chaque tableau avec sa source et sa date',
  })
  territorialDiagnostic(
    @Arg('perimeter', () => DiagnosticPerimeterInput) perimeter: DiagnosticPerimeterInput,
    @Arg('fieldActorsOnly', () => Boolean, {
      defaultValue: true,
      description: 'Vrai (par défaut) : sans les services et agences de l’État ni les instances de démocratie en santé, comme la page des lacunes',
    })
    fieldActorsOnly: boolean,
    @Ctx() { ds, services, user }: Context,
  ): Promise<TerritorialDiagnostic> {
    return new DiagnosticService(ds, services).diagnose(user ?? null, perimeter, fieldActorsOnly);
  }
}
