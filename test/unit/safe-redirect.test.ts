import { describe, expect, it } from 'vitest';
import { safeReturnPath } from '../../client/src/lib/safe-redirect.js';

const ORIGIN = 'https://repertoire.example.fr';

/** Where a browser would really end up: the address it resolves the path to, as pushState/links do. */
const landing = (path: string) => new URL(path, ORIGIN).href;

describe('safeReturnPath (the page to go back to after logging in)', () => {
  it.each([
    ['/coalitions/0b6e4a5e-2f1c-4c57-9a0b-7a1d8e2c3f4a', '/coalitions/0b6e4a5e-2f1c-4c57-9a0b-7a1d8e2c3f4a'],
    ['/lacunes?region=44&departement=55', '/lacunes?region=44&departement=55'],
    ['/compte#sessions', '/compte#sessions'],
    ['/coalitions?communeNom=Bar le Duc&commune=55029', '/coalitions?communeNom=Bar%20le%20Duc&commune=55029'],
    ['/', '/'],
  ])('keeps a path of this site: %s', (value, expected) => {
    expect(safeReturnPath(value, ORIGIN)).toBe(expected);
  });

  it.each([
    ['//evil.example/x'],
    ['/\\evil.example/x'],
    ['/%5Cevil.example/x'],
    ['/%5cevil.example/x'],
    ['/%2Fevil.example/x'],
    ['%2F%2Fevil.example/x'],
    ['%2F%5Cevil.example'],
    ['\\\\evil.example/x'],
    ['\\/evil.example/x'],
    ['javascript:alert(1)'],
    ['JaVaScRiPt:alert(document.cookie)'],
    ['/javascript:alert(1)%0a'],
    ['data:text/html,<script>alert(1)</script>'],
    ['https://evil.example/x'],
    ['http:evil.example'],
    ['https:/evil.example'],
    ['/\t/evil.example/x'],
    ['/\n/evil.example/x'],
    ['/\r\n/evil.example'],
    ['\t//evil.example'],
    [' /\\evil.example'],
    ['/%09/evil.example'],
    ['/%0A/evil.example'],
    ['/%E0%A4%A'],
    ['evil.example'],
    ['.//evil.example'],
    ['/.//evil.example/x'],
    ['/x/..//evil.example'],
    ['/%2E//evil.example'],
    ['/\u3000/evil.example'],
  ])('sends a hostile value to / : %j', (value) => {
    const path = safeReturnPath(value, ORIGIN);
    expect(path).toBe('/');
    expect(new URL(landing(path)).origin).toBe(ORIGIN);
  });

  it('uses the fallback only when there is no value at all', () => {
    expect(safeReturnPath(null, ORIGIN, '/coalitions')).toBe('/coalitions');
    expect(safeReturnPath('', ORIGIN, '/coalitions')).toBe('/coalitions');
    expect(safeReturnPath('//evil.example', ORIGIN, '/coalitions')).toBe('/');
  });

  it('never returns anything that resolves to another origin, whatever the input', () => {
    const pieces = ['/', '\\', '%2F', '%5C', '%2f', '%5c', '\t', '\n', 'evil.example', ':', '@', '.', 'x', '%', '?', '#', 'javascript:'];
    for (const a of pieces)
      for (const b of pieces)
        for (const c of pieces) {
          const value = a + b + c + '/x';
          const path = safeReturnPath(value, ORIGIN);
          expect(new URL(landing(path)).origin, JSON.stringify(value)).toBe(ORIGIN);
          expect(path.startsWith('/') && !path.startsWith('//') && !path.startsWith('/\\'), JSON.stringify(value)).toBe(true);
        }
  });
});
