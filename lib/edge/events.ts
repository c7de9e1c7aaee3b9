import { EventEmitter } from "node:events";

// One emitter per process for "the global desired-state version moved" (docs/edge.md "Desired state": long-poll).
// Kept on globalThis: Next.js may load a module once per bundle (instrumentation, route handlers, server actions),
// and a reconcile in one must wake the long-polls waiting in another. Other processes hear of a move through
// PostgreSQL's NOTIFY on EDGE_VERSION_CHANNEL (docs/edge.md "Versions").

const KEY = Symbol.for("edge-console.edge-version-events");

/**
 * The PostgreSQL channel every move of the global version is notified on when its transaction commits (payload: the
 * new version, decimal), by `bumpEdgeVersion` (lib/edge/versions.ts).
 */
export const EDGE_VERSION_CHANNEL = "edge_state_version";

/** The process's emitter of `version` events (argument: the new global version). */
export function edgeVersionEvents(): EventEmitter {
  const holder = globalThis as unknown as Record<symbol, EventEmitter | undefined>;
  let emitter = holder[KEY];
  if (!emitter) {
    emitter = new EventEmitter();
    emitter.setMaxListeners(0); // one listener per waiting long-poll
    holder[KEY] = emitter;
  }
  return emitter;
}
