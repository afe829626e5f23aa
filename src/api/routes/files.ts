import type { FastifyInstance } from "fastify";
import { AppError } from "../../errors.ts";
import type { FileStore } from "../../files/file-store.ts";

/** Screenshots and PDFs, public to whoever holds the unguessable name, until they expire. */
export function registerFileRoutes(app: FastifyInstance, files: FileStore): void {
  app.get<{ Params: { name: string } }>("/files/:name", async (request, reply) => {
    const file = /^[\w-]{16,}\.\w{2,4}$/.test(request.params.name)
      ? await files.read(request.params.name)
      : undefined;
    if (!file) throw new AppError("FILE_NOT_FOUND");
    return reply
      .type(file.contentType)
      .header("cache-control", "private, max-age=3600")
      .send(file.bytes);
  });
}
