import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Authenticator, Caller } from "../auth/authenticator.ts";
import type { TeamRateLimiter } from "../auth/rate-limiter.ts";
import { AppError } from "../errors.ts";

declare module "fastify" {
  interface FastifyRequest {
    caller?: Caller;
  }
}

/** Live views and CDP connections carry their own unguessable token instead of an API key. */
const TOKEN_ROUTES = ["/v2/live/", "/v2/cdp/"];

/**
 * Every `/v2` request is authenticated (401) and counted against its team's rate limit (429,
 * with Retry-After) before its route runs; routes read the result with `callerOf`.
 */
export function registerCaller(
  app: FastifyInstance,
  deps: { auth: Authenticator; rateLimiter: TeamRateLimiter | undefined },
): void {
  app.addHook("onRequest", async (request, reply) => {
    if (!request.url.startsWith("/v2/")) return;
    if (TOKEN_ROUTES.some((prefix) => request.url.startsWith(prefix))) return;
    request.caller = await deps.auth.authenticate(request.headers.authorization);
    await limitRate(request.caller, reply, deps.rateLimiter);
  });
}

async function limitRate(
  caller: Caller,
  reply: FastifyReply,
  limiter: TeamRateLimiter | undefined,
): Promise<void> {
  const refused = await limiter?.take(caller.teamId);
  if (!refused) return;
  void reply.header("retry-after", String(refused.retryAfterSeconds));
  throw new AppError("RATE_LIMITED", refused.message);
}

/** The caller the hook authenticated; a route outside `/v2` has none. */
export function callerOf(request: FastifyRequest): Caller {
  if (!request.caller) throw new AppError("TOKEN_MISSING");
  return request.caller;
}
