/**
 * The V8 settings `npm start` runs the app with (package.json, « start »; test/unit/app-flags.test.ts
 * keeps the two equal), so that the benchmark and the load test measure the app as it is served.
 * A young generation of 64 MB semi-spaces: the directory's requests allocate a lot that dies young
 * (rows, JSON, GraphQL results); the default 16 MB fill, and are scavenged, four times as often. Directory query (16 clients, bench base, 3 runs alternated, 4 December 2026): 1.98, 1.98
 * and 1.94 ms of the app's CPU per request with the default, 1.78, 1.81 and 1.79 ms with 64 MB;
 * 32 MB: 1.86 ms. Peak memory under that load: 316 MB → 423 MB.
 */
export const APP_NODE_FLAGS = ['--max-semi-space-size=64'] as const;
