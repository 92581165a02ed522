/**
 * Who runs this instance of the platform, as its visitors must be told (header, footer, legal
 * notices): read from the environment (site.ts), sent to the client in the page it is served (see
 * server/http/client-page.ts), read there by client/src/lib/site.ts. No import of Node here: the
 * client's type-check reads this file too.
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
