import { z } from "zod";

/* Walking the zod config schema by key: what `config get/set` accept as a path. */

/** The schema under optional/default wrappers; a duration's string side for its pipe. */
export function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  let current = schema;
  for (;;) {
    if (
      current instanceof z.ZodOptional ||
      current instanceof z.ZodNullable ||
      current instanceof z.ZodDefault ||
      current instanceof z.ZodPrefault
    ) {
      current = current.unwrap();
    } else if (current instanceof z.ZodPipe) {
      current = current.in;
    } else {
      return current;
    }
  }
}

export function childSchema(parent: z.core.$ZodType, key: string): z.core.$ZodType | undefined {
  const schema = unwrap(parent);
  if (schema instanceof z.ZodObject) {
    const shape: Record<string, z.core.$ZodType> = schema.shape;
    return Object.hasOwn(shape, key) ? shape[key] : undefined;
  }
  if (schema instanceof z.ZodArray) return /^\d+$/.test(key) ? schema.element : undefined;
  if (schema instanceof z.ZodRecord) return schema.valueType;
  if (schema instanceof z.ZodUnion) {
    const options: readonly z.core.$ZodType[] = schema.options;
    for (const option of options) {
      const child = childSchema(option, key);
      if (child !== undefined) return child;
    }
  }
  return undefined;
}

export function knownKeys(parent: z.core.$ZodType): string[] {
  const schema = unwrap(parent);
  if (schema instanceof z.ZodObject) return Object.keys(schema.shape);
  if (schema instanceof z.ZodUnion) {
    const options: readonly z.core.$ZodType[] = schema.options;
    return [...new Set(options.flatMap(knownKeys))];
  }
  return [];
}

// --- editing the YAML text ------------------------------------------------------------
