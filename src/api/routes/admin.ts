import { createHash, timingSafeEqual } from "node:crypto";
import type { FastifyInstance, onRequestHookHandler } from "fastify";
import { z } from "zod";
import type { Teams } from "../../auth/teams.ts";
import type { Config } from "../../config.ts";
import { AppError } from "../../errors.ts";

export interface AdminRouteDeps {
  config: Config;
  teams: Teams;
}

const createTeamBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  credits: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
});
const addCreditsBody = z.strictObject({
  credits: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
});
const idParam = z.string().min(1).max(128);

type TeamParams = { Params: { id: string } };

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest();
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/**
 * Refuses a request without `Bearer <ADMIN_API_KEY>`. Digests have one length, so the comparison
 * takes the same time whatever was sent, and learns nothing about the key's length.
 */
function adminGuard(adminKey: string): onRequestHookHandler {
  const expected = sha256(`Bearer ${adminKey}`);
  return (request, _reply, done) => {
    const sent = sha256(request.headers.authorization ?? "");
    done(timingSafeEqual(sent, expected) ? undefined : new AppError("ADMIN_UNAUTHORIZED"));
  };
}

/**
 * Skiff's own admin API under /admin/v1: teams, their API keys and credits. It exists only when
 * ADMIN_API_KEY is set; otherwise its paths answer the app's 404 like any unknown route.
 */
export async function registerAdminRoutes(
  app: FastifyInstance,
  deps: AdminRouteDeps,
): Promise<void> {
  const adminKey = deps.config.ADMIN_API_KEY;
  if (adminKey === undefined) return;
  await app.register(
    (admin, _options, done) => {
      admin.addHook("onRequest", adminGuard(adminKey));
      teamRoutes(admin, deps.teams);
      keyRoutes(admin, deps.teams);
      done();
    },
    { prefix: "/admin/v1" },
  );
}

function teamRoutes(admin: FastifyInstance, teams: Teams): void {
  admin.post("/teams", async (request) => {
    const body = createTeamBody.parse(request.body);
    const created = await teams.createTeam(body.name, body.credits);
    request.log.info({ teamId: created.id, credits: body.credits }, "team created");
    return { success: true, ...created };
  });

  admin.get("/teams", async () => {
    const list = await teams.listTeams();
    return {
      success: true,
      teams: list.map((t) => ({ ...t, createdAt: iso(t.createdAt) })),
    };
  });

  admin.post<TeamParams>("/teams/:id/credits", async (request) => {
    const teamId = idParam.parse(request.params.id);
    const { credits } = addCreditsBody.parse(request.body);
    const balance = await teams.addCredits(teamId, credits);
    request.log.info({ teamId, credits }, "credits granted");
    return { success: true, remainingCredits: balance.remaining };
  });
}

function keyRoutes(admin: FastifyInstance, teams: Teams): void {
  admin.post<TeamParams>("/teams/:id/keys", async (request) => {
    const teamId = idParam.parse(request.params.id);
    const created = await teams.createKey(teamId);
    request.log.info({ teamId, keyId: created.id }, "API key created");
    return { success: true, ...created };
  });

  admin.get<TeamParams>("/teams/:id/keys", async (request) => {
    const keys = await teams.listKeys(idParam.parse(request.params.id));
    return {
      success: true,
      keys: keys.map((k) => ({ ...k, createdAt: iso(k.createdAt), revokedAt: iso(k.revokedAt) })),
    };
  });

  admin.delete<{ Params: { keyId: string } }>("/keys/:keyId", async (request) => {
    const keyId = idParam.parse(request.params.keyId);
    await teams.revokeKey(keyId);
    request.log.info({ keyId }, "API key revoked");
    return { success: true };
  });
}
