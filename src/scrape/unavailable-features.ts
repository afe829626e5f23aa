import { AppError } from "../errors.ts";
import {
  asksModel,
  UNIMPLEMENTED_LLM_FORMATS,
  UNSUPPORTED_FORMATS,
  type ScrapeRequest,
} from "./scrape-request.ts";

/**
 * Refuses, clearly, what this server cannot do rather than quietly doing less: what Skiff never
 * does is a 400 whatever the setup; a model format on a server without a model is a 503.
 */
export function refuseUnavailable(request: ScrapeRequest, hasLlm: boolean): void {
  const option = request.onlyCleanContent
    ? "onlyCleanContent"
    : request.redactPII
      ? "redactPII"
      : undefined;
  if (option) {
    throw new AppError("FORMAT_NOT_SUPPORTED", `The '${option}' option is not supported by Skiff.`);
  }
  for (const { type } of request.formats) {
    if (UNIMPLEMENTED_LLM_FORMATS.has(type)) {
      throw new AppError(
        "FORMAT_NOT_SUPPORTED",
        `The '${type}' format is not supported by Skiff; the 'json' format extracts with the same schema.`,
      );
    }
    if (UNSUPPORTED_FORMATS.has(type)) {
      throw new AppError(
        "FORMAT_NOT_SUPPORTED",
        `The '${type}' format is only available on Firecrawl's cloud; Skiff does not support it.`,
      );
    }
  }
  if (!hasLlm && asksModel(request)) {
    throw new AppError("LLM_NOT_CONFIGURED");
  }
}
