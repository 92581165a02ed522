/** A minimal path router: the server answers index.html for every page path. */
class Router {
  path = $state(location.pathname);
  search = $state(location.search);

  constructor() {
    addEventListener('popstate', () => this.sync());
  }

  private sync() {
    this.path = location.pathname;
    this.search = location.search;
  }

  go(url: string, replace = false) {
    if (replace) history.replaceState(null, '', url);
    else history.pushState(null, '', url);
    this.sync();
    if (!replace) scrollTo(0, 0);
  }

  param(name: string): string | null {
    return new URLSearchParams(this.search).get(name);
  }
}

export const router = new Router();

/** Makes in-app links use the router instead of reloading the page. */
export function link(node: HTMLAnchorElement) {
  const onClick = (e: MouseEvent) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const href = node.getAttribute('href');
    if (!href || !href.startsWith('/') || href.startsWith('/graphql') || href.startsWith('/export')) return;
    e.preventDefault();
    router.go(href);
  };
  node.addEventListener('click', onClick);
  return { destroy: () => node.removeEventListener('click', onClick) };
}
