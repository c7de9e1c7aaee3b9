import { extendZodWithOpenApi } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";

// zod with `.openapi(…)` (@asteasolutions/zod-to-openapi): the API's schemas are named components of the OpenAPI
// document. Import `z` from here in lib/api so the extension is always installed first.
extendZodWithOpenApi(z);

export { z };
