import { isIP } from "node:net";
import { and, eq } from "drizzle-orm";
import { z } from "zod";
import { writeTransaction } from "@/db";
import { edgeNodeEnvironments, edgeNodes } from "@/db/schema";
import type { FieldError } from "@/lib/api/problem";
import { recordPurgeReports } from "@/lib/purge/store";

// A node's report (docs/edge.md "Desired state": `POST /api/edge/v1/report`): after every apply round and at least
// every 60 seconds, so it is also the node's heartbeat.

/** Largest report body accepted (bytes): a full apply of a few thousand environments fits. */
export const MAX_REPORT_BYTES = 4 * 1024 * 1024;

const port = z.number().int().min(1).max(65535).nullable().optional();
const text = (max: number) => z.string().max(max);

const reportEnvironmentSchema = z.strictObject({
  environmentId: z.number().int().positive(),
  version: z.number().int().min(0),
  /** `removed`: the node dropped the environment (it was removed from the desired state). */
  status: z.enum(["applied", "failed", "removed"]),
  servingCommit: z
    .string()
    .regex(/^[0-9a-f]{40}(?:[0-9a-f]{24})?$/, "must be a full commit id (40 hex characters)")
    .nullable()
    .optional(),
  appliedAt: z.iso.datetime({ offset: true }).nullable().optional(),
  tool: text(40).nullable().optional(),
  message: text(4000).nullable().optional(),
  /** HTTP-01 tokens the node answers for this environment after this round (lib/https/edge.ts waits for them). */
  acmeChallenges: z
    .array(z.string().regex(/^[A-Za-z0-9_-]{1,256}$/, "must be an ACME token (base64url)"))
    .max(1000)
    .optional(),
});

/** The report body (docs/edge.md "Desired state"); unknown fields are refused so typos surface. */
export const edgeReportSchema = z.strictObject({
  version: z.number().int().min(0),
  address: z
    .string()
    .refine((v) => isIP(v) !== 0, "must be an IPv4 or IPv6 address")
    .nullable()
    .optional(),
  ports: z.strictObject({ http: port, https: port }).optional(),
  tools: z.record(text(40), text(100)).optional(),
  error: text(4000).nullable().optional(),
  environments: z.array(reportEnvironmentSchema).max(100_000).default([]),
  /** Purges the node applied (or varnishd refused) since its last delivered report (docs/edge.md "Purge"). */
  purges: z
    .array(
      z.strictObject({
        id: z.number().int().positive(),
        appliedAt: z.iso.datetime({ offset: true }).nullable().optional(),
        error: text(2000).nullable().optional(),
      }),
    )
    .max(10_000)
    .optional(),
});

/** A parsed report. */
export type EdgeReport = z.infer<typeof edgeReportSchema>;

/** Parses a report body: the report, or the fields at fault (`environments.0.status: …`). */
export function parseEdgeReport(body: unknown): { ok: true; report: EdgeReport } | { ok: false; errors: FieldError[] } {
  const parsed = edgeReportSchema.safeParse(body);
  if (parsed.success) return { ok: true, report: parsed.data };
  return { ok: false, errors: parsed.error.issues.map((i) => ({ field: i.path.join("."), message: i.message })) };
}

/**
 * Records `report` from node `nodeId` (docs/edge.md "Desired state"): upserts one edge_node_environments row per
 * environment entry, and sets the node's last contact (`now`), address (the report's, else `peerAddress`), ports,
 * applied version, tools and node-wide error. One write transaction.
 */
export async function recordEdgeReport(
  nodeId: number,
  report: EdgeReport,
  peerAddress: string | null,
  now: Date = new Date(),
): Promise<void> {
  await writeTransaction(async (tx) => {
    const address = report.address ?? peerAddress ?? null;
    await tx
      .update(edgeNodes)
      .set({
        lastContactAt: now,
        address,
        ...(report.ports ? { httpPort: report.ports.http ?? null, httpsPort: report.ports.https ?? null } : {}),
        appliedVersion: report.version,
        ...(report.tools ? { tools: JSON.stringify(report.tools) } : {}),
        lastError: report.error ?? null,
      })
      .where(eq(edgeNodes.id, nodeId));
    for (const env of report.environments) {
      if (env.status === "removed") {
        // The node no longer serves it: nothing of it remains to show.
        await tx
          .delete(edgeNodeEnvironments)
          .where(and(eq(edgeNodeEnvironments.nodeId, nodeId), eq(edgeNodeEnvironments.environmentId, env.environmentId)));
        continue;
      }
      const applied = env.status === "applied";
      const values = {
        version: env.version,
        status: env.status,
        servingCommit: env.servingCommit ?? null,
        tool: applied ? null : (env.tool ?? "unknown"),
        message: applied ? null : (env.message ?? ""),
        appliedAt: applied ? (env.appliedAt ? new Date(env.appliedAt) : now) : null,
        reportedAt: now,
        ...(env.acmeChallenges ? { acmeTokens: env.acmeChallenges } : {}),
      };
      await tx
        .insert(edgeNodeEnvironments)
        .values({ nodeId, environmentId: env.environmentId, ...values })
        .onConflictDoUpdate({ target: [edgeNodeEnvironments.nodeId, edgeNodeEnvironments.environmentId], set: values });
    }
    if (report.purges) await recordPurgeReports(tx, nodeId, report.purges, now);
  });
}
