import type { RequestHandler } from 'express';
import type { GraphQLSchema } from 'graphql';
import { sendDownload } from '../http/download.js';
import { parseFilterParam } from '../http/filter-params.js';
import type { TerritoryService } from '../territories/territory.service.js';
import { GAP_FILTER, int as intParam } from './coverage-tiles.http.js';
import { coverageGeoJson, exportFileName, gapCsvHeader, gapCsvLines, gapExportPages, ParentNames } from './gap-export.js';
import type { GapSpec } from './gap-spec.js';
import type { GapService } from './gap.service.js';

/** The services an export of gaps reads through (those of the analytics pool). */
export interface GapExportServices {
  gaps: GapService;
  territories: TerritoryService;
}

const FAILURE = 'Erreur interne : l’export n’a pas pu être produit.';

/**
 * GET /export/lacunes.csv?filter=<JSON GapFilterInput>: every gap of the filter (not one page),
 * ranked as the `gaps` query ranks them, with the labels of the codes (level, département, région)
 * and the distance to the nearest actor: `;`, UTF-8 with a BOM, decimal commas. Written page by page
 * (GapService.gaps, MAX_GAP_PAGE rows each), MAX_GAP_EXPORT_ROWS at most. A bad filter or too
 * many gaps gets 400 with a French message (GraphQL-shaped JSON), before anything is sent; the
 * file is named after its scope, level, themes and date (exportFileName).
 */
export function gapCsvRoute(schema: GraphQLSchema, services: GapExportServices): RequestHandler {
  return async (req, res) => {
    let spec: GapSpec | undefined;
    const file = { type: 'text/csv; charset=utf-8', name: () => exportFileName('lacunes', spec!, 'csv') };
    await sendDownload(
      res,
      file,
      async (write) => {
        const filter = await parseFilterParam(schema, GAP_FILTER, req.query.filter);
        const names = new ParentNames(services.territories);
        for await (const page of gapExportPages(services.gaps, filter)) {
          await names.load(page.rows.map((r) => r.territory));
          if (!spec) {
            spec = page.spec;
            await write(gapCsvHeader());
          }
          await write(gapCsvLines(page.rows, names));
        }
      },
      FAILURE,
    );
  };
}

/**
 * GET /export/couverture.geojson?filter=<JSON GapFilterInput>&zoom=<0–18>: the coverage map (every
 * territory of the scope, gap or not) as the `coverage` query gives it with the distance to the
 * nearest actor, plus the level label and the département and région names. `zoom` simplifies the
 * boundaries as the map does; without it, the stored display boundaries. At most a région's
 * communes (MAX_COVERAGE_EXPORT_ROWS), named like the CSV.
 */
export function coverageGeoJsonRoute(schema: GraphQLSchema, services: GapExportServices): RequestHandler {
  return async (req, res) => {
    let spec: GapSpec | undefined;
    const file = { type: 'application/geo+json; charset=utf-8', name: () => exportFileName('couverture', spec!, 'geojson') };
    await sendDownload(
      res,
      file,
      async (write) => {
        const zoom = req.query.zoom === undefined ? null : intParam(req.query.zoom, 'zoom', 0, 18);
        const filter = await parseFilterParam(schema, GAP_FILTER, req.query.filter);
        const result = await coverageGeoJson(services.gaps, services.territories, filter, zoom);
        spec = result.spec;
        await write(result.json);
      },
      FAILURE,
    );
  };
}
