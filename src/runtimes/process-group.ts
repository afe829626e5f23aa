import type { ChildProcess } from "node:child_process";
import type { ExecResult } from "./node-runtime.ts";
import { KILLED_EXIT_CODE } from "./node-runtime.ts";
import type { OutputBuffer } from "./output-buffer.ts";

/** Sends `signal` to the process group `pid` leads; false when there is no such group. */
export function killProcessGroup(
  pid: number | undefined,
  signal: NodeJS.Signals = "SIGKILL",
): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

export interface ProcessExit {
  code: number;
  killed: boolean;
}

/**
 * Collects a detached child's stdout and stderr into capped buffers until it closes; at
 * `timeoutMs` its whole group is killed (a pipeline too). A child that could not start exits 127.
 */
export function runToExit(
  child: ChildProcess,
  command: string,
  timeoutMs: number,
  output: { stdout: OutputBuffer; stderr: OutputBuffer },
): Promise<ProcessExit> {
  child.stdout?.on("data", (chunk: Buffer) => output.stdout.append(chunk.toString("utf8")));
  child.stderr?.on("data", (chunk: Buffer) => output.stderr.append(chunk.toString("utf8")));
  return new Promise((resolve) => {
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      killProcessGroup(child.pid);
    }, timeoutMs);
    child.once("error", (err) => {
      clearTimeout(timer);
      output.stderr.append(`${command}: ${err.message}\n`);
      resolve({ code: 127, killed: false });
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 + 9 : 1), killed });
    });
  });
}

/** An interact reply from a finished process: its streams, and `result` only on success. */
export function processResult(
  streams: { stdout: string; stderr: string; result: string },
  exit: ProcessExit,
  timeoutMs: number,
): ExecResult {
  if (exit.killed) {
    const error = `Execution timed out after ${timeoutMs} ms and was killed`;
    return { ...streams, result: "", exitCode: KILLED_EXIT_CODE, killed: true, error };
  }
  if (exit.code === 0) return { ...streams, exitCode: 0, killed: false };
  const error = streams.stderr || `Execution failed (exit code ${exit.code})`;
  return { ...streams, result: "", exitCode: exit.code, killed: false, error };
}
