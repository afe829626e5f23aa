import type { Page } from "playwright-core";
import type { Deadline } from "./deadline.ts";

/** The options shared by the screenshot format and the screenshot action (spec §1.3, §1.4). */
export interface ScreenshotOptions {
  fullPage?: boolean | undefined;
  quality?: number | undefined;
  viewport?: { width: number; height: number } | undefined;
}

/** PNG, or JPEG at `quality` when set; `viewport` resizes the page first and stays in effect. */
export async function takeScreenshot(
  page: Page,
  options: ScreenshotOptions,
  deadline: Deadline,
): Promise<Buffer> {
  if (options.viewport) await deadline.race(page.setViewportSize(options.viewport));
  const quality = options.quality === undefined ? undefined : Math.round(options.quality);
  const format =
    quality === undefined ? ({ type: "png" } as const) : { type: "jpeg" as const, quality };
  return deadline.bound((timeout) =>
    page.screenshot({ fullPage: options.fullPage ?? false, timeout, ...format }),
  );
}
