import { accountOperations } from "./accounts";
import { applicationOperations } from "./applications";
import { configurationOperations } from "./configuration";
import { domainOperations } from "./domains";
import { environmentOperations } from "./environments";
import { httpsOperations } from "./https";
import { memberOperations } from "./members";
import { purgeOperations } from "./purge";
import { trafficOperations } from "@/lib/traffic/api";
import type { Operation } from "../operation";
import { openapiOperation } from "./openapi";

/** Every operation of REST API v1 (docs/product.md §3.6): the router serves them and the OpenAPI document describes them. */
export const operations: Operation[] = [
  ...accountOperations,
  ...memberOperations,
  ...applicationOperations,
  ...environmentOperations,
  ...domainOperations,
  ...httpsOperations,
  ...purgeOperations,
  ...trafficOperations,
  ...configurationOperations,
  openapiOperation,
];
