/** A field whose type differs between two mappings. */
export interface TypeChange {
  readonly field: string;
  readonly from: string;
  readonly to: string;
}

/** What changes from the mapping of an index to the configured one. */
export interface MappingDiff {
  /** Fields (dotted paths) the index does not have yet: added in place by a put mapping. */
  readonly added: readonly string[];
  /** Fields whose type changes: these need a new version (a reindex). */
  readonly typeChanges: readonly TypeChange[];
}

type Properties = Readonly<Record<string, Readonly<Record<string, unknown>>>>;

function propertiesOf(mapping: Readonly<Record<string, unknown>> | undefined): Properties {
  return (mapping?.properties ?? {}) as Properties;
}

function typeOf(field: Readonly<Record<string, unknown>>): string {
  if (typeof field.type === 'string') return field.type;
  return field.properties === undefined ? 'unknown' : 'object';
}

/**
 * Compares the configured mapping with an index's (both with `properties`): new fields, and
 * fields whose type differs (an object becoming a keyword, a text becoming a long, ...). Fields
 * the index has and the configuration does not are left alone (a mapping cannot drop fields).
 */
export function diffMappings(current: Readonly<Record<string, unknown>> | undefined, wanted: Readonly<Record<string, unknown>> | undefined, prefix = ''): MappingDiff {
  const added: string[] = [];
  const typeChanges: TypeChange[] = [];
  const have = propertiesOf(current);
  for (const [name, field] of Object.entries(propertiesOf(wanted))) {
    const path = `${prefix}${name}`;
    const existing = have[name];
    if (existing === undefined) {
      added.push(path);
      continue;
    }
    const from = typeOf(existing);
    const to = typeOf(field);
    if (from !== to && to !== 'unknown') typeChanges.push({ field: path, from, to });
    else if (to === 'object' || to === 'nested') {
      const inner = diffMappings(existing, field, `${path}.`);
      added.push(...inner.added);
      typeChanges.push(...inner.typeChanges);
    }
  }
  return { added, typeChanges };
}
