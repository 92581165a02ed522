import type { SiteSettings } from '../../../server/config/site-settings';

function meta(name: keyof SiteSettings): string | null {
  return document.querySelector<HTMLMetaElement>(`meta[name="site:${name}"]`)?.content ?? null;
}

/**
 * Who runs this instance (server/config/site-settings.ts), as the server wrote it in the page: one
 * `<meta name="site:…">` per setting. Without them (the Vite development server), the demo's
 * defaults: the State's brand, nobody named.
 */
export const site: SiteSettings = {
  brandState: meta('brandState') !== 'false',
  publisher: meta('publisher') ?? '',
  publisherAddress: meta('publisherAddress') ?? '',
  publicationDirector: meta('publicationDirector') ?? '',
  contactEmail: meta('contactEmail') ?? '',
  host: meta('host') ?? '',
};

/** The name of the platform, in the header, the footer and the page titles. */
export const SITE_NAME = 'Répertoire territorial des acteurs de prévention';
