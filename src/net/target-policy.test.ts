import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkTarget, isPrivateAddress, type Resolver } from "./target-policy.ts";

describe("isPrivateAddress", () => {
  const refused = [
    "127.0.0.1",
    "127.8.9.10",
    "10.1.2.3",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fd00:ec2::254",
    "fc00::1",
    "fe80::1",
    "ff02::1",
    "::ffff:127.0.0.1",
    "[::1]",
  ];
  for (const a of refused) it(`refuses ${a}`, () => assert.equal(isPrivateAddress(a), true));
  const allowed = ["8.8.8.8", "93.184.216.34", "172.32.0.1", "100.128.0.1", "2606:4700::1111"];
  for (const a of allowed) it(`allows ${a}`, () => assert.equal(isPrivateAddress(a), false));
  it("is false for a name", () => assert.equal(isPrivateAddress("example.com"), false));
});

describe("checkTarget", () => {
  const signal = new AbortController().signal;
  const resolveTo =
    (...addresses: string[]): Resolver =>
    () =>
      Promise.resolve(addresses);
  const failing: Resolver = () => Promise.reject(new Error("ENOTFOUND"));

  it("blocks a name that resolves to loopback", async () => {
    const v = await checkTarget(new URL("http://sneaky.example/"), {
      allowPrivate: false,
      resolve: resolveTo("93.184.216.34", "127.0.0.1"),
      signal,
    });
    assert.deepEqual(v, { kind: "blocked", address: "127.0.0.1" });
  });
  it("blocks an IPv6 literal without resolving", async () => {
    const v = await checkTarget(new URL("http://[::1]:8080/"), {
      allowPrivate: false,
      resolve: failing,
      signal,
    });
    assert.deepEqual(v, { kind: "blocked", address: "::1" });
  });
  it("allows private targets when told to", async () => {
    const v = await checkTarget(new URL("http://127.0.0.1/"), {
      allowPrivate: true,
      resolve: failing,
      signal,
    });
    assert.deepEqual(v, { kind: "allowed" });
  });
  it("allows a public address", async () => {
    const v = await checkTarget(new URL("https://example.com/"), {
      allowPrivate: false,
      resolve: resolveTo("93.184.216.34"),
      signal,
    });
    assert.deepEqual(v, { kind: "allowed" });
  });
  it("reports a name that does not resolve", async () => {
    const v = await checkTarget(new URL("https://nothing.invalid/"), {
      allowPrivate: false,
      resolve: failing,
      signal,
    });
    assert.deepEqual(v, { kind: "unresolved", hostname: "nothing.invalid" });
  });
  it("reports an empty answer as unresolved", async () => {
    const v = await checkTarget(new URL("https://empty.example/"), {
      allowPrivate: true,
      resolve: resolveTo(),
      signal,
    });
    assert.equal(v.kind, "unresolved");
  });
});
