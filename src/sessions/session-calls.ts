import type { BrowserAgent } from "../agent/browser-agent.ts";
import { AppError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { prepareNodeCode } from "../runtimes/last-expression.ts";
import { syntaxErrorResult } from "../runtimes/node-runtime.ts";
import { ChannelError } from "../sandbox/host-channel.ts";
import type { SessionHostHandle } from "../sandbox/host-launcher.ts";
import type { ExecResult } from "../sandbox/session-host-protocol.ts";
import type { SessionEndReason } from "../store/store.ts";
import type { ActivityFlusher } from "./activity-flusher.ts";
import type { LiveSession } from "./live-session.ts";
import {
  ENDED_DURING_CALL,
  failedCall,
  interactReply,
  type InteractReply,
} from "./session-replies.ts";
import type { SessionProfiles } from "./session-profiles.ts";

export interface SessionCallsDeps {
  activity: ActivityFlusher;
  profiles: SessionProfiles;
  /** The prompt path; absent when no LLM provider is configured (prompts answer 503). */
  agent: BrowserAgent | undefined;
  promptDeadlineSeconds: number;
  logger: Logger;
  /** Ends a session whose host failed under a call. */
  end(session: LiveSession, reason: SessionEndReason): Promise<unknown>;
}

/**
 * The calls a live session runs, one at a time: code in a runtime, or a prompt for the agent.
 * Each counts as activity and saves the profile's state after; a host that fails under a call
 * ends the session, while a failure the host reports leaves it running.
 */
export class SessionCalls {
  readonly #deps: SessionCallsDeps;

  constructor(deps: SessionCallsDeps) {
    this.#deps = deps;
  }

  /** Code in one of the session's runtimes. */
  code(
    session: LiveSession,
    language: string,
    code: string,
    timeoutSeconds: number,
  ): Promise<InteractReply> {
    const timeoutMs = Math.round(timeoutSeconds * 1000);
    return this.#run(session, false, async (host) => {
      const prepared = language === "node" ? prepareNodeCode(code) : { body: code };
      if ("syntaxError" in prepared) return syntaxErrorResult(prepared.syntaxError);
      return this.#guard(session, host, () =>
        host.exec({ language, code: prepared.body, timeoutMs }),
      );
    });
  }

  /** The agent, or 503 when no model is configured (checked before a session is made). */
  agentOrRefuse(): BrowserAgent {
    if (!this.#deps.agent) throw new AppError("LLM_NOT_CONFIGURED");
    return this.#deps.agent;
  }

  /**
   * A prompt (spec §2.6): the agent's commands run one by one in the session, which is billed
   * at the prompt rate from now on. The agent stops when the session ends under it.
   */
  prompt(session: LiveSession, task: string, timeoutSeconds: number): Promise<InteractReply> {
    return this.#run(session, true, (host) => {
      const ended = new AbortController();
      return this.agentOrRefuse().run({
        task,
        stepTimeoutMs: Math.round(timeoutSeconds * 1000),
        deadlineMs: this.#deps.promptDeadlineSeconds * 1000,
        signal: ended.signal,
        logger: this.#deps.logger.child({ sessionId: session.row.id }),
        run: async (args, timeoutMs) => {
          const outcome = await this.#guard(session, host, () =>
            host.browserCommand({ args, timeoutMs }),
          );
          if (session.endReason) ended.abort(outcome.stderr);
          return outcome;
        },
      });
    });
  }

  /** One call, after the ones before it: it counts as activity, then the profile's state is kept. */
  #run(
    session: LiveSession,
    usedPrompt: boolean,
    work: (host: SessionHostHandle) => Promise<ExecResult & { output?: string }>,
  ): Promise<InteractReply> {
    return session.run(async (host) => {
      const now = Date.now();
      const firstPrompt = usedPrompt && !session.row.usedPrompt;
      session.row.lastActivityAt = now;
      if (usedPrompt) session.row.usedPrompt = true;
      await this.#deps.activity.touch(session.row.id, now, firstPrompt);
      const result = await work(host);
      session.lastState =
        (await this.#deps.profiles.snapshot(session.profile, host)) ?? session.lastState;
      const reply = interactReply(session.row.id, result);
      return result.output === undefined ? reply : { ...reply, output: result.output };
    });
  }

  /** A host failure ends the session; a failure the host reports leaves it running. */
  async #guard(
    session: LiveSession,
    host: SessionHostHandle,
    call: () => Promise<ExecResult>,
  ): Promise<ExecResult> {
    try {
      return await call();
    } catch (err) {
      if (err instanceof ChannelError && err.code === "REMOTE") return failedCall(err.message);
      if (err instanceof ChannelError && err.code === "TIMEOUT") host.kill();
      const reason = session.endReason ?? "crashed";
      this.#deps.logger.warn(
        { err, sessionId: session.row.id, reason },
        "interact call lost its host",
      );
      await this.#deps.end(session, reason);
      return failedCall(ENDED_DURING_CALL[reason], reason !== "crashed");
    }
  }
}
