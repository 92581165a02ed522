import 'reflect-metadata';
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { columnFor, kindFor, levelFor, normName, sectorFor } from '../../server/actors/actor-columns.js';
import { readCsv, readGeoJson } from '../../server/actors/actor-import-read.js';

describe('actor file columns', () => {
  it('should recognise French headers whatever their case, accents and punctuation', () => {
    expect(
      ['Nom', 'NOM ', 'Code postal', 'code_postal', 'Téléphone', 'Courriel', 'Site web', 'Thématiques', 'Rayon (km)', 'e-mail', 'Code INSEE'].map(columnFor),
    ).toEqual(['name', 'name', 'postalCode', 'postalCode', 'phone', 'email', 'website', 'themes', 'radiusKm', 'email', 'communeCode']);
    expect(columnFor('remarque')).toBeUndefined();
  });

  it('should read natures from codes, labels, acronyms and common words', () => {
    expect(
      [
        'association',
        'CPTS',
        'collectivité',
        "service de l'État",
        "Agence de l'État",
        'ARS',
        'Agence régionale de santé',
        'ETABLISSEMENT_SANTE',
        'hôpital',
      ].map(kindFor),
    ).toEqual(['ASSOCIATION', 'CPTS', 'COLLECTIVITE', 'SERVICE_ETAT', 'AGENCE_ETAT', 'ARS', 'ARS', 'ETABLISSEMENT_SANTE', 'ETABLISSEMENT_SANTE']);
    expect(kindFor('club de bridge')).toBeUndefined();
    expect(['Santé', 'médico-social', 'ETAT', 'État'].map(sectorFor)).toEqual(['SANTE', 'MEDICO_SOCIAL', 'ETAT', 'ETAT']);
    expect(['departement', 'Département', 'epci', 'pays'].map(levelFor)).toEqual(['DEPARTEMENT', 'DEPARTEMENT', 'EPCI', 'PAYS']);
  });

  it('should normalise names like the stored search_name', () => {
    expect(normName('  Centre Hospitalier de Saint-Dizier — Sainte Anne ')).toBe('centre hospitalier de st dizier ste anne');
  });
});

describe('CSV reading', () => {
  it('should number rows as a spreadsheet does, across blank lines and multi-line cells', () => {
    const file = readCsv('nom;description\nA;x\n\nB;"deux\nlignes"\nC;y\n', 'utf-8');
    expect(file.fatal).toEqual([]);
    expect(file.rows.map((r) => [r.row, r.values.name])).toEqual([
      [2, 'A'],
      [4, 'B'],
      [6, 'C'],
    ]);
  });

  it('should follow an Excel « sep= » first line', () => {
    const file = readCsv('sep=,\nnom,commune\nA;B,55545\n', 'utf-8');
    expect(file.rows).toEqual([{ row: 3, values: { name: 'A;B', communeCode: '55545' }, problems: [] }]);
  });

  it('should detect a tab separator', () => {
    expect(readCsv('nom\tcommune\nA\t55545\n', 'utf-8').rows[0].values).toEqual({ name: 'A', communeCode: '55545' });
  });

  it('should flag the Windows-1252 lines of a byte input and read the others', () => {
    const bytes = Buffer.concat([Buffer.from('nom;commune\nÉcole;55545\n', 'utf8'), iconv.encode('Prévention;55545\n', 'win1252')]);
    const file = readCsv(bytes, 'utf-8');
    expect(file.rows[0].problems).toEqual([]);
    expect(file.rows[1]).toMatchObject({ row: 3, values: { name: 'Prévention' }, problems: [{ row: 3, field: 'encodage' }] });
  });

  it('should refuse a file whose header has no « nom » column, or an unclosed quote', () => {
    expect(readCsv('raison;commune\nA;55545\n', 'utf-8').fatal[0]).toMatchObject({ row: 1, field: 'nom' });
    expect(readCsv('nom;commune\n"A;55545\n', 'utf-8').fatal[0]).toMatchObject({ field: 'fichier' });
  });
});

describe('GeoJSON reading', () => {
  it('should take point coordinates and refuse anything but a FeatureCollection', () => {
    const file = readGeoJson(
      JSON.stringify({
        type: 'FeatureCollection',
        features: [{ type: 'Feature', geometry: { type: 'Point', coordinates: [5.38, 49.16] }, properties: { Nom: 'A', extra: 1 } }],
      }),
    );
    expect(file.rows[0].values).toEqual({ name: 'A', lon: 5.38, lat: 49.16 });
    expect(file.ignoredColumns).toEqual(['extra']);
    expect(readGeoJson('{"type":"Feature"}').fatal[0].reason).toContain('FeatureCollection');
    expect(readGeoJson('{pas du json').fatal[0].reason).toContain('JSON invalide');
  });
});
