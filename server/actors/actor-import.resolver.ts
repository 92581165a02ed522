import { Arg, Ctx, Field, Int, Mutation, Query, Resolver } from 'type-graphql';
import { ObjectType } from '../graphql/object-type.js';
import type { Context } from '../graphql/context.js';
import { badInput } from '../graphql/errors.js';
import { IMPORT_CONTENT_LIMIT } from '../http/body-limits.js';
import { ExportFormat, exportToString } from './actor-export.js';
import { ImportFormat, ImportMode, importActors, type ImportProblem, type ImportReport } from './actor-import.js';
import { ActorFilter } from './actor.inputs.js';
import { dumpOfContent, importDataInclusion } from '../exchange/data-inclusion/di-import.js';
import { importHsds, readHsdsContent } from '../exchange/hsds/hsds-import.js';
import { ActorPermissions } from './actor.permissions.js';

/** Problems listed in a GraphQL answer (the CLI lists them all). */
const MAX_PROBLEMS = 1000;

/** The GraphQL view of an `ImportProblem`: `implements` keeps the two in step. */
@ObjectType({ description: 'Un problème d’une ligne du fichier importé' })
export class ImportProblemType implements ImportProblem {
  @Field(() => Int, { description: 'Ligne, numérotée comme dans un tableur (en-tête = 1) ; numéro de l’entité en GeoJSON ; 0 pour le fichier entier' })
  row: number;

  @Field(() => String, { description: 'Colonne en cause (nom français : nom, commune, thematiques…), ou « fichier », « encodage », « ligne »' }) field: string;
  @Field(() => String, { description: 'Raison, en français' }) reason: string;
}

/** The GraphQL view of an `ImportReport` (problems capped, their count added): `implements` keeps the two in step. */
@ObjectType({ description: 'Compte rendu d’un import d’acteurs' })
export class ImportReportType implements ImportReport {
  @Field(() => Int, { description: 'Lignes de données lues' }) total: number;
  @Field(() => Int, { description: 'Acteurs créés (ou qui l’auraient été si rien n’est enregistré)' }) created: number;
  @Field(() => Int, { description: 'Acteurs existants modifiés (version augmentée)' }) updated: number;
  @Field(() => Int, { description: 'Acteurs existants déjà identiques' }) unchanged: number;
  @Field(() => Int, { description: 'Lignes rejetées' }) rejected: number;
  @Field(() => Boolean, { description: 'Vrai si les écritures ont été enregistrées' }) committed: boolean;
  @Field(() => Boolean) dryRun: boolean;
  @Field(() => ImportMode) mode: ImportMode;
  @Field(() => [ImportProblemType], { description: 'Problèmes, par ligne (les 1 000 premiers ; voir problemCount)' }) problems: ImportProblemType[];
  @Field(() => Int, { description: 'Nombre total de problèmes' }) problemCount: number;
  @Field(() => [String], { description: 'Colonnes du fichier qui ne correspondent à aucun champ (ignorées)' }) ignoredColumns: string[];
  @Field(() => String, { description: 'Résumé en une phrase' }) message: string;
}

@Resolver()
export class ActorImportResolver {
  @Mutation(() => ImportReportType, {
    description:
      'Importe un fichier d’acteurs (CSV ou GeoJSON, colonnes françaises) en une transaction. Un acteur déjà présent ' +
      '(même identifiant, SIRET, RNA, FINESS, ou même nom dans la même commune) est mis à jour au lieu d’être dupliqué, ' +
      'si le compte peut le modifier (sinon la ligne est rejetée, avec sa raison).',
  })
  async importActors(
    @Arg('content', () => String, { description: 'Contenu du fichier (5 Mo au plus)' }) content: string,
    @Arg('format', () => ImportFormat, { defaultValue: ImportFormat.CSV }) format: ImportFormat,
    @Arg('mode', () => ImportMode, { defaultValue: ImportMode.ALL_OR_NOTHING }) mode: ImportMode,
    @Arg('dryRun', () => Boolean, { defaultValue: false, description: 'Vérifier sans rien enregistrer' }) dryRun: boolean,
    @Ctx() { ds, services, user }: Context,
  ): Promise<ImportReportType> {
    ActorPermissions.assertCanImport(user);
    if (content.length > IMPORT_CONTENT_LIMIT) throw badInput('Fichier trop volumineux : 5 Mo au plus par import (découpez-le)', 'content');
    // Each row may only change what this account could change one by one (ActorPermissions.canEdit).
    const options = { format, mode, dryRun, author: user! };
    const report =
      format === ImportFormat.DATA_INCLUSION
        ? await importDataInclusion(ds, services, dumpOfContent(content), options)
        : format === ImportFormat.HSDS
          ? await importHsds(ds, services, readHsdsContent(content), options)
          : await importActors(ds, services, content, options);
    return { ...report, problemCount: report.problems.length, problems: report.problems.slice(0, MAX_PROBLEMS) };
  }

  @Query(() => String, {
    description:
      'Export des acteurs d’une recherche (même filtre que « actors ») : CSV « ; » UTF-8 avec BOM, ou GeoJSON. ' +
      'Mêmes colonnes que l’import ; 50 000 acteurs au plus. Aussi en GET /export/acteurs.csv?filter=… et /export/acteurs.geojson?filter=…',
  })
  exportActors(
    @Arg('filter', () => ActorFilter, { nullable: true }) filter: ActorFilter | undefined,
    @Arg('format', () => ExportFormat, { defaultValue: ExportFormat.CSV }) format: ExportFormat,
    @Ctx() { ds, services }: Context,
  ): Promise<string> {
    return exportToString(ds, services, filter ?? undefined, format);
  }
}
