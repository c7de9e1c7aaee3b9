import { z } from "../zod";

// Path parameters, as Section's API names them. Malformed values never reach a handler: the router answers 404.

const idParam = (description: string) =>
  z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).openapi({ type: "integer", format: "int64", description });

export const accountParams = z.object({ accountId: idParam("The account identifier number") });
export const applicationParams = accountParams.extend({ applicationId: idParam("The application identifier number") });
export const environmentParams = applicationParams.extend({
  environmentName: z
    .string()
    .max(40)
    .openapi({ description: "The name of the environment (compared ignoring case)", example: "Production" }),
});
export const hostParam = {
  hostName: z
    .string()
    .max(300)
    .openapi({ description: "Host Name (any form: Unicode, upper case, trailing dot)", example: "www.example.com" }),
};
export const accountDomainParams = accountParams.extend(hostParam);
export const environmentDomainParams = environmentParams.extend(hostParam);
export const userParams = accountParams.extend({ userId: idParam("The user identifier number") });
