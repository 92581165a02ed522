/**
 * Each page's title in the browser (tabs, history, what a screen reader announces first): the page's
 * main heading, then the site's name (RGAA 8.6: a title of its own for each page). Follows the
 * heading as it changes (a commune's or an actor's name arrives with its data).
 */
export function followPageTitle(main: HTMLElement, site: string): () => void {
  const update = () => {
    const heading = main.querySelector('h1')?.textContent?.replace(/\s+/g, ' ').trim();
    const title = heading && heading !== site ? `${heading} — ${site}` : site;
    if (document.title !== title) document.title = title;
  };
  const observer = new MutationObserver(update);
  observer.observe(main, { childList: true, subtree: true, characterData: true });
  update();
  return () => observer.disconnect();
}
