// autocannon ships no types; the runner uses a small part of it (see run.ts).
declare module 'autocannon' {
  const autocannon: (options: Record<string, unknown>) => any;
  export default autocannon;
}
