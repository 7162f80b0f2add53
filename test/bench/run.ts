// `npm run bench -- <name>`: runs one benchmark (or all) and writes test/bench/results/<name>.json.
const benches: Record<string, () => Promise<unknown>> = {
  'turn-latency': async () => (await import('./turn-latency.js')).runTurnLatency(),
  sandbox: async () => (await import('./sandbox.js')).runSandboxBench(),
  runs: async () => (await import('./runs.js')).runRunsBench(),
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length > 0 ? wanted : Object.keys(benches);
for (const name of names) {
  const bench = benches[name];
  if (!bench) {
    console.error(`Unknown benchmark "${name}". Known: ${Object.keys(benches).join(', ')}`);
    process.exit(2);
  }
  const result = await bench();
  console.log(JSON.stringify({ [name]: result }, null, 2));
}
process.exit(0);
