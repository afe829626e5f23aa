// Debian's nginx in front of a test cluster, running the operator's configuration from
// docs/scale-out.nginx.conf as it is, but for the addresses: its three `server` lines point at the
// cluster's nodes, it listens on a free loopback port, and it logs under a temp dir. The log names
// the node of every request, which is how `hits` is counted. Used by bench/cluster-nginx.sh.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net, { type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Balancer, BalancerMode } from "./balancer.ts";
import type { Cluster } from "./nodes.ts";

const CONFIG = path.resolve(import.meta.dirname, "../../docs/scale-out.nginx.conf");
const NGINX = ["/usr/sbin/nginx", "/usr/bin/nginx"].find((file) => existsSync(file));

/** Whether Debian's nginx is installed (`apt-get install nginx-light`). */
export const nginxInstalled = NGINX !== undefined;

export async function startNginx(cluster: Cluster): Promise<Balancer> {
  if (!NGINX) throw new Error("nginx is not installed (as root: apt-get install nginx-light)");
  const dir = mkdtempSync(path.join(tmpdir(), "skiff-nginx-"));
  const port = await freePort();
  const log = path.join(dir, "skiff.log");
  writeFileSync(path.join(dir, "skiff.conf"), clusterConfig(cluster, port, log));
  writeFileSync(path.join(dir, "nginx.conf"), mainConfig(dir));
  const child = spawn(NGINX, ["-p", dir, "-c", path.join(dir, "nginx.conf")], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const balancer = new NginxBalancer(child, dir, port, log, cluster);
  try {
    await balancer.waitListening();
  } catch (err) {
    await balancer.close();
    throw new Error(`nginx did not start: ${stderr}`, { cause: err });
  }
  return balancer;
}

/** The operator's file with this cluster's addresses in place of the example ones. */
function clusterConfig(cluster: Cluster, port: number, log: string): string {
  const text = readFileSync(CONFIG, "utf8");
  const servers = cluster.nodes.map(
    (node) => `    server 127.0.0.1:${node.port} max_fails=1 fail_timeout=5s;`,
  );
  const replaced = text
    .replace(/^ {4}server 10\.0\.0\.11:.*$/m, servers.join("\n"))
    .replace(/^ {4}server 10\.0\.0\.1[23]:.*\n/gm, "")
    .replace(/^ {4}listen 80;$/m, `    listen 127.0.0.1:${port};`)
    .replace("/var/log/nginx/skiff.log", log);
  if (replaced === text || !replaced.includes(`listen 127.0.0.1:${port}`)) {
    throw new Error(`${CONFIG} no longer has the example server and listen lines to replace`);
  }
  return replaced;
}

/** A main file of nginx's own around the operator's snippet: no daemon, everything in `dir`. */
function mainConfig(dir: string): string {
  const asRoot = process.getuid?.() === 0;
  return [
    "daemon off;",
    "worker_processes 1;",
    // As root, nginx's workers would run as nobody, who cannot write the temp dir.
    asRoot ? "user root;" : "",
    `pid ${path.join(dir, "nginx.pid")};`,
    `error_log ${path.join(dir, "error.log")} warn;`,
    "events { worker_connections 1024; }",
    "http {",
    `  client_body_temp_path ${path.join(dir, "body")};`,
    `  proxy_temp_path ${path.join(dir, "proxy")};`,
    `  include ${path.join(dir, "skiff.conf")};`,
    "}",
    "",
  ].join("\n");
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

class NginxBalancer implements Balancer {
  readonly #child: ChildProcess;
  readonly #dir: string;
  readonly #port: number;
  readonly #log: string;
  readonly #cluster: Cluster;
  #counted = 0;
  #closed: Promise<void> | undefined;

  constructor(child: ChildProcess, dir: string, port: number, log: string, cluster: Cluster) {
    this.#child = child;
    this.#dir = dir;
    this.#port = port;
    this.#log = log;
    this.#cluster = cluster;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  get mode(): BalancerMode {
    return "round-robin";
  }

  set mode(mode: BalancerMode) {
    throw new Error(`nginx balances as its configuration says; it has no ${mode} mode`);
  }

  /** Requests each node answered since the last reset, by node index, from nginx's log. */
  get hits(): readonly number[] {
    const hits = this.#cluster.nodes.map(() => 0);
    const lines = this.#lines().slice(this.#counted);
    for (const line of lines) {
      // The last upstream of the line answered (earlier ones, comma-separated, refused).
      const upstream = / (\S+:\d+) [\d.]+$/.exec(line)?.[1];
      const port = Number(upstream?.split(":").pop());
      const node = this.#cluster.nodes.find((n) => n.port === port);
      if (node) hits[node.index] = (hits[node.index] ?? 0) + 1;
    }
    return hits;
  }

  resetHits(): void {
    this.#counted = this.#lines().length;
  }

  async waitListening(): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (this.#child.exitCode !== null) throw new Error(`exited with ${this.#child.exitCode}`);
      const connected = await new Promise<boolean>((resolve) => {
        const socket = net.connect(this.#port, "127.0.0.1");
        socket.once("connect", () => resolve(true)).once("error", () => resolve(false));
        socket.once("close", () => socket.destroy());
        setTimeout(() => socket.end(), 10);
      });
      if (connected) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error("not listening after 10 s");
  }

  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      if (this.#child.exitCode !== null || this.#child.signalCode !== null) return resolve();
      this.#child.once("exit", () => resolve());
      // SIGTERM: nginx's fast shutdown, which closes WebSockets too.
      this.#child.kill("SIGTERM");
    }).then(() => rmSync(this.#dir, { recursive: true, force: true }));
    return this.#closed;
  }

  #lines(): string[] {
    if (!existsSync(this.#log)) return [];
    return readFileSync(this.#log, "utf8").split("\n").filter(Boolean);
  }
}
