/**
 * Bad input: the command line, the configuration or the machine is not what the tool needs. Its
 * message is one line naming the problem and the fix; the tool prints it and exits 2.
 */
export class UsageError extends Error {
  override name = "UsageError";
}
