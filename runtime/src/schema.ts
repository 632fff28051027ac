/**
 * Validation through the Standard Schema interface (standardschema.dev), which zod (3.24 and later,
 * and 4), valibot and arktype implement. The runtime names no validation library in its types, so a
 * service may use any zod major, or another library, without a type clash.
 *
 * The interface is copied here, as its authors intend, rather than imported.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly "~standard": {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | { readonly issues: ReadonlyArray<StandardIssue> };

interface StandardIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
}

/** What a schema turns its input into. */
export type SchemaOutput<S extends StandardSchemaV1> = NonNullable<S["~standard"]["types"]>["output"];

/**
 * Validates synchronously: the value it produced, or the problems as one line
 * (`path: message; …`, with `whole` standing for the value itself).
 */
export function validateSync<Output>(
  schema: StandardSchemaV1<unknown, Output>,
  value: unknown,
  whole: string,
): { ok: true; value: Output } | { ok: false; problems: string } {
  const result = schema["~standard"].validate(value);
  if (result instanceof Promise) {
    throw new TypeError("the schema validates asynchronously (e.g. an async refinement); use a synchronous schema");
  }
  if (!result.issues) return { ok: true, value: result.value };
  const problems = result.issues
    .map((issue) => {
      const path = (issue.path ?? []).map((segment) => String(typeof segment === "object" ? segment.key : segment));
      return `${path.length ? path.join(".") : whole}: ${issue.message}`;
    })
    .join("; ");
  return { ok: false, problems };
}
