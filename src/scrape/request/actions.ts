import { z } from "zod";
import { viewportSchema } from "./formats.ts";

export const MAX_ACTIONS = 50;
export const MAX_TOTAL_WAIT_MS = 60_000;
/** A wait on a selector has no known length; upstream budgets it as one second. */
const SELECTOR_WAIT_MS = 1000;

export const TOTAL_WAIT_MESSAGE =
  "Total wait time (waitFor + wait actions) cannot exceed 60 seconds";

const waitAction = z
  .object({
    type: z.literal("wait"),
    milliseconds: z.int().positive().optional(),
    selector: z.string().optional(),
  })
  .refine(
    (a) => (a.milliseconds === undefined) !== (a.selector === undefined),
    "Either 'milliseconds' or 'selector' must be provided, but not both.",
  );

const pdfAction = z.object({
  type: z.literal("pdf"),
  landscape: z.boolean().prefault(false),
  scale: z.number().prefault(1),
  format: z
    .enum(["A0", "A1", "A2", "A3", "A4", "A5", "A6", "Letter", "Legal", "Tabloid", "Ledger"])
    .prefault("Letter"),
});

/** Objects are not strict: unknown keys (e.g. `amount` on scroll) are stripped, as upstream. */
const actionSchema = z.union([
  waitAction,
  z.object({ type: z.literal("click"), selector: z.string(), all: z.boolean().prefault(false) }),
  z.object({
    type: z.literal("screenshot"),
    fullPage: z.boolean().prefault(false),
    quality: z.number().min(1).max(100).optional(),
    viewport: viewportSchema.optional(),
  }),
  z.object({ type: z.literal("write"), text: z.string() }),
  z.object({ type: z.literal("press"), key: z.string() }),
  z.object({
    type: z.literal("scroll"),
    direction: z.enum(["up", "down"]).prefault("down"),
    selector: z.string().optional(),
  }),
  z.object({ type: z.literal("scrape") }),
  z.object({ type: z.literal("executeJavascript"), script: z.string() }),
  pdfAction,
]);

type ParsedAction = z.output<typeof actionSchema>;

/** `waitFor` plus every wait action, a selector wait counting as one second. */
export function totalWaitMs(actions: readonly ParsedAction[], waitFor = 0): number {
  let total = waitFor;
  for (const action of actions) {
    if (action.type !== "wait") continue;
    if (action.milliseconds) total += action.milliseconds;
    else if (action.selector) total += SELECTOR_WAIT_MS;
  }
  return total;
}

export const actionsSchema = z
  .array(actionSchema)
  .refine((a) => a.length <= MAX_ACTIONS, `Number of actions cannot exceed ${MAX_ACTIONS}`)
  .refine((a) => totalWaitMs(a) <= MAX_TOTAL_WAIT_MS, TOTAL_WAIT_MESSAGE);
