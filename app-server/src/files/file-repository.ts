import type { AppDatabase } from '../db/open-app-database.js'
import { StatementCache } from '../db/statement-cache.js'

/** Metadata of an uploaded file. The bytes live at DATA_DIR/files/<id>; `name` is never a path. */
export interface StoredFile {
  id: string
  ownerId: number
  name: string
  size: number
  contentType: string
  uploadedAt: Date
}

interface FileRow {
  id: string
  owner_id: number
  name: string
  size: number
  content_type: string
  uploaded_at: number
}

const toFile = (r: FileRow): StoredFile => ({
  id: r.id,
  ownerId: r.owner_id,
  name: r.name,
  size: r.size,
  contentType: r.content_type,
  uploadedAt: new Date(r.uploaded_at),
})

export class FileRepository {
  private readonly sql: StatementCache

  constructor(private readonly db: AppDatabase) {
    this.sql = new StatementCache(db)
  }

  /** The file only when `ownerId` owns it: another user's id looks exactly like a missing one. */
  findOwned(id: string, ownerId: number): StoredFile | undefined {
    const row = this.sql.get('SELECT * FROM files WHERE id = ? AND owner_id = ?').get(id, ownerId) as FileRow | undefined
    return row && toFile(row)
  }

  listByOwner(ownerId: number): StoredFile[] {
    return (this.sql.get('SELECT * FROM files WHERE owner_id = ? ORDER BY uploaded_at DESC, name').all(ownerId) as FileRow[]).map(toFile)
  }

  insert(file: StoredFile): void {
    this.sql
      .get('INSERT INTO files (id, owner_id, name, size, content_type, uploaded_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(file.id, file.ownerId, file.name, file.size, file.contentType, file.uploadedAt.getTime())
  }

  /** Deletes the row only when `ownerId` owns it; false otherwise (missing or someone else's). */
  deleteOwned(id: string, ownerId: number): boolean {
    return this.sql.get('DELETE FROM files WHERE id = ? AND owner_id = ?').run(id, ownerId).changes === 1
  }

  countAll(): number {
    return (this.sql.get('SELECT count(*) AS n FROM files').get() as { n: number }).n
  }
}
