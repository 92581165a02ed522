import { GraphQLScalarType, Kind, type ValueNode } from 'graphql';

function literalToValue(ast: ValueNode): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, literalToValue(f.value)]));
    case Kind.LIST:
      return ast.values.map(literalToValue);
    case Kind.ENUM:
    case Kind.NULL:
    case Kind.VARIABLE:
      return null;
  }
}

/** A GeoJSON object (RFC 7946), WGS84 longitude/latitude. */
export const GeoJSONScalar = new GraphQLScalarType({
  name: 'GeoJSON',
  description: 'Objet GeoJSON (RFC 7946), coordonnées WGS84 longitude/latitude',
  serialize: (value) => (typeof value === 'string' ? (JSON.parse(value) as unknown) : value),
  parseValue: (value) => value,
  parseLiteral: literalToValue,
});
