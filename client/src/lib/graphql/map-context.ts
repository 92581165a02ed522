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
