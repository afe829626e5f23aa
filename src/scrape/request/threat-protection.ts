import { z } from "zod";

const LABEL = "[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
/** A plain domain or one leading wildcard label: no scheme, path, port or inner `*`. */
const DOMAIN_GLOB = new RegExp(`^(\\*\\.)?(?:${LABEL}\\.)+${LABEL}$`);

const domainGlob = z
  .string()
  .trim()
  .toLowerCase()
  .refine((value) => value.length <= 253 && DOMAIN_GLOB.test(value), {
    error: (issue) =>
      `Invalid domain entry ${JSON.stringify(issue.input)}: must be a plain domain like "example.com" or a wildcard glob like "*.example.com" (no protocol, path, or port)`,
  });

const tld = z
  .string()
  .trim()
  .toLowerCase()
  .refine((value) => /^[a-z0-9]{1,63}$/.test(value), {
    error: (issue) =>
      `Invalid TLD ${JSON.stringify(issue.input)}: must be a lowercase alphanumeric TLD without the leading dot, e.g. "zip"`,
  });

/** Per-request override of the team's threat-protection policy (an enterprise feature upstream). */
export const threatProtectionSchema = z.strictObject({
  mode: z.enum(["off", "normal", "zscaler"]).optional(),
  riskScoreThreshold: z.int().min(0).max(100).optional(),
  blacklist: z.array(domainGlob).max(1000).optional(),
  whitelist: z.array(domainGlob).max(1000).optional(),
  blockedTlds: z.array(tld).max(1000).optional(),
  failurePolicy: z.enum(["open", "closed"]).optional(),
});
