import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { AppError } from "../../errors.ts";
import { callerOf } from "../caller.ts";
import type { ProfileVault } from "../../profiles/profile-vault.ts";

export interface ProfileRouteDeps {
  profiles: ProfileVault;
}

const nameSchema = z.string().min(1).max(128);

/** Skiff's own additions: a team's profiles (names, sizes, update times), and deleting one. */
export function registerProfileRoutes(app: FastifyInstance, deps: ProfileRouteDeps): void {
  app.get("/v2/profiles", async (request) => {
    const caller = callerOf(request);
    const profiles = await deps.profiles.list(caller.teamId);
    return {
      success: true,
      profiles: profiles.map((p) => ({ ...p, updatedAt: new Date(p.updatedAt).toISOString() })),
    };
  });

  app.delete<{ Params: { name: string } }>("/v2/profiles/:name", async (request) => {
    const caller = callerOf(request);
    const name = nameSchema.parse(request.params.name);
    if (!(await deps.profiles.delete(caller.teamId, name))) {
      throw new AppError("PROFILE_NOT_FOUND");
    }
    return { success: true };
  });
}
