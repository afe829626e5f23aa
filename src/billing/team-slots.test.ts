import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AppError } from "../errors.ts";
import { TeamSlots } from "./team-slots.ts";

describe("TeamSlots", () => {
  it("gives each team its own slots, refuses past the limit, and takes each back once", () => {
    const slots = new TeamSlots(2);
    const a1 = slots.take("a");
    slots.take("a");
    assert.throws(
      () => slots.take("a"),
      (err: unknown) =>
        err instanceof AppError && err.status === 429 && /concurrent jobs \(2\)/.test(err.message),
    );
    slots.take("b");
    a1();
    a1();
    slots.take("a");
    assert.throws(() => slots.take("a"), AppError, "a second release gave nothing back");
  });

  it("has no limit when given none", () => {
    const slots = new TeamSlots(undefined);
    for (let i = 0; i < 100; i++) slots.take("a");
  });
});
