import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { APP_NODE_FLAGS } from '../load/app-flags.js';

describe('the V8 settings of the served app', () => {
  it('are the same for `npm start` and for the app the benchmark and the load test measure', () => {
    const start: string = JSON.parse(fs.readFileSync('package.json', 'utf8')).scripts.start;
    // `node <flags> scripts/start.mjs`: the build check, then the server, in that one process.
    const flags = /\bnode ((?:--\S+ )*)scripts\/start\.mjs/.exec(start)?.[1].trim().split(' ');
    expect(flags).toEqual([...APP_NODE_FLAGS]);
  });
});
