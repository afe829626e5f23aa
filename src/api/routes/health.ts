import type { FastifyInstance } from "fastify";

export interface Readiness {
  readonly ready: boolean;
}

export function registerHealthRoutes(app: FastifyInstance, readiness: Readiness): void {
  app.get("/", () => ({ message: "Skiff API", documentation_url: "https://docs.firecrawl.dev" }));
  app.get("/e2e-test", (_request, reply) => reply.type("text/plain").send("OK"));
  app.get("/v0/health/liveness", () => ({ status: "ok" }));
  app.get("/v0/health/readiness", (_request, reply) =>
    readiness.ready ? { status: "ok" } : reply.code(503).send({ status: "starting" }),
  );
}
