"use server";

import { revalidatePath } from "next/cache";
import { z } from "zod";
import { accountAction, type Refusal } from "@/lib/actions";
import { environmentResource } from "@/lib/actions/resources";
import { setErrorAlert } from "@/lib/traffic/scheduler";

// The traffic page's action (docs/traffic.md "Alerts"): an owner or admin ("alerts.receive", the roles the mail goes
// to) sets or switches off the environment's 5xx alert. The account comes from the environment row.

/** What the alert form shows after the action. */
export type AlertActionState = { ok?: boolean; message?: string; at?: number };

const alertSchema = z.object({ environmentId: z.string().default(""), threshold: z.string().max(8).default("") });

const alertEnvironment = environmentResource((input: z.output<typeof alertSchema>) => input.environmentId);

/** Sets the 5xx alert threshold (a whole percent 1–100), or switches it off (empty). */
export const setErrorAlertAction = accountAction({
  name: "traffic alert",
  schema: alertSchema,
  resource: alertEnvironment,
  permission: "alerts.receive",
  what: "change the traffic alert",
  fail: (r: Refusal): AlertActionState => ({ message: r.message, at: Date.now() }),
  run: async ({ input, actor, resource: { environment, application } }): Promise<AlertActionState> => {
    const raw = input.threshold.trim();
    const threshold = raw === "" ? null : /^[0-9]{1,3}$/.test(raw) ? Number(raw) : NaN;
    if (threshold !== null && !(threshold >= 1 && threshold <= 100)) {
      return { message: "The threshold is a whole percent from 1 to 100 (empty switches the alert off).", at: Date.now() };
    }
    await setErrorAlert({ id: environment.id, accountId: environment.accountId, name: environment.name }, threshold, actor);
    revalidatePath(`/account/${application.accountId}/application/${application.id}`, "layout");
    return {
      ok: true,
      message:
        threshold === null
          ? "The 5xx alert is off."
          : `Owners and admins get a mail when 5xx answers reach ${threshold} % of requests over 5 minutes.`,
      at: Date.now(),
    };
  },
});
