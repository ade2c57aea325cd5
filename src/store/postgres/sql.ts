/** Named parameters (`@name`, as the SQLite store writes them) turned into PostgreSQL's positional `$n`. */
export interface Bound {
  text: string;
  values: unknown[];
}

/** Each distinct @name becomes one $n, in order of first use; a name without a value is a bug, said at once. */
export function named(sql: string, params: Record<string, unknown>): Bound {
  const positions = new Map<string, number>();
  const values: unknown[] = [];
  const text = sql.replace(/@([A-Za-z_][A-Za-z0-9_]*)/g, (_match, name: string) => {
    let n = positions.get(name);
    if (n === undefined) {
      if (!(name in params)) throw new Error(`SQL parameter @${name} has no value`);
      values.push(params[name]);
      n = values.length;
      positions.set(name, n);
    }
    return `$${n}`;
  });
  return { text, values };
}
