import { randomUUID } from "node:crypto";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { ZodError } from "zod";
import { AppError, ERRORS, type ErrorKind } from "../errors.ts";
import { errorMessageForZod } from "../scrape/scrape-request.ts";
import { isStoreUnreachable } from "../store/pg-db.ts";

/** Firecrawl's error envelope. `code` is left out where Firecrawl sends none. */
export interface ErrorEnvelope {
  success: false;
  code?: string;
  error: string;
  details?: unknown;
}

/** Fastify's own errors that are the client's fault, mapped to Skiff's kinds. */
const FASTIFY_ERRORS: Record<string, ErrorKind> = {
  FST_ERR_CTP_BODY_TOO_LARGE: "BODY_TOO_LARGE",
  FST_ERR_CTP_INVALID_JSON_BODY: "INVALID_JSON",
  FST_ERR_CTP_EMPTY_JSON_BODY: "INVALID_JSON",
};

export function envelope(status: number, body: ErrorEnvelope, reply: FastifyReply): FastifyReply {
  return reply.code(status).type("application/json; charset=utf-8").send(body);
}

function fromAppError(e: AppError): ErrorEnvelope {
  return {
    success: false,
    ...(e.code !== undefined && { code: e.code }),
    error: e.message,
    ...(e.details !== undefined && { details: e.details }),
  };
}

function fromKind(kind: ErrorKind): ErrorEnvelope {
  return fromAppError(new AppError(kind));
}

/** The client sent something Fastify could not read (bad JSON, too large, bad content type). */
function clientError(error: FastifyError): { status: number; body: ErrorEnvelope } | undefined {
  const kind = error.code ? FASTIFY_ERRORS[error.code] : undefined;
  if (kind) return { status: ERRORS[kind].status, body: fromKind(kind) };
  if (error instanceof SyntaxError && error.statusCode === 400) {
    return { status: 400, body: fromKind("INVALID_JSON") };
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    return { status, body: { success: false, code: "BAD_REQUEST", error: error.message } };
  }
  return undefined;
}

function handleError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (isStoreUnreachable(error)) {
    // Postgres is down or restarting: nothing the client did, and worth trying again.
    request.log.error({ err: error }, "the store cannot be reached");
    void reply.header("retry-after", "5");
    return envelope(503, fromKind("STORE_UNAVAILABLE"), reply);
  }
  if (error instanceof ZodError) {
    const body = { success: false as const, code: "BAD_REQUEST", error: errorMessageForZod(error) };
    return envelope(400, { ...body, details: error.issues }, reply);
  }
  if (error instanceof AppError) {
    if (error.status >= 500) request.log.error({ err: error.cause ?? error }, error.message);
    return envelope(error.status, fromAppError(error), reply);
  }
  const known = clientError(error);
  if (known) return envelope(known.status, known.body, reply);
  const errorId = randomUUID();
  request.log.error({ err: error, errorId }, "unexpected error");
  const message = `${ERRORS.UNKNOWN_ERROR.message} Error ID: ${errorId}`;
  return envelope(500, { success: false, code: "UNKNOWN_ERROR", error: message }, reply);
}

/** The one place errors become responses: every route throws, this answers. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => {
    const message = `Not found: ${request.method} ${request.url.split("?")[0] ?? ""}`;
    return envelope(404, { success: false, code: "NOT_FOUND", error: message }, reply);
  });
}
