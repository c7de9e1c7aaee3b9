#!/usr/bin/env node
// Prints the first-load JavaScript of every App Router page of an existing production build (it builds nothing):
// the files every page loads (build-manifest.json "rootMainFiles": React, Next's runtime) plus the chunks of the page
// and of the layouts and boundaries around it (the page's client reference manifest, "entryJSFiles") — the same set
// as the page's HTML loads with <script src> (checked on /login) — each counted once, raw and gzipped
// (zlib level 9, as a server compressing them would send them). `polyfillFiles` are left out: they load only in
// browsers without ES modules.
//
//   node scripts/first-load-js.mjs [--dist .next] [--budget 150] [--except /edit] [--json]
//
// --dist     the build folder (default: NEXT_DIST_DIR or .next)
// --budget   kB of gzip: exit 1 when a route loads more (routes matching --except are listed but not held to it)
// --json     one JSON object per route instead of the table
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import vm from "node:vm";

/** Reads `--name value` options from argv. */
function options(argv) {
  const out = { dist: process.env.NEXT_DIST_DIR || ".next", budget: null, except: [], json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--json") out.json = true;
    else if (arg === "--dist") out.dist = argv[++i];
    else if (arg === "--budget") out.budget = Number(argv[++i]);
    else if (arg === "--except") out.except.push(argv[++i]);
    else throw new Error(`unknown option ${arg} (see the comment at the top of scripts/first-load-js.mjs)`);
  }
  if (out.budget !== null && !(out.budget > 0)) throw new Error("--budget takes a number of kB");
  return out;
}

/** The page manifests under server/app: { route: "/login", key: "/(auth)/login/page", file }. */
function pageManifests(appDir) {
  const found = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name === "page_client-reference-manifest.js") {
        const key = "/" + path.relative(appDir, path.dirname(full)).split(path.sep).join("/") + "/page";
        const route = key.replace(/\/page$/, "").replace(/\/\([^)]+\)/g, "") || "/";
        found.push({ route, key: key.replace(/^\/\//, "/"), file: full });
      }
    }
  };
  walk(appDir);
  return found.filter((p) => !p.route.startsWith("/_")).sort((a, b) => a.route.localeCompare(b.route));
}

/** The files of a folder that wrap its pages (Next.js App Router "file conventions"). */
const BOUNDARIES = new Set(["layout", "template", "not-found", "error", "loading", "forbidden", "unauthorized"]);

/** The chunk files (relative to the build folder) a page's manifest lists for the page and what wraps it. */
function entryFiles(manifestFile, key) {
  const sandbox = { globalThis: {} };
  vm.runInNewContext(fs.readFileSync(manifestFile, "utf8"), sandbox);
  const manifest = sandbox.globalThis.__RSC_MANIFEST?.[key];
  if (!manifest?.entryJSFiles) throw new Error(`${manifestFile}: no entryJSFiles for ${key}`);
  const pageDir = key.replace(/\/page$/, "");
  const files = new Set();
  for (const [entry, chunks] of Object.entries(manifest.entryJSFiles)) {
    // The page, and the layouts and boundaries (not-found, error…) of the folders above it, which render around it;
    // entries outside app/ are Next's own (the built-in global error boundary), around every page.
    const inApp = /^\[project\]\/app(\/|$)/.test(entry);
    const name = entry.replace(/^\[project\]\/app/, "");
    const dir = name.slice(0, name.lastIndexOf("/"));
    const around = BOUNDARIES.has(name.slice(name.lastIndexOf("/") + 1)) && (pageDir === dir || pageDir.startsWith(`${dir}/`));
    if (!inApp || name === key || around) for (const chunk of chunks) files.add(chunk);
  }
  return files;
}

function main() {
  const opts = options(process.argv.slice(2));
  const dist = path.resolve(opts.dist);
  const buildManifest = path.join(dist, "build-manifest.json");
  if (!fs.existsSync(buildManifest)) throw new Error(`${buildManifest} is missing: run \`npx next build\` first`);
  const rootMain = JSON.parse(fs.readFileSync(buildManifest, "utf8")).rootMainFiles ?? [];
  const sizes = new Map();
  const sizeOf = (file) => {
    if (!sizes.has(file)) {
      const bytes = fs.readFileSync(path.join(dist, file));
      sizes.set(file, { raw: bytes.length, gzip: zlib.gzipSync(bytes, { level: 9 }).length });
    }
    return sizes.get(file);
  };
  const rows = pageManifests(path.join(dist, "server", "app")).map(({ route, key, file }) => {
    const files = new Set([...rootMain, ...entryFiles(file, key)]);
    let raw = 0;
    let gzip = 0;
    for (const f of files) {
      const s = sizeOf(f);
      raw += s.raw;
      gzip += s.gzip;
    }
    return { route, chunks: files.size, rawKb: raw / 1024, gzipKb: gzip / 1024 };
  });
  const over = rows.filter((r) => opts.budget !== null && r.gzipKb > opts.budget && !opts.except.some((e) => r.route.includes(e)));
  if (opts.json) for (const r of rows) console.log(JSON.stringify(r));
  else {
    const width = Math.max(...rows.map((r) => r.route.length));
    console.log(`${"route".padEnd(width)}  chunks   raw kB  gzip kB`);
    for (const r of rows)
      console.log(
        `${r.route.padEnd(width)}  ${String(r.chunks).padStart(6)}  ${r.rawKb.toFixed(1).padStart(7)}  ${r.gzipKb.toFixed(1).padStart(7)}${over.includes(r) ? "  over budget" : ""}`,
      );
  }
  if (over.length) {
    console.error(`${over.length} route(s) load more than ${opts.budget} kB of gzipped JavaScript`);
    process.exit(1);
  }
}

main();
