import 'reflect-metadata';
import { describe, expect, it } from 'vitest';
import { hsdsId, uuidV5 } from '../../server/exchange/hsds/hsds-ids.js';
import { hsdsSchedules } from '../../server/exchange/hsds/hsds-schedule.js';

/** A Thursday of December 2026, Paris time: the « current week » of the seasonal cases. */
const NOW = new Date(2026, 11, 3, 22, 0);
const rules = (value: string) => hsdsSchedules(value, NOW).map(({ description, ...rest }) => (expect(description).toContain(value), rest));

describe('HSDS schedules from OpenStreetMap opening_hours', () => {
  it('should group the days that share hours into weekly rules, in day then time order', () => {
    expect(rules('Mo-Fr 09:00-12:00,14:00-17:00; Sa 10:00-12:00')).toEqual([
      { freq: 'WEEKLY', wkst: 'MO', byday: 'MO,TU,WE,TH,FR', opens_at: '09:00:00', closes_at: '12:00:00' },
      { freq: 'WEEKLY', wkst: 'MO', byday: 'MO,TU,WE,TH,FR', opens_at: '14:00:00', closes_at: '17:00:00' },
      { freq: 'WEEKLY', wkst: 'MO', byday: 'SA', opens_at: '10:00:00', closes_at: '12:00:00' },
    ]);
  });

  it('should keep the regular week when only public holidays or a date are off, the exception staying in the description', () => {
    const week = [{ freq: 'WEEKLY', wkst: 'MO', byday: 'MO,TU,WE,TH,FR', opens_at: '09:00:00', closes_at: '17:00:00' }];
    expect(rules('Mo-Fr 09:00-17:00; PH off')).toEqual(week);
    expect(rules('Mo-Fr 09:00-17:00; Dec 25 off')).toEqual(week);
  });

  it('should keep an opening across midnight on its first day, Sunday into Monday included', () => {
    expect(rules('Su 22:00-02:00')).toEqual([{ freq: 'WEEKLY', wkst: 'MO', byday: 'SU', opens_at: '22:00:00', closes_at: '02:00:00' }]);
    expect(rules('Mo 18:00-24:00')).toEqual([{ freq: 'WEEKLY', wkst: 'MO', byday: 'MO', opens_at: '18:00:00', closes_at: '00:00:00' }]);
  });

  it('should cut 24/7 into whole days, and leave an open end without closing time', () => {
    expect(rules('24/7')).toEqual([{ freq: 'WEEKLY', wkst: 'MO', byday: 'MO,TU,WE,TH,FR,SA,SU', opens_at: '00:00:00', closes_at: '00:00:00' }]);
    expect(rules('Sa 10:00+')).toEqual([{ freq: 'WEEKLY', wkst: 'MO', byday: 'SA', opens_at: '10:00:00' }]);
  });

  it('should put a mapper’s comment in the notes', () => {
    expect(rules('Tu 10:00-12:00 "sur rendez-vous"')).toEqual([
      { freq: 'WEEKLY', wkst: 'MO', byday: 'TU', opens_at: '10:00:00', closes_at: '12:00:00', notes: 'sur rendez-vous' },
    ]);
  });

  it('should give seasonal hours as the current week with its dates, never as every week', () => {
    expect(rules('Oct-Mar Mo 10:00-12:00; Apr-Sep Mo 14:00-18:00')).toEqual([
      { freq: 'WEEKLY', wkst: 'MO', byday: 'MO', opens_at: '10:00:00', closes_at: '12:00:00', valid_from: '2026-11-30', valid_to: '2026-12-06' },
    ]);
    expect(rules('Jul-Aug Mo 10:00-12:00')).toEqual([{ valid_from: '2026-11-30', valid_to: '2026-12-06' }]);
  });

  it('should give a description only for hours never open or a string the library refuses', () => {
    expect(rules('off')).toEqual([{}]);
    expect(hsdsSchedules('n’importe quoi', NOW)).toEqual([{ description: expect.stringContaining('n’importe quoi') }]);
  });
});

describe('HSDS ids', () => {
  it('should compute RFC 9562 UUID version 5 (the RFC’s DNS example and Python’s)', () => {
    const DNS = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';
    expect(uuidV5('www.example.com', DNS)).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
    expect(uuidV5('python.org', DNS)).toBe('886313e1-3b8a-5372-9b90-0c9aee199e5d');
  });

  it('should derive one id per actor, kind and key, whatever the case of the actor id', () => {
    const actor = 'A1B2C3D4-0000-4000-8000-000000000001';
    expect(hsdsId(actor, 'service')).toBe(hsdsId(actor.toLowerCase(), 'service'));
    const all = [
      hsdsId(actor, 'service'),
      hsdsId(actor, 'location'),
      hsdsId(actor, 'service_area', 'COMMUNE:55545'),
      hsdsId(actor, 'service_area', 'DEPARTEMENT:55'),
    ];
    expect(new Set(all).size).toBe(all.length);
  });
});
