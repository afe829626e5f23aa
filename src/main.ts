import { ConfigError, loadConfig, type Config } from "./config.ts";
import { createLogger } from "./log.ts";
import { createSkiff } from "./server.ts";

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`skiff: ${e.message}\n`);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const config = readConfig();
  const logger = createLogger(config.LOG_LEVEL);
  const skiff = await createSkiff(config, logger).catch((e: unknown) => {
    if (!(e instanceof ConfigError)) throw e;
    process.stderr.write(`skiff: ${e.message}\n`);
    process.exit(1);
  });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    const drained = signal === "SIGTERM" ? skiff.drain() : Promise.resolve();
    drained
      .then(() => skiff.close())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error({ err }, "shutdown failed");
          process.exit(1);
        },
      );
  };
  // Before listening: a signal that comes as soon as the port is open still shuts down in order.
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  await skiff.app.listen({ port: config.PORT, host: config.HOST });
  skiff.startSessionPool();
  skiff.pool
    .start()
    .then(() => {
      logger.info("browser pool ready");
      return skiff.startJobs();
    })
    .catch((err: unknown) =>
      logger.error({ err }, "the browser pool or the job queue failed to start"),
    );
}

await main();
