import type { FastifyInstance } from "fastify";

export interface Readiness {
  /** Why the server takes no new work now; undefined when it does. */
  readonly notReady: "starting" | "draining" | "egress proxy down" | undefined;
}

export function registerHealthRoutes(app: FastifyInstance, readiness: Readiness): void {
  app.get("/", () => ({ message: "Skiff API", documentation_url: "https://docs.firecrawl.dev" }));
  app.get("/e2e-test", (_request, reply) => reply.type("text/plain").send("OK"));
  app.get("/v0/health/liveness", () => ({ status: "ok" }));
  app.get("/v0/health/readiness", (_request, reply) => {
    const why = readiness.notReady;
    return why === undefined ? { status: "ok" } : reply.code(503).send({ status: why });
  });
}
