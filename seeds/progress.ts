import cliProgress from 'cli-progress';

export type Log = (line: string) => void;

export interface Progress {
  tick(n?: number): void;
  done(): void;
}

/** A progress bar on a terminal, a few plain lines elsewhere (CI logs, pipes). */
export function progress(label: string, total: number, log: Log): Progress {
  if (process.stdout.isTTY) {
    const bar = new cliProgress.SingleBar({ format: `  ${label.padEnd(34)} [{bar}] {value}/{total}`, hideCursor: true }, cliProgress.Presets.shades_classic);
    bar.start(total, 0);
    return { tick: (n = 1) => bar.increment(n), done: () => bar.stop() };
  }
  let value = 0;
  let lastShown = 0;
  return {
    tick(n = 1) {
      value += n;
      const pct = Math.floor((value / Math.max(total, 1)) * 4);
      if (pct > lastShown && value < total) {
        lastShown = pct;
        log(`  ${label} : ${value}/${total}`);
      }
    },
    done: () => log(`  ${label} : ${total}/${total}`),
  };
}
