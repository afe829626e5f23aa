import { AppError } from "../errors.ts";
import type { Store } from "../store/store.ts";
import { hashApiKey } from "./api-keys.ts";
import type { Authenticator, Caller } from "./authenticator.ts";

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** AUTH=keys: the caller is the team of a known, unrevoked API key sent as `Bearer <key>`. */
export class KeyAuthenticator implements Authenticator {
  #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  async authenticate(authorization: string | undefined): Promise<Caller> {
    const token = BEARER.exec(authorization ?? "")?.[1];
    if (token === undefined) throw new AppError("TOKEN_MISSING");
    const key = await this.#store.findApiKey(hashApiKey(token));
    if (!key) throw new AppError("TOKEN_INVALID");
    return { teamId: key.teamId };
  }
}
