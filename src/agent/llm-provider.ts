import { createAnthropic } from "@ai-sdk/anthropic";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import type { LanguageModel } from "ai";
import { createOllama } from "ollama-ai-provider-v2";
import type { Config } from "../config.ts";
import type { Logger } from "../log.ts";

/** The model Skiff's LLM calls use, and where it came from (for the logs). */
export interface LlmModel {
  model: LanguageModel;
  provider: "openai-compatible" | "anthropic" | "ollama";
  modelName: string;
}

type LlmSettings = Pick<
  Config,
  "OPENAI_BASE_URL" | "OPENAI_API_KEY" | "MODEL_NAME" | "ANTHROPIC_API_KEY" | "OLLAMA_BASE_URL"
>;

const DEFAULT_MODELS = {
  "openai-compatible": "gpt-4o-mini",
  anthropic: "claude-sonnet-4-5",
  ollama: "llama3.1",
} as const;

/**
 * The configured model, or undefined when none is: an OpenAI-compatible endpoint first, then
 * Anthropic, then Ollama. The keys stay in this process; nothing passes them to a sandbox.
 */
export function createLlmModel(config: LlmSettings, logger: Logger): LlmModel | undefined {
  routeWarningsTo(logger);
  if (config.OPENAI_BASE_URL || config.OPENAI_API_KEY) {
    const modelName = config.MODEL_NAME ?? DEFAULT_MODELS["openai-compatible"];
    const provider = createOpenAICompatible({
      name: "openai-compatible",
      baseURL: config.OPENAI_BASE_URL ?? "https://api.openai.com/v1",
      ...(config.OPENAI_API_KEY !== undefined && { apiKey: config.OPENAI_API_KEY }),
      includeUsage: true,
      supportsStructuredOutputs: true,
    });
    return { model: provider.chatModel(modelName), provider: "openai-compatible", modelName };
  }
  if (config.ANTHROPIC_API_KEY) {
    const modelName = config.MODEL_NAME ?? DEFAULT_MODELS.anthropic;
    const provider = createAnthropic({ apiKey: config.ANTHROPIC_API_KEY });
    return { model: provider(modelName), provider: "anthropic", modelName };
  }
  if (config.OLLAMA_BASE_URL) {
    const modelName = config.MODEL_NAME ?? DEFAULT_MODELS.ollama;
    const provider = createOllama({ baseURL: config.OLLAMA_BASE_URL });
    return { model: provider(modelName), provider: "ollama", modelName };
  }
  return undefined;
}

/** The AI SDK prints its warnings with console.warn unless given a function; they belong in the log. */
function routeWarningsTo(logger: Logger): void {
  globalThis.AI_SDK_LOG_WARNINGS = (options) =>
    logger.warn({ warnings: options.warnings, model: options.model }, "LLM provider warning");
}
