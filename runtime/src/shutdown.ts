const SIGNALS = ["SIGTERM", "SIGINT"] as const;

/**
 * Runs `stop` on the first SIGTERM or SIGINT and exits 0 when it resolves (1 if it throws).
 * A second signal exits at once, for an operator who does not want to wait.
 */
export function onShutdownSignal(stop: (signal: string) => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      console.error(`[telestion] ${signal} again: exiting without waiting`);
      process.exit(signal === "SIGINT" ? 130 : 143);
    }
    stopping = true;
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
