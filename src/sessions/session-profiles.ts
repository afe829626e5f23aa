import { AppError } from "../errors.ts";
import type { Logger } from "../log.ts";
import type { ProfileVault, StorageState } from "../profiles/profile-vault.ts";
import type { SessionHostHandle } from "../sandbox/host-launcher.ts";
import type { ProfileUse } from "./replay-context.ts";

/** A session's profile: its name, and whether the session writes it back when it ends. */
export interface SessionProfile {
  name: string;
  writer: boolean;
}

/** Past a session's TTL, how long its writer lease lasts if nobody ends it (a server crash). */
const LEASE_SLACK_MS = 60_000;

/**
 * Profiles as sessions use them (spec §2.10): a writer takes the profile's one lease before its
 * session starts, every session starts from the saved state, and a writer's state is saved back
 * when its session ends, however it ends. The lease frees itself if the server dies.
 */
export class SessionProfiles {
  readonly #vault: ProfileVault;
  readonly #logger: Logger;

  constructor(vault: ProfileVault, logger: Logger) {
    this.#vault = vault;
    this.#logger = logger;
  }

  /** Takes the lease for a writer (409 while another holds it) and loads the saved state. */
  async open(
    teamId: string,
    use: ProfileUse | undefined,
    holder: string,
    ttlMs: number,
  ): Promise<{ profile: SessionProfile | undefined; storageState: unknown }> {
    if (!use) return { profile: undefined, storageState: undefined };
    const until = Date.now() + ttlMs + LEASE_SLACK_MS;
    if (use.saveChanges && !(await this.#vault.acquireWriter(teamId, use.name, holder, until))) {
      throw new AppError("PROFILE_LOCKED");
    }
    const profile = { name: use.name, writer: use.saveChanges };
    try {
      return { profile, storageState: await this.#vault.load(teamId, use.name) };
    } catch (err) {
      await this.release(teamId, profile, holder);
      throw err;
    }
  }

  /**
   * A writer's state is saved: from its host if the host still answers, else the snapshot taken
   * after its last call (a host that died mid-call loses that call's changes; so does one that
   * cannot read it, a tab stuck in its own JavaScript, say). The lease is freed.
   */
  async close(
    teamId: string,
    profile: SessionProfile | undefined,
    holder: string,
    host: SessionHostHandle,
    lastState: unknown,
  ): Promise<void> {
    if (!profile?.writer) return;
    const log = { profile: profile.name, sessionId: holder };
    try {
      const state = host.isAlive ? await this.#fromHost(host, lastState, log) : lastState;
      if (state) {
        await this.#vault.save(teamId, profile.name, state as StorageState);
        this.#logger.info(log, "profile saved");
      } else {
        this.#logger.warn(log, "profile not saved: its host is gone and no call finished");
      }
    } catch (err) {
      this.#logger.error({ ...log, err }, "profile not saved");
    } finally {
      await this.release(teamId, profile, holder);
    }
  }

  #fromHost(host: SessionHostHandle, lastState: unknown, log: object): Promise<unknown> {
    return host.storageState().catch((err: unknown) => {
      if (!lastState) throw err;
      this.#logger.warn({ ...log, err }, "profile state unreadable; saving the last call's");
      return lastState;
    });
  }

  /** After a writer's call: its state now, kept in case its host dies before the end. */
  async snapshot(profile: SessionProfile | undefined, host: SessionHostHandle): Promise<unknown> {
    if (!profile?.writer || !host.isAlive) return undefined;
    return host.storageState().catch((err: unknown) => {
      this.#logger.warn({ err, profile: profile.name }, "profile snapshot failed");
      return undefined;
    });
  }

  async release(
    teamId: string,
    profile: SessionProfile | undefined,
    holder: string,
  ): Promise<void> {
    if (profile?.writer) await this.#vault.releaseWriter(teamId, profile.name, holder);
  }
}
