import { isStepCount, streamText, tool, type LanguageModelUsage, type ModelMessage } from "ai";
import { z } from "zod";
import type { Logger } from "../log.ts";
import { parseBrowserCommand } from "./command-line.ts";
import type { LlmModel } from "./llm-provider.ts";
import { modelFailureForLog, modelFailureReason } from "./model-error.ts";
import { AGENT_SYSTEM_PROMPT, firstMessage } from "./agent-prompt.ts";

/** What one agent-browser command gave back, as the session ran it. */
export interface CommandOutcome {
  stdout: string;
  stderr: string;
  exitCode: number;
  killed: boolean;
}

/** One prompt call: the task and how to reach the session's browser. */
export interface AgentCall {
  task: string;
  /** Runs one agent-browser command (its words, no shell) in the session. */
  run(args: string[], timeoutMs: number): Promise<CommandOutcome>;
  /** The request's `timeout`: bounds each step (model answer plus command). */
  stepTimeoutMs: number;
  /** Bounds the whole call. */
  deadlineMs: number;
  /** Aborts when the session ends under the call. */
  signal: AbortSignal;
  logger: Logger;
}

/** Spec §2.6's reply fields; `output` is the agent's final text. */
export interface AgentResult {
  output?: string;
  stdout: string;
  result: string;
  stderr: string;
  exitCode: number;
  killed: boolean;
  error?: string;
}

export const MAX_STEPS = 25;
/** Firecrawl's cap on the snapshot in the first message. */
const SNAPSHOT_CAP = 40_000;
const TOOL_OUTPUT_CAP = 20_000;

/**
 * The prompt path: an LLM reads the page and acts through one tool, `browser`, which runs one
 * agent-browser command in the session. The model has no other power: no shell, no other tool.
 */
export class BrowserAgent {
  readonly #llm: LlmModel;

  constructor(llm: LlmModel) {
    this.#llm = llm;
  }

  async run(call: AgentCall): Promise<AgentResult> {
    const started = Date.now();
    const url = await call.run(["get", "url"], call.stepTimeoutMs);
    const snapshot = await call.run(["snapshot", "-i"], call.stepTimeoutMs);
    if (snapshot.exitCode !== 0)
      return failure(snapshot.stderr || "The page could not be read.", snapshot.killed);
    // The tool results in order: they become `stdout`; their number goes to the log.
    const outputs: string[] = [];
    const outcome = await this.#loop(call, outputs, [
      {
        role: "user",
        content: firstMessage(call.task, url.stdout.trim(), cap(snapshot.stdout, SNAPSHOT_CAP)),
      },
    ]);
    const last = call.signal.aborted
      ? undefined
      : await call.run(["snapshot", "-i"], call.stepTimeoutMs);
    call.logger.info(
      {
        model: this.#llm.modelName,
        steps: outcome.steps,
        commands: outputs.length,
        inputTokens: outcome.usage?.inputTokens,
        outputTokens: outcome.usage?.outputTokens,
        ms: Date.now() - started,
        ok: outcome.error === undefined,
      },
      "prompt call finished",
    );
    return resultOf(outcome, outputs, cap(last?.stdout ?? "", SNAPSHOT_CAP));
  }

  async #loop(call: AgentCall, outputs: string[], messages: ModelMessage[]): Promise<LoopOutcome> {
    let failed: unknown;
    const stream = streamText({
      model: this.#llm.model,
      system: AGENT_SYSTEM_PROMPT,
      messages,
      tools: { browser: this.#browserTool(call, outputs) },
      stopWhen: isStepCount(MAX_STEPS),
      temperature: 0,
      maxRetries: 1,
      abortSignal: call.signal,
      timeout: { totalMs: call.deadlineMs, stepMs: call.stepTimeoutMs },
      onError: ({ error }) => {
        failed ??= error;
      },
      onStepFinish: (step) =>
        call.logger.debug({ finishReason: step.finishReason, usage: step.usage }, "agent step"),
    });
    try {
      const text = await stream.text;
      const steps = (await stream.steps).length;
      const finishReason = await stream.finishReason;
      const usage = await stream.totalUsage;
      if (finishReason === "tool-calls") return { steps, usage, error: stepLimitMessage() };
      return { steps, usage, text };
    } catch (err) {
      return { steps: 0, usage: undefined, ...this.#describeFailure(failed ?? err, call) };
    }
  }

  #describeFailure(err: unknown, call: AgentCall): { error: string; killed?: boolean } {
    if (call.signal.aborted) return { error: String(call.signal.reason ?? "The session ended.") };
    if (isTimeout(err)) {
      return {
        error: "The prompt call ran out of time: a step or the whole call took too long.",
        killed: true,
      };
    }
    call.logger.warn({ error: modelFailureForLog(err) }, "prompt call: the model failed");
    return { error: modelFailureReason(err) };
  }

  #browserTool(call: AgentCall, outputs: string[]) {
    return tool({
      description:
        "Run one agent-browser command on the current page, e.g. `snapshot -i`, `click @e3`, " +
        '`fill @e5 "text"`, `press Enter`, `get text @e7`. One command per call; no shell syntax.',
      inputSchema: z.object({
        command: z
          .string()
          .describe("One agent-browser command line; the leading 'agent-browser' is optional."),
      }),
      execute: async ({ command }) => {
        const output = await this.#runCommand(call, command);
        outputs.push(output);
        return output;
      },
    });
  }

  async #runCommand(call: AgentCall, line: string): Promise<string> {
    const parsed = parseBrowserCommand(line);
    if (!parsed.ok) return `Refused: ${parsed.reason}`;
    let args = parsed.args;
    if (parsed.navigatesTo !== undefined) {
      const current = await call.run(["get", "url"], call.stepTimeoutMs);
      const target = sameSiteTarget(parsed.navigatesTo, current.stdout.trim());
      if ("refusal" in target) return `Refused: ${target.refusal}`;
      args = ["open", target.href];
    }
    const outcome = await call.run(args, call.stepTimeoutMs);
    return cap(describeOutcome(outcome, call.stepTimeoutMs), TOOL_OUTPUT_CAP);
  }
}

