/**
 * A problem with the user's input or environment that they can fix. The CLI prints its message
 * as one line and exits 1, without a stack trace: the message already names the problem and the fix.
 */
export class UserError extends Error {
  override name = "UserError";
}

/** The user pressed Ctrl-C (or Esc) at a prompt; nothing has been written. */
export class CancelledError extends Error {
  override name = "CancelledError";
  constructor() {
    super("Cancelled");
  }
}
