import { graphql } from './graphql';

/** What a commune's map draws around it: its neighbours (outlines and names) and its département's boundary. */
export const MAP_CONTEXT = graphql(`
  query MapContext($code: String!, $level: TerritoryLevel!, $departement: String!) {
    territory(code: $code, level: $level) {
      code
      neighbors(first: 40) { code name population lon lat geometry }
    }
    departement: territory(code: $departement, level: DEPARTEMENT) { code name lon lat geometry(simplify: 0.0005) }
  }
`);

/** What the map of an actor acting on an EPCI or EPT draws around it: its communes (outlines and names) and the département's boundary. */
export const GROUP_MAP_CONTEXT = graphql(`
  query GroupMapContext($code: String!, $level: TerritoryLevel!, $departement: String!) {
    territory(code: $code, level: $level) {
      code
      children(level: COMMUNE, first: 300) { code name population lon lat geometry(simplify: 0.0005) }
    }
    departement: territory(code: $departement, level: DEPARTEMENT) { code name lon lat geometry(simplify: 0.0005) }
  }
`);
