import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { RequestHandler } from 'express';
import type { SiteSettings } from '../config/site-settings.js';

const escapeAttribute = (value: string) => value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * The client's page with the instance's settings in it: `data-state-brand` on <html> (read by the
 * style sheet before the app runs: no Marianne downloaded, no brand block flashing, when it is
 * `false`) and one `<meta name="site:…">` per setting, which the client reads at start-up. Meta
 * tags rather than an inline script: the Content-Security-Policy allows no inline script.
 */
export function renderClientPage(html: string, site: SiteSettings): string {
  const metas = Object.entries(site)
    .map(([name, value]) => `<meta name="site:${name}" content="${escapeAttribute(String(value))}" />`)
    .join('');
  return html.replace(/<html\b([^>]*)>/, `<html$1 data-state-brand="${site.brandState}">`).replace('</head>', `${metas}</head>`);
}

/** Serves the client's index.html (read on each request: a rebuild of the client is seen at once) with the settings. */
export function clientPage(root: string, site: SiteSettings): RequestHandler {
  return (_req, res, next) => {
    readFile(path.join(root, 'index.html'), 'utf8').then((html) => {
      res.type('html').set('Cache-Control', 'no-cache').send(renderClientPage(html, site));
    }, next);
  };
}
