import { z } from "zod";

const redactPIIOptions = z.strictObject({
  mode: z.enum(["accurate", "aggressive", "fast"]).default("accurate"),
  entities: z
    .array(z.enum(["PERSON", "EMAIL", "PHONE", "LOCATION", "FINANCIAL", "SECRET"]))
    .optional(),
  replaceStyle: z.enum(["tag", "mask", "remove"]).default("tag"),
});

export type RedactPIIOptions = z.output<typeof redactPIIOptions>;

/** `true` becomes the default options and `false` becomes absent, so callers test truthiness only. */
export const redactPIISchema = z
  .union([z.boolean(), redactPIIOptions])
  .optional()
  .transform((value): RedactPIIOptions | undefined => {
    if (value === true) return redactPIIOptions.parse({});
    return value === false ? undefined : value;
  });
