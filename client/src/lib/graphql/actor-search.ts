import { graphql } from './graphql';

/**
 * The home page's actor search: a free text (name, description or theme, without accents), the most
 * relevant actors first (the name holds the text, then the theme it names, then the rest), page by page.
 */
export const ACTOR_SEARCH = graphql(`
  query ActorSearch($text: String!, $first: Int!, $after: String) {
    actors(filter: { text: $text }, first: $first, after: $after, orderBy: RELEVANCE) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges {
        node {
          id
          name
          kindLabel
          isDemo
          commune { code name }
          themes { code label }
        }
      }
    }
  }
`);

/** The communes a text of the actor search may name (a commune typed in that box rather than in the commune's), asked once its list is shown. */
export const NAMED_COMMUNES = graphql(`
  query NamedCommunes($text: String!) {
    searchTerritories(text: $text, levels: [COMMUNE], first: 5) {
      code
      name
      matchedBy
      parents { level name }
    }
  }
`);
