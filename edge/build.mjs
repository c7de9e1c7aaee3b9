// Builds the edge agent into one JavaScript file, edge/dist/agent.mjs, so that `npm run edge` runs plain Node
// instead of the tsx loader (docs/edge.md "Parts"; edge/README.md "Run a node"): about half the memory, and no
// TypeScript compile at start. esbuild bundles edge/agent/main.ts with its imports (edge/ and zod, ipaddr.js);
// edge/ imports no console code. Plain JavaScript, so that it runs before anything is compiled.
//
//   node edge/build.mjs          build (about 0.1 s); exit 1 with esbuild's message when the build fails
//
// Without esbuild (an install without dev dependencies), an existing edge/dist/agent.mjs is kept and used.

import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const root = path.resolve(import.meta.dirname, "..");

/** The bundle `npm run edge` runs (absolute path). */
export const EDGE_AGENT_BUNDLE = path.join(root, "edge/dist/agent.mjs");

/**
 * Bundles edge/agent/main.ts into {@link EDGE_AGENT_BUNDLE} (ESM, Node 20, no minifying: stack traces stay readable).
 * Resolves to the bundle's path. Rejects with esbuild's error when the sources do not build; when esbuild is not
 * installed, resolves to the existing bundle, or rejects with a sentence saying how to get one.
 */
export async function buildEdgeAgent() {
  let esbuild;
  try {
    esbuild = await import("esbuild");
  } catch {
    if (fs.existsSync(EDGE_AGENT_BUNDLE)) return EDGE_AGENT_BUNDLE;
    throw new Error("esbuild is not installed: run `npm ci` (with dev dependencies) once to build edge/dist/agent.mjs");
  }
  const result = await esbuild.build({
    entryPoints: [path.join(root, "edge/agent/main.ts")],
    outfile: EDGE_AGENT_BUNDLE,
    write: false,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "error",
    legalComments: "none",
    banner: { js: "// Built by edge/build.mjs from edge/agent/main.ts: do not edit." },
  });
  const text = result.outputFiles[0].text;
  // Unchanged: left alone. Changed: written beside and renamed, so an agent starting at the same time never reads half.
  if (fs.existsSync(EDGE_AGENT_BUNDLE) && fs.readFileSync(EDGE_AGENT_BUNDLE, "utf8") === text) return EDGE_AGENT_BUNDLE;
  fs.mkdirSync(path.dirname(EDGE_AGENT_BUNDLE), { recursive: true });
  const tmp = `${EDGE_AGENT_BUNDLE}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, EDGE_AGENT_BUNDLE);
  return EDGE_AGENT_BUNDLE;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  buildEdgeAgent().catch((error) => {
    console.error(`edge agent build failed: ${error.message}`);
    process.exit(1);
  });
}
