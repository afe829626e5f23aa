import { v7 as uuidv7 } from "uuid";
import { AppError } from "../errors.ts";
import type { ApiKeyRow, Store, TeamBalance, TeamRow } from "../store/store.ts";
import { issueApiKey } from "./api-keys.ts";

/** A key as it is shown, once: its id, and the key itself (the store keeps only its hash). */
export interface IssuedKey {
  id: string;
  apiKey: string;
}

export interface TeamSummary extends TeamRow {
  credits: TeamBalance;
}

/** A key as it is listed: never its hash, only the first characters of the key. */
export type KeySummary = Omit<ApiKeyRow, "hash" | "teamId">;

/** What the admin API does with teams, their keys and their credits. */
export class Teams {
  #store: Store;
  #now: () => number;

  constructor(store: Store, now: () => number = Date.now) {
    this.#store = store;
    this.#now = now;
  }

  /** A new team with `credits` granted and a first key; `id` is the team's. */
  async createTeam(name: string, credits: number): Promise<IssuedKey> {
    const team = { id: uuidv7(), name, createdAt: this.#now() };
    await this.#store.createTeam(team);
    if (credits > 0) await this.#grant(team.id, credits);
    const key = await this.#issue(team.id);
    return { id: team.id, apiKey: key.apiKey };
  }

  async listTeams(): Promise<TeamSummary[]> {
    const teams = await this.#store.listTeams();
    return teams.map(({ granted, remaining, ...team }) => ({
      ...team,
      credits: { granted, remaining },
    }));
  }

  /** Grants more credits; answers the team's balance after the grant. */
  async addCredits(teamId: string, credits: number): Promise<TeamBalance> {
    await this.#requireTeam(teamId);
    await this.#grant(teamId, credits);
    return this.#store.teamBalance(teamId);
  }

  async createKey(teamId: string): Promise<IssuedKey> {
    await this.#requireTeam(teamId);
    return this.#issue(teamId);
  }

  async listKeys(teamId: string): Promise<KeySummary[]> {
    await this.#requireTeam(teamId);
    const keys = await this.#store.listApiKeys(teamId);
    return keys.map(({ id, prefix, createdAt, revokedAt }) => ({
      id,
      prefix,
      createdAt,
      revokedAt,
    }));
  }

  /** Revokes at once: the next request with the key is refused. */
  async revokeKey(keyId: string): Promise<void> {
    if (!(await this.#store.revokeApiKey(keyId, this.#now()))) throw new AppError("KEY_NOT_FOUND");
  }

  async #issue(teamId: string): Promise<IssuedKey> {
    const { row, apiKey } = issueApiKey(teamId, this.#now());
    await this.#store.insertApiKey(row);
    return { id: row.id, apiKey };
  }

  async #grant(teamId: string, credits: number): Promise<void> {
    const ref = `grant:${uuidv7()}`;
    await this.#store.appendLedger({
      teamId,
      delta: credits,
      reason: "grant",
      ref,
      createdAt: this.#now(),
    });
  }

  async #requireTeam(teamId: string): Promise<void> {
    if (!(await this.#store.getTeam(teamId))) throw new AppError("TEAM_NOT_FOUND");
  }
}
