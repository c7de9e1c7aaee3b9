import type { Metadata } from "next";
import Link from "next/link";
import { Fragment } from "react";
import { requireUser } from "@/lib/auth/session";
import { settings } from "@/lib/config";
import { apiDocument } from "@/lib/api/document";
import { PROBLEMS, PROBLEM_BASE } from "@/lib/api/problem";
import { describeSchema, listOperations, schemaFields, type JsonSchema } from "./reference";

export const metadata: Metadata = { title: "API reference" };

const METHOD_STYLE: Record<string, string> = {
  get: "bg-sky-50 dark:bg-sky-950/40 text-sky-800 dark:text-sky-200 ring-sky-200 dark:ring-sky-900",
  post: "bg-emerald-50 dark:bg-emerald-950/40 text-emerald-800 dark:text-emerald-200 ring-emerald-200 dark:ring-emerald-900",
  patch: "bg-amber-50 dark:bg-amber-950/40 text-amber-800 dark:text-amber-200 ring-amber-200 dark:ring-amber-900",
  delete: "bg-red-50 dark:bg-red-950/40 text-red-800 dark:text-red-200 ring-red-200 dark:ring-red-900",
};

/** A path or code text that may break after each `/` (then anywhere, only if a segment is wider than the line). */
function Breakable({ text }: { text: string }) {
  return (
    <>
      {text.split("/").map((part, i) => (
        <Fragment key={i}>
          {i > 0 ? (
            <>
              /<wbr />
            </>
          ) : null}
          {part}
        </Fragment>
      ))}
    </>
  );
}

