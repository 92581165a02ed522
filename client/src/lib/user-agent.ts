import Bowser from 'bowser';

const DEVICES: Record<string, string> = { desktop: 'ordinateur', mobile: 'téléphone', tablet: 'tablette', tv: 'téléviseur' };

/** A session's browser in words, from its User-Agent header: « Firefox 140 sur Linux (ordinateur) ». */
export function describeUserAgent(userAgent: string | null): string {
  if (!userAgent) return 'Navigateur inconnu';
  const { browser, os, platform } = Bowser.parse(userAgent);
  if (!browser.name) return 'Navigateur inconnu';
  const version = browser.version?.split('.')[0];
  const device = platform.type ? DEVICES[platform.type] : undefined;
  return `${browser.name}${version ? ` ${version}` : ''}${os.name ? ` sur ${os.name}` : ''}${device ? ` (${device})` : ''}`;
}
