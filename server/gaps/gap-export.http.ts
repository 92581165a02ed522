import type { Request, RequestHandler } from 'express';
import type { GraphQLSchema } from 'graphql';
import { sendDownload } from '../http/download.js';
import { parseFilterParam } from '../http/filter-params.js';
import type { TerritoryService } from '../territories/territory.service.js';
import { GAP_FILTER, int as intParam } from './coverage-tiles.http.js';
import { coverageGeoJson, exportFileName, gapCsvHeader, gapCsvLines, gapExportPages, ParentNames } from './gap-export.js';
import type { GapSpec } from './gap-spec.js';
import type { GapFilterInput } from './gap.inputs.js';
import type { GapService } from './gap.service.js';

/** The services an export of gaps reads through (those of the analytics pool). */
export interface GapExportServices {
  gaps: GapService;
  territories: TerritoryService;
}

/** Writes an export of `filter`: each chunk with the analysis it belongs to (the file is named after it). */
type Produce = (filter: GapFilterInput, req: Request, write: (spec: GapSpec, chunk: string) => Promise<void>) => Promise<void>;

/** A download route of the gaps page: the filter read as the GraphQL argument is, the file named by exportFileName. */
function gapExportRoute(
  schema: GraphQLSchema,
  file: { what: 'lacunes' | 'couverture'; extension: 'csv' | 'geojson'; type: string },
  produce: Produce,
): RequestHandler {
  return async (req, res) => {
    let spec: GapSpec | undefined;
    await sendDownload(
      res,
      { type: file.type, name: () => exportFileName(file.what, spec!, file.extension) },
      async (write) => {
        const filter = await parseFilterParam(schema, GAP_FILTER, req.query.filter);
        await produce(filter, req, (s, chunk) => {
          spec = s;
          return write(chunk);
        });
      },
      'Erreur interne : l’export n’a pas pu être produit.',
    );
  };
}

/**
 * GET /export/lacunes.csv?filter=<JSON GapFilterInput>: every gap of the filter (not one page),
 * ranked as the `gaps` query ranks them, with the labels of the codes (level, département, région)
 * and the distance to the nearest actor: `;`, UTF-8 with a BOM, decimal commas. Written page by page
 * (GapService.gaps, MAX_GAP_PAGE rows each), MAX_GAP_EXPORT_ROWS at most. A bad filter or too
 * many gaps gets 400 with a French message (GraphQL-shaped JSON), before anything is sent; the
 * file is named after its scope, level, themes and date (exportFileName).
 */
export const gapCsvRoute = (schema: GraphQLSchema, services: GapExportServices): RequestHandler =>
  gapExportRoute(schema, { what: 'lacunes', extension: 'csv', type: 'text/csv; charset=utf-8' }, async (filter, _req, write) => {
    const names = new ParentNames(services.territories);
    let first = true;
    for await (const page of gapExportPages(services.gaps, filter)) {
      await names.load(page.rows.map((r) => r.territory));
      await write(page.spec, `${first ? gapCsvHeader() : ''}${gapCsvLines(page.rows, names)}`);
      first = false;
    }
  });

/**
 * GET /export/couverture.geojson?filter=<JSON GapFilterInput>&zoom=<0–18>: the coverage map (every
 * territory of the scope, gap or not) as the `coverage` query gives it with the distance to the
 * nearest actor, plus the level label and the département and région names. `zoom` simplifies the
 * boundaries as the map does; without it, the stored display boundaries. At most a région's
 * communes (MAX_COVERAGE_EXPORT_ROWS), named like the CSV.
 */
export const coverageGeoJsonRoute = (schema: GraphQLSchema, services: GapExportServices): RequestHandler =>
  gapExportRoute(schema, { what: 'couverture', extension: 'geojson', type: 'application/geo+json; charset=utf-8' }, async (filter, req, write) => {
    const zoom = req.query.zoom === undefined ? null : intParam(req.query.zoom, 'zoom', 0, 18);
    const result = await coverageGeoJson(services.gaps, services.territories, filter, zoom);
    await write(result.spec, result.json);
  });