/** Text of the document with `code` spans (its descriptions use Markdown backticks). */
function Prose({ text }: { text: string }) {
  return (
    <>
      {text.split(/`([^`]+)`/).map((part, i) =>
        i % 2 === 1 ? (
          <code key={i} className="[overflow-wrap:anywhere] font-mono text-[0.8em]">
            <Breakable text={part} />
          </code>
        ) : (
          part
        ),
      )}
    </>
  );
}

/** REST API v1 reference (docs/product.md §3.6), rendered from the OpenAPI document the API serves. */
export default async function ApiReferencePage() {
  await requireUser("/docs/api");
  const base = `${settings().appUrl}/api/v1`;
  const doc = apiDocument(settings().appUrl);
  const groups = listOperations(doc);
  const schemas = (doc.components?.schemas ?? {}) as Record<string, JsonSchema>;
  return (
    // Prose wraps between words (the body's `anywhere` would split words like "internal" in narrow columns);
    // paths and code opt back into `anywhere`, after each `/` first.
    <div className="max-w-5xl space-y-8 [overflow-wrap:break-word]">
      <div className="space-y-2">
        <h1 className="text-2xl font-semibold tracking-tight">API reference</h1>
        <p className="text-sm text-slate-600 dark:text-slate-400">
          REST API v1 at <code className="[overflow-wrap:anywhere] font-mono">{base}</code>, following Section&apos;s API v1. Send a token
          from{" "}
          <Link href="/settings/tokens" className="font-medium text-indigo-700 dark:text-indigo-300 hover:underline">
            Settings → API tokens
          </Link>{" "}
          as <code className="font-mono">Authorization: Bearer ec_…</code> or in the <code className="font-mono">section-token</code>{" "}
          header; it acts with your roles. Paths answer with and without a trailing slash; <code className="font-mono">HEAD</code> works
          wherever <code className="font-mono">GET</code> does and <code className="font-mono">OPTIONS</code> lists a path&apos;s methods.
          Lists are JSON arrays; the next page is in the <code className="font-mono">Link</code> header. The machine-readable document is{" "}
          <a href="/api/v1/openapi.json" className="font-medium text-indigo-700 dark:text-indigo-300 hover:underline">
            openapi.json
          </a>
          .
        </p>
        <nav aria-label="Operations" className="flex flex-wrap gap-2 pt-1 text-sm">
          {groups.map((g) => (
            <a
              key={g.tag}
              href={`#tag-${g.tag}`}
              className="rounded-md bg-white dark:bg-slate-900 px-2.5 py-1 font-medium text-slate-700 dark:text-slate-300 ring-1 ring-slate-200 dark:ring-slate-700 hover:bg-slate-50 dark:hover:bg-slate-800/50"
            >
              {g.tag}
            </a>
          ))}
          <a
            href="#errors"
            className="rounded-md bg-white dark:bg-slate-900 px-2.5 py-1 font-medium text-slate-700 dark:text-slate-300 ring-1 ring-slate-200 dark:ring-slate-700 hover:bg-slate-50 dark:hover:bg-slate-800/50"
          >
            Errors
          </a>
          <a
            href="#schemas"
            className="rounded-md bg-white dark:bg-slate-900 px-2.5 py-1 font-medium text-slate-700 dark:text-slate-300 ring-1 ring-slate-200 dark:ring-slate-700 hover:bg-slate-50 dark:hover:bg-slate-800/50"
          >
            Schemas
          </a>
        </nav>
      </div>

      {groups.map((group) => (
        <section key={group.tag} id={`tag-${group.tag}`} aria-labelledby={`tag-${group.tag}-heading`} className="scroll-mt-6 space-y-3">
          <h2 id={`tag-${group.tag}-heading`} className="text-lg font-semibold">
            {group.tag}
          </h2>
          {group.operations.map((op) => (
            <article
              key={op.id}
              id={op.id}
              aria-label={`${op.method.toUpperCase()} ${op.path}`}
              className="space-y-3 rounded-xl bg-white dark:bg-slate-900 p-4 ring-1 ring-slate-200 dark:ring-slate-700"
            >
              <div className="flex flex-wrap items-center gap-2">
                <span className={`rounded px-2 py-0.5 font-mono text-xs font-semibold uppercase ring-1 ${METHOD_STYLE[op.method] ?? ""}`}>
                  {op.method}
                </span>
                <code className="min-w-0 [overflow-wrap:anywhere] font-mono text-sm font-medium text-slate-900 dark:text-slate-100">
                  <Breakable text={op.path} />
                </code>
              </div>
              <p className="text-sm text-slate-700 dark:text-slate-300">
                <Prose text={op.summary} />
              </p>
              {op.description ? (
                <p className="text-sm text-slate-600 dark:text-slate-400">
                  <Prose text={op.description} />
                </p>
              ) : null}
              {op.parameters.length > 0 ? (
                <ul
                  aria-label={`Parameters of ${op.id}`}
                  className="space-y-1 border-t border-slate-100 dark:border-slate-800 pt-2 text-sm"
                >
                  {op.parameters.map((p) => (
                    <li key={`${p.in}-${p.name}`} className="flex flex-wrap items-baseline gap-x-2">
                      <code className="font-mono text-xs font-medium">
                        {p.name}
                        {p.required ? (
                          <span className="text-red-700 dark:text-red-300" title="required">
                            *
                          </span>
                        ) : null}
                      </code>
                      <span className="text-xs text-slate-500 dark:text-slate-400">
                        {p.in} · <code className="font-mono">{describeSchema(p.schema)}</code>
                      </span>
                      <span className="text-slate-600 dark:text-slate-400">
                        <Prose text={p.description} />
                      </span>
                    </li>
                  ))}
                </ul>
              ) : null}
              {op.body ? (
                <p className="text-sm text-slate-700 dark:text-slate-300">
                  Body <span className="text-slate-500 dark:text-slate-400">({op.body.contentType})</span>:{" "}
                  <code className="[overflow-wrap:anywhere] font-mono text-xs">{describeSchema(op.body.schema)}</code>
                </p>
              ) : null}
              <ul className="space-y-0.5 text-sm">
                {op.responses.map((r) => (
                  <li key={r.status} className="flex gap-x-2">
                    <span
                      className={`shrink-0 pt-0.5 font-mono text-xs font-semibold ${r.status.startsWith("2") ? "text-emerald-700 dark:text-emerald-300" : "text-slate-500 dark:text-slate-400"}`}
                    >
                      {r.status}
                    </span>
                    <span className="min-w-0 text-slate-600 dark:text-slate-400">
                      <Prose text={r.description} />
                      {r.schema && r.status.startsWith("2") ? (
                        <>
                          {" "}
                          <code className="[overflow-wrap:anywhere] font-mono text-xs text-slate-800 dark:text-slate-200">
                            {describeSchema(r.schema)}
                          </code>
                        </>
                      ) : null}
                    </span>
                  </li>
                ))}
              </ul>
            </article>
          ))}
        </section>
      ))}

      <section id="errors" aria-labelledby="errors-heading" className="scroll-mt-6 space-y-3">
        <h2 id="errors-heading" className="text-lg font-semibold">
          Errors
        </h2>
        <p className="text-sm text-slate-600 dark:text-slate-400">
          Every error is <code className="font-mono">application/problem+json</code> (RFC 9457) with <code className="font-mono">type</code>
          , <code className="font-mono">title</code>, <code className="font-mono">status</code>, <code className="font-mono">detail</code>{" "}
          and, for validation errors, <code className="font-mono">errors</code> naming each field. Each{" "}
          <code className="font-mono">type</code> is <code className="[overflow-wrap:anywhere] font-mono">{PROBLEM_BASE}</code> followed by
          the kind below. Anything your token&apos;s user cannot see is a 404.
        </p>
        <div className="overflow-x-auto rounded-xl bg-white dark:bg-slate-900 ring-1 ring-slate-200 dark:ring-slate-700">
          <table className="w-full text-left text-sm" aria-label="Problem types">
            <tbody className="divide-y divide-slate-100 dark:divide-slate-800">
              {Object.entries(PROBLEMS).map(([kind, p]) => (
                <tr key={kind}>
                  <td className="px-4 py-1.5 font-mono text-xs whitespace-nowrap">{p.status}</td>
                  <td className="px-4 py-1.5 font-mono text-xs">
                    {/* The base is the same on every row: on a phone only the kind is shown (the text above names the base). */}
                    <span className="hidden sm:inline">{PROBLEM_BASE}</span>
                    {kind}
                  </td>
                  <td className="px-4 py-1.5 text-slate-600 dark:text-slate-400">{p.title}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>

      <section id="schemas" aria-labelledby="schemas-heading" className="scroll-mt-6 space-y-3">
        <h2 id="schemas-heading" className="text-lg font-semibold">
          Schemas
        </h2>
        {Object.entries(schemas).map(([name, schema]) => (
          <article
            key={name}
            id={`schema-${name}`}
            className="scroll-mt-6 space-y-2 rounded-xl bg-white dark:bg-slate-900 p-4 ring-1 ring-slate-200 dark:ring-slate-700"
          >
            <h3 className="font-mono text-sm font-semibold">{name}</h3>
            {schema.description ? (
              <p className="text-sm text-slate-600 dark:text-slate-400">
                <Prose text={schema.description} />
              </p>
            ) : null}
            {schemaFields(schema).length > 0 ? (
              <ul className="space-y-0.5 text-sm">
                {schemaFields(schema).map((f) => (
                  <li key={f.name} className="flex flex-wrap gap-x-2">
                    <code className="font-mono text-xs font-medium">
                      {f.name}
                      {f.required ? "" : "?"}
                    </code>
                    <code className="[overflow-wrap:anywhere] font-mono text-xs text-slate-600 dark:text-slate-400">{f.type}</code>
                    {f.description ? (
                      <span className="text-slate-600 dark:text-slate-400">
                        <Prose text={f.description} />
                      </span>
                    ) : null}
                  </li>
                ))}
              </ul>
            ) : (
              <p className="font-mono text-xs text-slate-700 dark:text-slate-300">{describeSchema(schema)}</p>
            )}
          </article>
        ))}
      </section>
    </div>
  );
}
