import { describe, expect, it } from 'vitest';
import { TerritoryLevel, levelsForCode } from '../../server/territories/territory-level.js';

describe('levelsForCode', () => {
  it('recognises each level by the shape of its code', () => {
    expect(levelsForCode('55545')).toEqual([TerritoryLevel.COMMUNE]);
    expect(levelsForCode('2A004')).toEqual([TerritoryLevel.COMMUNE]);
    expect(levelsForCode('75105')).toEqual([TerritoryLevel.COMMUNE, TerritoryLevel.ARRONDISSEMENT]);
    expect(levelsForCode('200054781')).toEqual([TerritoryLevel.EPCI, TerritoryLevel.EPT]);
    expect(levelsForCode('974')).toEqual([TerritoryLevel.DEPARTEMENT]);
    expect(levelsForCode('44')).toEqual([TerritoryLevel.DEPARTEMENT, TerritoryLevel.REGION]);
  });

  it('recognises no level for malformed codes', () => {
    for (const bad of ['', '5554', '555455', '2C004', "55'; --", 'abc']) expect(levelsForCode(bad)).toEqual([]);
  });
});