interface LoopOutcome {
  steps: number;
  usage: LanguageModelUsage | undefined;
  text?: string;
  error?: string;
  killed?: boolean;
}

function resultOf(outcome: LoopOutcome, outputs: string[], snapshot: string): AgentResult {
  const stdout = outputs.join("\n");
  if (outcome.error !== undefined) {
    return { ...failure(outcome.error, outcome.killed ?? false), stdout, result: snapshot };
  }
  const text = outcome.text ?? "";
  return {
    ...(text !== "" && { output: text }),
    stdout,
    result: snapshot,
    stderr: "",
    exitCode: 0,
    killed: false,
  };
}

function failure(message: string, killed: boolean): AgentResult {
  return {
    stdout: "",
    result: "",
    stderr: message,
    exitCode: killed ? 137 : 1,
    killed,
    error: message,
  };
}

function describeOutcome(outcome: CommandOutcome, timeoutMs: number): string {
  if (outcome.killed) return `The command was stopped after ${Math.round(timeoutMs / 1000)} s.`;
  if (outcome.exitCode === 0) return outcome.stdout.trim() || "Done.";
  const why = `${outcome.stdout}${outcome.stderr}`.trim();
  return `The command failed (exit code ${outcome.exitCode})${why ? `: ${why}` : "."}`;
}

/** `open` may only move within the page's own origin; a relative target is resolved against it. */
function sameSiteTarget(
  target: string,
  currentUrl: string,
): { href: string } | { refusal: string } {
  let to: URL;
  let from: URL;
  try {
    from = new URL(currentUrl);
    to = new URL(target, from);
  } catch {
    return { refusal: `'${target}' is not a URL on this site.` };
  }
  if (to.origin === from.origin) return { href: to.href };
  return { refusal: `'open' stays on ${from.origin}; ${to.origin} is another site.` };
}

function stepLimitMessage(): string {
  return `The agent did not finish the task within ${MAX_STEPS} steps.`;
}

function isTimeout(err: unknown): boolean {
  return err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError");
}

function cap(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit)}\n[… cut at ${limit} characters]`;
}
