import { graphql } from './graphql';

/** The home page's actor search: a free text (name, description or theme, without accents), the actors by name, page by page. */
export const ACTOR_SEARCH = graphql(`
  query ActorSearch($text: String!, $first: Int!, $after: String) {
    actors(filter: { text: $text }, first: $first, after: $after, orderBy: NAME) {
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
