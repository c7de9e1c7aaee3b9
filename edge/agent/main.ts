import { EdgeAgent } from "./agent";
import { readSettings, SettingsError } from "./settings";

// `npm run edge`: one edge node (docs/product.md §8, docs/edge.md). Settings come from the environment; see
// edge/README.md. Exit codes: 0 after a clean stop, 2 for a bad or missing setting, 1 when it cannot start.

async function main(): Promise<void> {
  let settings;
  try {
    settings = readSettings(process.env, process.argv.slice(2));
  } catch (error) {
    if (error instanceof SettingsError) {
      console.error(`edge agent: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const agent = new EdgeAgent(settings);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`[edge] ${signal}: stopping`);
    agent
      .stop(settings.keepProxies)
      .then(() => process.exit(0))
      .catch((e: Error) => {
        console.error(`[edge] stop failed: ${e.message}`);
        process.exit(1);
      });
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  await agent.start();
}

main().catch((error: Error) => {
  console.error(`edge agent: ${error.message}`);
  process.exit(1);
});
