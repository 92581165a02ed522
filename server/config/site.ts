import type { SiteSettings } from './site-settings.js';

function text(name: string, max = 300): string {
  const value = (process.env[name] ?? '').trim();
  if (value.length > max) throw new Error(`Invalid ${name}: ${max} characters at most`);
  return value;
}

/** The settings of SiteSettings from process.env; an unknown BRAND_STATE is refused at start-up. */
export function loadSiteSettings(): SiteSettings {
  const brand = (process.env.BRAND_STATE ?? '').trim();
  if (brand !== '' && brand !== 'true' && brand !== 'false') throw new Error(`Invalid BRAND_STATE=${brand}: expected true or false`);
  const contactEmail = text('SITE_CONTACT_EMAIL', 254);
  if (contactEmail && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(contactEmail)) throw new Error(`Invalid SITE_CONTACT_EMAIL=${contactEmail}`);
  return {
    brandState: brand !== 'false',
    publisher: text('SITE_PUBLISHER'),
    publisherAddress: text('SITE_PUBLISHER_ADDRESS'),
    publicationDirector: text('SITE_PUBLICATION_DIRECTOR'),
    contactEmail,
    host: text('SITE_HOST'),
  };
}
