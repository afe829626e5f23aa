import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import {
  logger,
  startEchoHost,
  stopEchoHost,
} from "../../test/fixtures/sandbox/start-echo-host.ts";
import {
  ChannelError,
  HostChannel,
  HostListener,
  type HostChannelOptions,
} from "./host-channel.ts";
import { FrameTooLargeError } from "./messages.ts";
import { createSessionDir, sessionDirs } from "./sandbox-launcher.ts";
import { serveChannel, type HostConnection, type HostHandler } from "./serve-channel.ts";

const skip = existsSync("/usr/bin/bwrap") ? false : "bubblewrap (/usr/bin/bwrap) is not installed";

async function rejection(promise: Promise<unknown>): Promise<ChannelError> {
  return promise.then(
    () => assert.fail("expected a rejection"),
    (err: ChannelError) => err,
  );
}

interface Pair {
  channel: HostChannel;
  host: HostConnection;
  cancelled: number[];
  dispose(): void;
}

/** Both ends in this process over a real Unix socket: the interface a sandboxed host gets. */
async function inProcessPair(
  options: Partial<HostChannelOptions> = {},
  hostMaxFrameBytes?: number,
): Promise<Pair> {
  const dir = await createSessionDir();
  const socketPath = path.join(sessionDirs(dir).run, "host.sock");
  const listener = await HostListener.open(socketPath);
  const accepted = listener.accept({ timeoutMs: 5000 });
  const cancelled: number[] = [];
  const handlers: Record<string, HostHandler> = {
    echo: (payload) => payload,
    big: (bytes) => "x".repeat(bytes as number),
    fail: () => {
      throw new TypeError("handler broke");
    },
    wait: async (ms, signal) => {
      await delay(ms as number, undefined, { signal }).catch(() => cancelled.push(ms as number));
      return ms;
    },
  };
  const maxFrame = hostMaxFrameBytes ? { maxFrameBytes: hostMaxFrameBytes } : {};
  const host = await serveChannel(socketPath, handlers, { heartbeatMs: 50, ...maxFrame });
  const channel = new HostChannel(await accepted, { logger, heartbeatMs: 50, ...options });
  const dispose = () => {
    channel.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { channel, host, cancelled, dispose };
}

describe("host channel, in process", () => {
  let pair: Pair;
  before(async () => (pair = await inProcessPair()));
  after(() => pair.dispose());

  it("answers a request with its result, and a handler's throw with its message", async () => {
    assert.deepEqual(await pair.channel.request("echo", { n: 1, s: "é" }), { n: 1, s: "é" });
    const err = await rejection(pair.channel.request("fail", null));
    assert.equal(err.code, "REMOTE");
    assert.equal(err.message, "handler broke");
    assert.match((await rejection(pair.channel.request("nope", null))).message, /unknown request/);
  });

  it("matches many concurrent requests to their own answers", async () => {
    const numbers = Array.from({ length: 300 }, (_, i) => i);
    const answers = await Promise.all(numbers.map((i) => pair.channel.request("echo", i)));
    assert.deepEqual(answers, numbers);
  });

  it("lets a fast request overtake a slow one", async () => {
    const order: string[] = [];
    const slow = pair.channel.request("wait", 150).then(() => order.push("slow"));
    const fast = pair.channel.request("echo", "x").then(() => order.push("fast"));
    await Promise.all([slow, fast]);
    assert.deepEqual(order, ["fast", "slow"]);
  });

  it("delivers events in the order the host sent them", async () => {
    const seen: unknown[] = [];
    const off = pair.channel.on("tick", (data) => seen.push(data));
    for (let i = 0; i < 100; i++) pair.host.emit("tick", i);
    await pair.channel.request("echo", "after the events");
    off();
    pair.host.emit("tick", "unheard");
    await pair.channel.request("echo", "flush");
    assert.deepEqual(
      seen,
      Array.from({ length: 100 }, (_, i) => i),
    );
  });

  it("rejects a request past its deadline and tells the host to stop", async () => {
    const started = Date.now();
    const err = await rejection(pair.channel.request("wait", 5000, { timeoutMs: 100 }));
    assert.equal(err.code, "TIMEOUT");
    assert.match(err.message, /'wait' got no answer within 100 ms/);
    assert.ok(Date.now() - started < 1000);
    await pair.channel.request("echo", "flush");
    assert.deepEqual(pair.cancelled, [5000]);
    assert.equal(await pair.channel.request("echo", "still open"), "still open");
  });

  it("rejects an aborted request at once, and one whose signal is already aborted", async () => {
    const controller = new AbortController();
    const pending = pair.channel.request("wait", 4000, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error("caller left")), 30);
    const err = await rejection(pending);
    assert.equal(err.code, "ABORTED");
    assert.equal((err.cause as Error).message, "caller left");
    await pair.channel.request("echo", "flush");
    assert.ok(pair.cancelled.includes(4000));
    const early = await rejection(pair.channel.request("echo", 1, { signal: controller.signal }));
    assert.equal(early.code, "ABORTED");
  });

  it("keeps the channel alive while heartbeats arrive", async () => {
    await delay(400);
    assert.ok(pair.channel.isOpen, "a live host was declared dead");
  });
});

