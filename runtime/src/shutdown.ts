const SIGNALS = ["SIGTERM", "SIGINT"] as const;

/**
 * A repeat of the same signal within this window is the same request: `tsx watch` and some
 * terminals relay one Ctrl-C as two SIGINTs at once.
 */
export const REPEAT_WINDOW_MS = 1_000;

/**
 * Runs `stop` on the first SIGTERM or SIGINT and exits 0 when it resolves (1 if it throws).
 * A later signal exits at once, for an operator who does not want to wait.
 */
export function onShutdownSignal(stop: (signal: string) => Promise<void>): void {
  let first: { signal: NodeJS.Signals; at: number } | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (first) {
      if (signal === first.signal && Date.now() - first.at < REPEAT_WINDOW_MS) return;
      console.error(`[telestion] ${signal} again: exiting without waiting`);
      process.exit(signal === "SIGINT" ? 130 : 143);
    }
    first = { signal, at: Date.now() };
    stop(signal).then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`[telestion] shutdown failed: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      },
    );
  };
  for (const signal of SIGNALS) process.on(signal, onSignal);
}
