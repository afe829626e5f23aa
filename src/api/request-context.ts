import type { FastifyReply, FastifyRequest } from "fastify";
import type { Config } from "../config.ts";

/** Base for URLs Skiff hands out: PUBLIC_URL, else the scheme and Host the client used. */
export function publicBaseUrl(config: Config, request: FastifyRequest): string {
  if (config.PUBLIC_URL) return config.PUBLIC_URL;
  return `${request.protocol}://${request.host}`;
}

/** Aborts when the client goes away before the reply is sent, so its work stops too. */
export function clientGoneSignal(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once("close", () => {
    if (!reply.raw.writableFinished) controller.abort(new Error("client disconnected"));
  });
  return controller.signal;
}
