import { APICallError, NoObjectGeneratedError, NoOutputGeneratedError, RetryError } from "ai";

/** Why the call failed, for the caller: no address, no provider text, no stack. */
export function modelFailureReason(e: unknown): string {
  const error = RetryError.isInstance(e) ? e.lastError : e;
  if (APICallError.isInstance(error)) {
    return error.statusCode === undefined
      ? "The model failed to answer: its provider could not be reached."
      : `The model failed to answer: its provider answered HTTP ${error.statusCode}.`;
  }
  if (NoObjectGeneratedError.isInstance(error)) return "The model's answer is not valid JSON.";
  if (NoOutputGeneratedError.isInstance(error)) return "The model gave no answer.";
  return "The model failed to answer.";
}

/** What the log keeps of a failure: not the request body, which holds the whole page. */
export function modelFailureForLog(e: unknown): Record<string, unknown> {
  const error = RetryError.isInstance(e) ? e.lastError : e;
  if (!(error instanceof Error)) return { message: String(error) };
  const status = APICallError.isInstance(error) ? error.statusCode : undefined;
  return { name: error.name, message: error.message, ...(status !== undefined && { status }) };
}
