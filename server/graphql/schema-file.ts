import { printSchema, type GraphQLSchema } from 'graphql';

/** The SDL committed as schema.graphql: type-graphql's order, so the same code always prints the same file. */
export function renderSchema(schema: GraphQLSchema): string {
  return `# Généré par \`npm run schema\` depuis les résolveurs type-graphql : ne pas modifier à la main.\n\n${printSchema(schema)}\n`;
}
