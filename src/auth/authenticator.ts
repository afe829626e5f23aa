/** Who is calling: every stored row carries this team id. */
export interface Caller {
  teamId: string;
}

/** Turns a request's Authorization header into a caller, or throws an AppError (401). */
export interface Authenticator {
  authenticate(authorization: string | undefined): Promise<Caller>;
}

/** Firecrawl's self-host team id when authentication is bypassed. */
export const BYPASS_TEAM_ID = "bypass";

/** AUTH=none: any token or none is accepted, and everything belongs to one team. */
export class NoAuthenticator implements Authenticator {
  authenticate(): Promise<Caller> {
    return Promise.resolve({ teamId: BYPASS_TEAM_ID });
  }
}
