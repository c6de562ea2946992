import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { confinePath, isSafeRelativePath } from '../../../download-server/src/files/confine-path.js'

let dir: string
let root: string
beforeAll(() => {
  dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'dl-confine-')))
  root = path.join(dir, 'root')
  fs.mkdirSync(path.join(root, 'sub', 'deeper'), { recursive: true })
  fs.writeFileSync(path.join(root, 'a.txt'), 'a')
  fs.writeFileSync(path.join(root, 'sub', 'deeper', 'b.txt'), 'b')
  fs.writeFileSync(path.join(dir, 'secret.txt'), 'secret')
  fs.mkdirSync(path.join(dir, 'root-sibling'))
  fs.writeFileSync(path.join(dir, 'root-sibling', 'x.txt'), 'x')
  fs.symlinkSync(path.join(dir, 'secret.txt'), path.join(root, 'out-file'))
  fs.symlinkSync(dir, path.join(root, 'out-dir'))
  fs.symlinkSync(path.join(dir, 'root-sibling'), path.join(root, 'sibling'))
  fs.symlinkSync(path.join(root, 'a.txt'), path.join(root, 'sub', 'in-link'))
  fs.symlinkSync(path.join(dir, 'missing'), path.join(root, 'dangling'))
  fs.symlinkSync('loop-b', path.join(root, 'loop-a'))
  fs.symlinkSync('loop-a', path.join(root, 'loop-b'))
})
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

describe('confinePath', () => {
  it('resolves a plain relative path to its real path inside the root', () => {
    expect(confinePath(root, 'sub/deeper/b.txt')).toEqual({ ok: true, path: path.join(root, 'sub', 'deeper', 'b.txt') })
    expect(confinePath(root, './a.txt')).toEqual({ ok: true, path: path.join(root, 'a.txt') })
  })

  it('follows a symlink that stays inside the root', () => {
    expect(confinePath(root, 'sub/in-link')).toEqual({ ok: true, path: path.join(root, 'a.txt') })
  })

  it.each(['../secret.txt', 'sub/../../secret.txt', '/etc/passwd', 'sub\\..\\..\\secret.txt', 'a.txt\0.png', '', 'sub//a.txt', 'sub/', '..'])(
    'refuses the hostile path %j as forbidden without touching the disk',
    (file) => {
      expect(confinePath(root, file)).toEqual({ ok: false, code: 'PATH_FORBIDDEN' })
    },
  )

  it.each(['out-file', 'out-dir/secret.txt', 'sibling/x.txt', 'loop-a'])('refuses %j, which leads out of the root (or nowhere), as forbidden', (file) => {
    expect(confinePath(root, file)).toEqual({ ok: false, code: 'PATH_FORBIDDEN' })
  })

  it('follows a directory link that stays inside the root to the real path', () => {
    fs.symlinkSync(path.join(root, 'sub'), path.join(root, 'sub-link'))
    expect(confinePath(root, 'sub-link/deeper/b.txt')).toEqual({ ok: true, path: path.join(root, 'sub', 'deeper', 'b.txt') })
  })

  it('sees a directory swapped for a link out of the root at once (nothing is cached)', () => {
    fs.mkdirSync(path.join(root, 'swap'))
    fs.writeFileSync(path.join(root, 'swap', 'x.txt'), 'in')
    expect(confinePath(root, 'swap/x.txt')).toEqual({ ok: true, path: path.join(root, 'swap', 'x.txt') })
    fs.rmSync(path.join(root, 'swap'), { recursive: true })
    fs.symlinkSync(path.join(dir, 'root-sibling'), path.join(root, 'swap'))
    fs.writeFileSync(path.join(dir, 'root-sibling', 'x.txt'), 'out')
    expect(confinePath(root, 'swap/x.txt')).toEqual({ ok: false, code: 'PATH_FORBIDDEN' })
  })

  it('does not mistake a sibling directory sharing the root’s name as a prefix for the root', () => {
    expect(confinePath(path.join(dir, 'root'), 'sibling/x.txt')).toEqual({ ok: false, code: 'PATH_FORBIDDEN' })
  })

  it.each(['nope.txt', 'sub/nope/b.txt', 'a.txt/inside', 'dangling'])('reports %j as not found', (file) => {
    expect(confinePath(root, file)).toEqual({ ok: false, code: 'FILE_NOT_FOUND' })
  })

  it('treats percent-encoding literally: an encoded ".." is a file name, not a parent', () => {
    expect(confinePath(root, '%2e%2e/secret.txt')).toEqual({ ok: false, code: 'FILE_NOT_FOUND' })
  })
})

describe('isSafeRelativePath', () => {
  it('accepts what CONTRACT §1 allows and nothing else', () => {
    expect(isSafeRelativePath('a/b/c.txt')).toBe(true)
    expect(isSafeRelativePath('.hidden')).toBe(true)
    expect(isSafeRelativePath('a/../b')).toBe(false)
    expect(isSafeRelativePath('/a')).toBe(false)
    expect(isSafeRelativePath('a\\b')).toBe(false)
    expect(isSafeRelativePath('a\0')).toBe(false)
  })
})
