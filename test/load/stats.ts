import fs from 'node:fs';
/** Latencies and errors per operation kind. */
export interface OpSummary {
  kind: string;
  requests: number;
  rps: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  errors: number;
  errorCodes: Record<string, number>;
}

export class Recorder {
  private samples = new Map<string, number[]>();
  private errors = new Map<string, Map<string, number>>();
  readonly examples: string[] = [];

  ok(kind: string, ms: number): void {
    let s = this.samples.get(kind);
    if (!s) this.samples.set(kind, (s = []));
    s.push(ms);
  }

  /** A failed request still counts in the latencies (it took that long). */
  fail(kind: string, ms: number, code: string, detail: string): void {
    this.ok(kind, ms);
    let e = this.errors.get(kind);
    if (!e) this.errors.set(kind, (e = new Map()));
    e.set(code, (e.get(code) ?? 0) + 1);
    if (this.examples.length < 20) this.examples.push(`${kind}: ${code} ${detail}`.slice(0, 400));
  }

  get totalErrors(): number {
    let n = 0;
    for (const e of this.errors.values()) for (const v of e.values()) n += v;
    return n;
  }

  summarize(seconds: number): { total: OpSummary; byKind: OpSummary[] } {
    const one = (kind: string, samples: number[], errors: Map<string, number> | undefined): OpSummary => {
      const s = Float64Array.from(samples).sort();
      const at = (q: number) => (s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] : NaN);
      const r = (v: number) => Math.round(v * 10) / 10;
      const codes = Object.fromEntries(errors ?? []);
      return {
        kind,
        requests: s.length,
        rps: Math.round((s.length / seconds) * 10) / 10,
        p50: r(at(0.5)),
        p95: r(at(0.95)),
        p99: r(at(0.99)),
        max: r(s.length ? s[s.length - 1] : NaN),
        errors: Object.values(codes).reduce((a, b) => a + b, 0),
        errorCodes: codes,
      };
    };
    const kinds = [...this.samples.keys()].sort();
    const byKind = kinds.map((k) => one(k, this.samples.get(k)!, this.errors.get(k)));
    const allErrors = new Map<string, number>();
    for (const e of this.errors.values()) for (const [c, v] of e) allErrors.set(c, (allErrors.get(c) ?? 0) + v);
    const total = one('total', [...this.samples.values()].flat(), allErrors);
    return { total, byKind };
  }
}

export const fmtMs = (v: number) => (Number.isNaN(v) ? '—' : v >= 100 ? v.toFixed(0) : v.toFixed(1));

/** Share of the machine's CPU busy over `ms` (Linux /proc/stat), to tell when other work skews the figures. */
export async function cpuBusy(ms: number): Promise<number | null> {
  const read = () => {
    try {
      const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
      const idle = f[3] + (f[4] ?? 0);
      return { idle, total: f.reduce((a, b) => a + b, 0) };
    } catch {
      return null;
    }
  };
  const a = read();
  await new Promise((r) => setTimeout(r, ms));
  const b = read();
  if (!a || !b || b.total === a.total) return null;
  return Math.round((1 - (b.idle - a.idle) / (b.total - a.total)) * 100);
}
