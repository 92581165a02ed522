/**
 * Who runs this instance of the platform, as its visitors must be told (header, footer, legal
 * notices): read from the environment, sent to the client in the page it is served (see
 * server/http/client-page.ts).
 */
export interface SiteSettings {
  /**
   * BRAND_STATE: the « République française » block (Marianne) in the header and footer, and the
   * Marianne typeface. Reserved to State services and their operators (an ARS: the demo); `false`
   * for a département, a city, an association running the platform. Default `true`.
   */
  brandState: boolean;
  /** SITE_PUBLISHER: the organisation that publishes the instance (mentions légales). */
  publisher: string;
  /** SITE_PUBLISHER_ADDRESS: its postal address. */
  publisherAddress: string;
  /** SITE_PUBLICATION_DIRECTOR: the director of publication (a person, or a function). */
  publicationDirector: string;
  /** SITE_CONTACT_EMAIL: where visitors write (accessibility, personal data, corrections). */
  contactEmail: string;
  /** SITE_HOST: the host of the servers, its name and address. */
  host: string;
}

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
