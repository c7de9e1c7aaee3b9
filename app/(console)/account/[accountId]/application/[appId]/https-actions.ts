"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { accountAction, type Refusal } from "@/lib/actions";
import { domainResource, environmentResource } from "@/lib/actions/resources";
import { MAX_PEM_BYTES } from "@/lib/https/certificate";
import { kickCertificateScheduler } from "@/lib/https/scheduler";
import { requestRenewal, returnToAcme, setRedirectHttps, uploadOwnCertificate } from "@/lib/https/store";

// HTTPS actions of the domain and environment pages (docs/product.md §9): an own certificate, back to automatic
// certificates, "Renew now", and the environment's HTTP-to-HTTPS redirect. Owners and admins only ("https.manage");
// the account comes from the domain or environment row. The private key is read from the form and never sent back.

/** What an HTTPS form shows after an action: a message, and field messages for an upload. */
export type HttpsActionState = {
  ok?: boolean;
  message?: string;
  fieldErrors?: { public_certificates?: string; private_key?: string };
  /** The refused upload's certificate chain (public), shown again in its field; the key is never sent back. */
  chain?: string;
  at?: number;
};

const uploadSchema = z.object({
  domainId: z.string().default(""),
  // No length limit here: a schema failure shows "the form was not understood"; checkOwnCertificate refuses a field
  // over MAX_PEM_BYTES with a message on that field (docs/https.md "Own certificates").
  public_certificates: z.string().default(""),
  private_key: z.string().default(""),
});
const domainSchema = z.object({ domainId: z.string().default("") });
const redirectSchema = z.object({ environmentId: z.string().default(""), on: z.enum(["true", "false"]).default("false") });

const uploadDomain = domainResource((input: z.output<typeof uploadSchema>) => input.domainId);
const plainDomain = domainResource((input: z.output<typeof domainSchema>) => input.domainId);
const redirectEnvironment = environmentResource((input: z.output<typeof redirectSchema>) => input.environmentId);

const refused = (r: Refusal): HttpsActionState => ({ message: r.message, at: Date.now() });

const httpsDomain = (domain: { id: number; accountId: number; environmentId: number; hostname: string; hostnameUnicode: string }) => ({
  id: domain.id,
  accountId: domain.accountId,
  environmentId: domain.environmentId,
  hostname: domain.hostname,
  hostnameUnicode: domain.hostnameUnicode,
});

/** Uploads a domain's own certificate (PEM chain + key); each refusal is a field message. */
export const uploadCertificateAction = accountAction({
  name: "upload certificate",
  schema: uploadSchema,
  resource: uploadDomain,
  permission: "https.manage",
  what: "manage certificates",
  fail: refused,
  run: async ({ input, actor, resource: { domain, application } }): Promise<HttpsActionState> => {
    const result = await uploadOwnCertificate({
      domain: httpsDomain(domain),
      actor,
      chainText: input.public_certificates,
      keyText: input.private_key,
    });
    if (!result.ok) {
      const fieldErrors: HttpsActionState["fieldErrors"] = {};
      for (const e of result.errors) fieldErrors[e.field] = fieldErrors[e.field] ? `${fieldErrors[e.field]} ${e.message}` : e.message;
      // The chain goes back into its field, unless it is over the limit (then the field starts empty again).
      const chain = Buffer.byteLength(input.public_certificates) <= MAX_PEM_BYTES ? input.public_certificates : "";
      return { fieldErrors, chain, at: Date.now() };
    }
    revalidatePath(`/account/${application.accountId}/application/${application.id}`, "layout");
    return {
      ok: true,
      message: `Own certificate stored: issued by ${result.facts.issuer}, valid until ${result.facts.notAfter.toISOString().slice(0, 10)}.`,
      at: Date.now(),
    };
  },
});

/** Removes a domain's own certificate: automatic certificates again. */
export const removeCertificateAction = accountAction({
  name: "remove certificate",
  schema: domainSchema,
  resource: plainDomain,
  permission: "https.manage",
  what: "manage certificates",
  fail: refused,
  run: async ({ actor, resource: { domain, application } }): Promise<HttpsActionState> => {
    const changed = await returnToAcme({ domain: httpsDomain(domain), actor });
    kickCertificateScheduler();
    revalidatePath(`/account/${application.accountId}/application/${application.id}`, "layout");
    return {
      ok: changed,
      message: changed ? "Own certificate removed: the console obtains one automatically." : "This domain has no own certificate.",
      at: Date.now(),
    };
  },
});

/** "Renew now": orders a new certificate in the next sweep (rate-limited). */
export const renewCertificateAction = accountAction({
  name: "renew certificate",
  schema: domainSchema,
  resource: plainDomain,
  permission: "https.manage",
  what: "renew certificates",
  fail: refused,
  run: async ({ actor, resource: { domain, application } }): Promise<HttpsActionState> => {
    const result = await requestRenewal({ domain: httpsDomain(domain), actor });
    if (!result.ok) return { message: result.refusal.message, at: Date.now() };
    kickCertificateScheduler();
    revalidatePath(`/account/${application.accountId}/application/${application.id}`, "layout");
    return { ok: true, message: "Renewal queued: the status below follows it.", at: Date.now() };
  },
});

/** Switches an environment's "Redirect HTTP to HTTPS" (stored, audited). */
export const setRedirectHttpsAction = accountAction({
  name: "redirect http to https",
  schema: redirectSchema,
  resource: redirectEnvironment,
  permission: "https.manage",
  what: "change the HTTPS redirect",
  fail: refused,
  run: async ({ input, actor, resource: { environment, application } }): Promise<HttpsActionState> => {
    const on = input.on === "true";
    await setRedirectHttps({ environment: { id: environment.id, accountId: environment.accountId, name: environment.name }, actor, on });
    revalidatePath(`/account/${application.accountId}/application/${application.id}`, "layout");
    return {
      ok: true,
      message: on
        ? "HTTP requests are redirected to HTTPS (308) for hostnames with a certificate."
        : "HTTP requests are served over HTTP again.",
      at: Date.now(),
    };
  },
});
