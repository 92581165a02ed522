import { graphql } from './graphql';

/** The home page's actor search: a free text (name, description, without accents), the first actors by name. */
export const ACTOR_SEARCH = graphql(`
  query ActorSearch($text: String!, $first: Int!) {
    actors(filter: { text: $text }, first: $first, orderBy: NAME) {
      totalCount
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
