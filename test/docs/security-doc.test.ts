import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'

// docs/security.md answers every threat with "the test that shows it": a test file and an
// `it(...)` name. This keeps each one real, so a renamed or deleted test cannot leave the page
// pointing at nothing.

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const doc = fs.readFileSync(path.join(root, 'docs', 'security.md'), 'utf8')

interface Reference {
  file: string
  name: string
  /** `it.each` cases the page names after the pattern. */
  cases: string[]
}

/** Table rows `| `test/…` | "name" |` or `| `test/…` | "pattern": "case", "case" |`. */
function references(markdown: string): Reference[] {
  const found: Reference[] = []
  for (const line of markdown.split('\n')) {
    if (!line.startsWith('|')) continue
    const cells = line.split(' | ').map((cell) => cell.replace(/^\|\s*|\s*\|$/g, '').trim())
    const at = cells.findIndex((cell) => /^`test\/[^`]+`$/.test(cell))
    if (at < 0) continue
    const file = (cells[at] as string).slice(1, -1)
    const match = /^"(.+?)"(?=$|: | \()(.*)$/.exec(cells[at + 1] ?? '')
    if (match === null) throw new Error(`docs/security.md: no quoted test name after ${file} in: ${line}`)
    const rest = match[2] as string
    const cases = rest.startsWith(': "') ? rest.slice(3, -1).split('", "') : []
    found.push({ file, name: match[1] as string, cases })
  }
  return found
}

/** The first-argument strings of every it/test/describe call, `.each` included, and every string literal. */
function titlesAndStrings(file: string): { titles: Set<string>; strings: Set<string> } {
  const source = ts.createSourceFile(file, fs.readFileSync(path.join(root, file), 'utf8'), ts.ScriptTarget.Latest, true)
  const titles = new Set<string>()
  const strings = new Set<string>()
  const calleeName = (expression: ts.Expression): string | undefined => {
    if (ts.isIdentifier(expression)) return expression.text
    if (ts.isPropertyAccessExpression(expression)) return calleeName(expression.expression)
    if (ts.isCallExpression(expression)) return calleeName(expression.expression)
    return undefined
  }
  const visit = (node: ts.Node): void => {
    if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) strings.add(node.text)
    if (ts.isCallExpression(node) && ['it', 'test', 'describe'].includes(calleeName(node.expression) ?? '')) {
      const first = node.arguments[0]
      if (first !== undefined && (ts.isStringLiteral(first) || ts.isNoSubstitutionTemplateLiteral(first))) titles.add(first.text)
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
  return { titles, strings }
}

describe('docs/security.md', () => {
  const refs = references(doc)

  it('names at least one test for each threat', () => {
    expect(refs.length).toBeGreaterThan(50)
  })

  it('names only tests that exist, in the files it says', () => {
    const missing: string[] = []
    for (const ref of refs) {
      if (!fs.existsSync(path.join(root, ref.file))) {
        missing.push(`${ref.file} (no such file)`)
        continue
      }
      const { titles, strings } = titlesAndStrings(ref.file)
      if (!titles.has(ref.name)) missing.push(`${ref.file}: "${ref.name}"`)
      for (const name of ref.cases) if (!strings.has(name)) missing.push(`${ref.file}: case "${name}"`)
    }
    expect(missing).toEqual([])
  })
})
