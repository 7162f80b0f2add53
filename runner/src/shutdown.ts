/**
 * Closes cleanly on SIGINT or SIGTERM (once, however many signals come), then exits: 0 when the
 * close worked, 1 (with the error on stderr) when it did not.
 */
export function closeOnSignals(close: () => Promise<void>, announce?: (signal: NodeJS.Signals) => void): void {
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    announce?.(signal);
    close().then(
      () => process.exit(0),
      (e: unknown) => {
        console.error(e);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}
