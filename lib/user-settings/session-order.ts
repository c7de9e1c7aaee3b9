// The order of /settings/sessions (docs/product.md §3.1): this browser first, then the others as listed (most recently seen first).

/**
 * `sessions` with the one whose `sessionKey` is `currentKey` ("This browser") moved to the top; the others keep their
 * order. Returns a new array; unchanged order when `currentKey` is null or not among them.
 */
export function pinCurrentSession<T extends { sessionKey: string }>(sessions: readonly T[], currentKey: string | null): T[] {
  const current = sessions.find((s) => s.sessionKey === currentKey);
  return current ? [current, ...sessions.filter((s) => s !== current)] : [...sessions];
}