describe("host channel, frame size", () => {
  it("refuses to send a request over the limit and stays usable", async (t) => {
    const pair = await inProcessPair({ maxFrameBytes: 1024 });
    t.after(() => pair.dispose());
    const err = await rejection(pair.channel.request("echo", "y".repeat(2000)));
    assert.ok(err instanceof FrameTooLargeError);
    assert.match(err.message, /exceeds the 1024-byte limit/);
    assert.equal(await pair.channel.request("echo", "small"), "small");
  });

  it("ends the channel when the host sends a frame over the limit", async (t) => {
    const pair = await inProcessPair({ maxFrameBytes: 1024 });
    t.after(() => pair.dispose());
    const err = await rejection(pair.channel.request("big", 5000));
    assert.equal(err.code, "PROTOCOL");
    assert.match(err.message, /exceeds the 1024-byte limit/);
    assert.equal((await pair.channel.closed).code, "PROTOCOL");
    await pair.host.closed;
  });

  it("answers with an error when the host's result is over the host's limit", async (t) => {
    const pair = await inProcessPair({}, 1024);
    t.after(() => pair.dispose());
    const err = await rejection(pair.channel.request("big", 5000));
    assert.equal(err.code, "REMOTE");
    assert.match(err.message, /exceeds the 1024-byte limit/);
    assert.equal(await pair.channel.request("echo", "ok"), "ok");
  });
});

/** Host processes whose command line carries `tag`: finds the sandboxed host from outside. */
function processesTagged(tag: string): string[] {
  return readdirSync("/proc").filter((pid) => {
    if (!/^\d+$/.test(pid)) return false;
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(tag);
    } catch {
      return false;
    }
  });
}

describe("host channel, a sandboxed host that fails", { skip }, () => {
  it("declares a silent host dead, kills it and rejects what was pending", async (t) => {
    const host = await startEchoHost("bwrap", { heartbeatMs: 100, missedHeartbeats: 3 });
    t.after(() => stopEchoHost(host));
    assert.ok(processesTagged(host.tag).length >= 2, "control: bwrap and node carry the tag");
    const pending = host.channel.request("wait", { ms: 10_000, tag: "w" });
    const started = Date.now();
    const err = await rejection(host.channel.request("hang", null, { timeoutMs: 20_000 }));
    assert.equal(err.code, "HOST_DEAD");
    assert.match(err.message, /no heartbeat for \d+ ms; it was declared dead and killed/);
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
    assert.equal((await rejection(pending)).code, "HOST_DEAD");
    assert.equal((await host.proc.exited).signal, "SIGKILL");
    await delay(50);
    assert.deepEqual(processesTagged(host.tag), [], "a sandboxed process outlived the kill");
    assert.ok(!existsSync(host.proc.workDir));
  });

  it("rejects pending requests when the host crashes", async (t) => {
    const host = await startEchoHost("bwrap");
    t.after(() => stopEchoHost(host));
    const pending = host.channel.request("wait", { ms: 10_000, tag: "w" });
    const crash = host.channel.request("crash", null);
    for (const err of [await rejection(pending), await rejection(crash)]) {
      assert.equal(err.code, "HOST_EXITED");
    }
    assert.equal((await host.channel.closed).code, "HOST_EXITED");
    assert.equal((await host.proc.exited).code, 3);
    const late = await rejection(host.channel.request("echo", 1));
    assert.equal(late.code, "HOST_EXITED");
  });
});
