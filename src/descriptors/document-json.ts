import type { ColumnValue } from '../model/change-event.js';
import type { ColumnDefinition } from '../model/column.js';
import type { DescriptorNode } from './document-descriptor.js';
import { documentValue } from './document-values.js';
import type { JsonByteWriter } from './json-byte-writer.js';
import { rowPositions } from './node-query.js';

/**
 * A row of a node as one parent embeds it, its values by position (see node-query.ts's
 * rowPositions): the node's columns, its link row's (many-to-many) and its computed values.
 */
export interface Embedded {
  readonly values: readonly ColumnValue[];
  readonly link: readonly ColumnValue[] | undefined;
  /** In the node's `computed` order. */
  readonly computed: readonly unknown[];
  /** The row's `db.table:key` reference, made once. */
  readonly ref: string;
  /** The parent's join value the row was selected by, as a string. */
  readonly parent: string;
}

/** Every node's embedded rows, by node and then by the parent's join value (as a string). */
export type EmbeddedGroups = ReadonlyMap<DescriptorNode, ReadonlyMap<string, readonly Embedded[]>>;

/** Where one property of a node's object takes its value from. */
type PropertySource =
  /** A column of the row (or of its link row), at `position` (-1: not read, null). */
  | { readonly kind: 'field'; readonly column: ColumnDefinition; readonly fromLink: boolean; readonly position: number }
  | { readonly kind: 'computed'; readonly position: number }
  /** A relation, joined on the row's value at `parentPosition`; a list of scalars takes each child row's value at `scalarPosition`. */
  | { readonly kind: 'relation'; readonly child: DescriptorNode; readonly parentPosition: number; readonly scalarPosition: number };

/** A property as written: its key's JSON (with the comma before it, but for the first) as UTF-8 bytes, and its source. */
interface WrittenProperty {
  readonly key: Uint8Array;
  readonly source: PropertySource;
}

const plans = new WeakMap<DescriptorNode, readonly WrittenProperty[]>();

/**
 * The properties of `node`'s object in the order JSON.stringify writes them, worked out once per
 * node: fields, then computed values, then relations, as they would be assigned to a plain object
 * (a name assigned twice keeps its first place and its last value; integer-like names come first,
 * ascending, as in every JavaScript object). The relations keep the descriptor's order among
 * themselves, since the compiler lists them in their mapping's key order (Object.entries): the
 * references of the embedded rows come in the order an assembled object's walk would give them.
 */
function propertiesOf(node: DescriptorNode): readonly WrittenProperty[] {
  let properties = plans.get(node);
  if (properties === undefined) {
    const sources: PropertySource[] = [];
    const order: Record<string, number> = {};
    const assign = (name: string, source: PropertySource): void => {
      order[name] = sources.length;
      sources.push(source);
    };
    const { columns, link } = rowPositions(node);
    for (const field of node.fields) {
      const fromLink = field.fromLink === true;
      assign(field.name, { kind: 'field', column: field.column, fromLink, position: (fromLink ? link : columns).get(field.column.name) ?? -1 });
    }
    node.computed.forEach((field, position) => assign(field.name, { kind: 'computed', position }));
    for (const child of node.children) {
      if (child.join === undefined || child.property === undefined) continue;
      const scalarPosition = child.scalar === undefined ? -1 : (rowPositions(child).columns.get(child.scalar.name) ?? -1);
      assign(child.property, { kind: 'relation', child, parentPosition: columns.get(child.join.parentColumn) ?? -1, scalarPosition });
    }
    properties = Object.keys(order).map((name, index) => ({ key: Buffer.from(`${index === 0 ? '' : ','}${JSON.stringify(name)}:`), source: sources[order[name]] }));
    plans.set(node, properties);
  }
  return properties;
}

const OPEN_OBJECT = Buffer.from('{');
const CLOSE_OBJECT = Buffer.from('}');
const OPEN_LIST = Buffer.from('[');
const CLOSE_LIST = Buffer.from(']');
const COMMA = Buffer.from(',');

/**
 * Writes the JSON of `entry`'s object under `node` (its children from `groups`) at the end of
 * `writer`, as UTF-8, straight from its rows: exactly the text JSON.stringify makes of the object
 * the same rows assemble into, with no object made. Appends the reference of every embedded row
 * to `refs`, in document order (the rows of a many-to-one relation beyond its first included,
 * though only the first is written).
 */
export function writeDocumentJson(writer: JsonByteWriter, node: DescriptorNode, entry: Embedded, groups: EmbeddedGroups, refs: string[]): void {
  writer.bytes(OPEN_OBJECT);
  for (const { key, source } of propertiesOf(node)) {
    writer.bytes(key);
    if (source.kind === 'field') {
      const values = source.fromLink ? entry.link : entry.values;
      writer.value(documentValue(source.column, values?.[source.position] ?? null));
    } else if (source.kind === 'computed') {
      writer.value(entry.computed[source.position] ?? null);
    } else {
      writeRelationJson(writer, source.child, entry.values[source.parentPosition], source.scalarPosition, groups, refs);
    }
  }
  writer.bytes(CLOSE_OBJECT);
}

/** Writes `child`'s relation property on an object whose join value is `parentValue`: a list, or one object (or null) for a many-to-one relation. */
function writeRelationJson(writer: JsonByteWriter, child: DescriptorNode, parentValue: ColumnValue | undefined, scalarPosition: number, groups: EmbeddedGroups, refs: string[]): void {
  const entries = parentValue === null || parentValue === undefined ? NO_ROWS : (groups.get(child)?.get(String(parentValue)) ?? NO_ROWS);
  if (child.join?.type === 'manyToOne') {
    if (entries.length === 0) writer.value(null);
    for (let index = 0; index < entries.length; index += 1) {
      refs.push(entries[index].ref);
      // the rows beyond the first are walked for their references only: what they wrote is taken back
      const end = writer.length;
      writeElementJson(writer, child, entries[index], scalarPosition, groups, refs);
      if (index > 0) writer.truncate(end);
    }
    return;
  }
  writer.bytes(OPEN_LIST);
  for (let index = 0; index < entries.length; index += 1) {
    refs.push(entries[index].ref);
    if (index > 0) writer.bytes(COMMA);
    writeElementJson(writer, child, entries[index], scalarPosition, groups, refs);
  }
  writer.bytes(CLOSE_LIST);
}

/** Writes one row of `child`'s relation: its object, or its value at `scalarPosition` for a list of scalars. */
function writeElementJson(writer: JsonByteWriter, child: DescriptorNode, entry: Embedded, scalarPosition: number, groups: EmbeddedGroups, refs: string[]): void {
  if (child.scalar === undefined) writeDocumentJson(writer, child, entry, groups, refs);
  else writer.value(documentValue(child.scalar, entry.values[scalarPosition] ?? null));
}

const NO_ROWS: readonly Embedded[] = Object.freeze([]);
