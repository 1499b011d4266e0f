/** A single-column foreign key: `db.table.column` refers to `refDb.refTable.refColumn`. */
export interface ForeignKey {
  readonly db: string;
  readonly table: string;
  readonly column: string;
  readonly refDb: string;
  readonly refTable: string;
  readonly refColumn: string;
}
