import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

// The official HSDS 3.0 schemas (test/fixtures/standards/hsds-3.0, JSON Schema 2020-12), closed as
// upstream's CI closes them, for the export's and the import's tests.

const here = path.dirname(fileURLToPath(import.meta.url));
const SCHEMAS = path.join(here, '../fixtures/standards/hsds-3.0/schema');
/** The URIs upstream's openapi.json gives the schema files: their relative $refs resolve against them. */
const BASE = 'https://raw.githubusercontent.com/openreferral/specification/3.0/schema/';

/** additionalProperties: false on every object schema with properties: a misspelt field fails. */
function closeObjects(node: unknown): unknown {
  if (Array.isArray(node)) node.forEach(closeObjects);
  else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    if (o.properties && typeof o.properties === 'object' && !('additionalProperties' in o)) o.additionalProperties = false;
    Object.values(o).forEach(closeObjects);
  }
  return node;
}

const addFormats = (addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule;
const ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictTuples: false });
(addFormats as unknown as (a: Ajv2020) => void)(ajv);
// HSDS's own annotation keywords (Tabular Data Package metadata), not JSON Schema.
ajv.addVocabulary(['name', 'path', 'datapackage_metadata', 'constraints', 'example', 'core', 'datapackage_type', 'tabular_required']);
for (const file of fs.readdirSync(SCHEMAS).filter((f) => f.endsWith('.json'))) {
  ajv.addSchema(closeObjects(JSON.parse(fs.readFileSync(path.join(SCHEMAS, file), 'utf8'))) as object, BASE + file);
}
ajv.addSchema(
  closeObjects(JSON.parse(zlib.gunzipSync(fs.readFileSync(path.join(SCHEMAS, 'compiled/organization.json.gz'))).toString('utf8'))) as object,
  `${BASE}compiled/organization.json`,
);
const validators = new Map<string, ValidateFunction>();

/** The validator of an HSDS object (`organization`, `service`…, or `compiled/organization`), compiled once. */
export function hsdsValidator(name: string): ValidateFunction {
  if (!validators.has(name)) validators.set(name, ajv.getSchema(`${BASE}${name}.json`)!);
  return validators.get(name)!;
}
