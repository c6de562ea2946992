import type Database from 'better-sqlite3'

/**
 * Prepared statements by their SQL text, prepared on first use and kept for the life of the
 * connection. `db.prepare` parses and plans the SQL each time (tens of µs); the hot request
 * path runs the same handful of statements on every request.
 */
export class StatementCache {
  readonly #statements = new Map<string, Database.Statement>()

  constructor(private readonly db: Database.Database) {}

  get<P extends unknown[] = unknown[], R = unknown>(sql: string): Database.Statement<P, R> {
    let statement = this.#statements.get(sql)
    if (statement === undefined) {
      statement = this.db.prepare(sql)
      this.#statements.set(sql, statement)
    }
    return statement as unknown as Database.Statement<P, R>
  }
}
