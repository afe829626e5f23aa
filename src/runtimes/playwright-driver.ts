// Playwright's driver, served on a socket from the node runtime's worker thread, for Playwright
// for Python. The Python library normally starts a Node driver of its own (~125 MB) and speaks to
// it over a pipe; here it reaches the one the worker already holds, with the same framing.
import { createRequire } from "node:module";
import net from "node:net";

/** The parts of playwright-core's server that its own `run-driver` command is made of. */
interface ServerPlaywright {
  allBrowsers(): { close(options: { reason?: string }): Promise<void> }[];
}
interface RootScope {
  stopPendingOperations(error: Error): Promise<void>;
  _dispose(): void;
}
interface Dispatchers {
  createPlaywright(options: {
    sdkLanguage: string;
    isClientCollocatedWithServer: boolean;
  }): ServerPlaywright;
  DispatcherConnection: new () => {
    onmessage: (message: object) => void;
    dispatch(message: object): void;
  };
  RootDispatcher: new (
    connection: unknown,
    create: (scope: unknown, params: DriverParams) => Promise<unknown>,
  ) => RootScope;
  PlaywrightDispatcher: new (scope: unknown, playwright: ServerPlaywright) => unknown;
}
interface DriverParams {
  sdkLanguage: string;
  supportsLoneSurrogates?: boolean;
}

const require = createRequire(import.meta.url);
const server = (require("playwright-core/lib/coreBundle") as { server: Dispatchers }).server;

/** Each message is a 4-byte little-endian length, then that many bytes of JSON. */
const HEADER_BYTES = 4;

/** Listens at `address` (an abstract socket name starts with "\0"); one driver per connection. */
export function serveDriver(address: string): Promise<net.Server> {
  const listener = net.createServer((socket) => attachDriver(socket));
  return new Promise((resolve, reject) => {
    listener.once("error", reject);
    listener.listen(address, () => resolve(listener));
  });
}

/** What `playwright-core run-driver` does on stdio, on one socket; it ends with the socket. */
function attachDriver(socket: net.Socket): void {
  const connection = new server.DispatcherConnection();
  const playwrights: ServerPlaywright[] = [];
  let encode = (message: object) => JSON.stringify(message);
  const root = new server.RootDispatcher(connection, (scope, params) => {
    if (!params.supportsLoneSurrogates) {
      encode = (message) =>
        JSON.stringify(message, (_key, value: unknown) =>
          typeof value === "string" ? value.toWellFormed() : value,
        );
    }
    const playwright = server.createPlaywright({
      sdkLanguage: params.sdkLanguage,
      isClientCollocatedWithServer: true,
    });
    playwrights.push(playwright);
    return Promise.resolve(new server.PlaywrightDispatcher(scope, playwright));
  });
  connection.onmessage = (message) => socket.write(frame(encode(message)));
  readFrames(socket, (json) => {
    // As Playwright's pipe transport does: each message in a macrotask of its own.
    setImmediate(() => connection.dispatch(JSON.parse(json) as object));
  });
  socket.on("error", () => socket.destroy());
  socket.once("close", () => {
    connection.onmessage = () => {};
    void detach(root, playwrights);
  });
}

/**
 * Stops what the client left running and drops its CDP connections. A browser reached over CDP
 * is only disconnected by `close`: the session's Chromium and its pages live on.
 */
async function detach(root: RootScope, playwrights: ServerPlaywright[]): Promise<void> {
  await root.stopPendingOperations(new Error("Disconnected")).catch(() => {});
  root._dispose();
  const browsers = playwrights.flatMap((playwright) => playwright.allBrowsers());
  await Promise.allSettled(browsers.map((b) => b.close({ reason: "the Python client left" })));
}

function frame(json: string): Buffer {
  const body = Buffer.from(json);
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32LE(body.length);
  return Buffer.concat([header, body]);
}

function readFrames(socket: net.Socket, onFrame: (json: string) => void): void {
  let pending: Buffer = Buffer.alloc(0);
  socket.on("data", (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= HEADER_BYTES) {
      const length = pending.readUInt32LE(0);
      if (pending.length < HEADER_BYTES + length) break;
      onFrame(pending.toString("utf8", HEADER_BYTES, HEADER_BYTES + length));
      pending = pending.subarray(HEADER_BYTES + length);
    }
  });
}
