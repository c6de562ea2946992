import type { CaseResult } from './summarize.js'

const MiB = 2 ** 20

function fixed(value: number | undefined, digits: number): string {
  return value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits)
}

function thousands(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '-' : Math.round(value).toLocaleString('en-US')
}

function cpuPerUnit(result: CaseResult): string {
  if (result.cpuPerUnit === undefined) return '-'
  return result.unit === 'MB/s' ? `${fixed(result.cpuPerUnit, 2)} s/GiB` : `${fixed(result.cpuPerUnit, 0)} µs/req`
}

function memory(result: CaseResult): string {
  if (result.rssPeakBytes === undefined) return '-'
  return `${fixed((result.rssBeforeBytes ?? 0) / MiB, 0)}→${fixed(result.rssPeakBytes / MiB, 0)}`
}

export const TABLE_HEADER = ['case', 'median', 'unit', 'p50 ms', 'p99 ms', 'srv cores', 'srv CPU', 'RSS MiB', 'others', 'ratio', 'vs', 'target', 'verdict']
const LEFT_ALIGNED = new Set([0, 2, 10, 11, 12])

export function tableRows(results: readonly CaseResult[]): string[][] {
  return results.map((result) => {
    if (result.unavailable !== undefined || result.error !== undefined) {
      const why = result.unavailable !== undefined ? `n/a (${result.unavailable})` : `error: ${result.error}`
      return [result.id, why.split('\n')[0]!, ...TABLE_HEADER.slice(2).map(() => '')]
    }
    return [
      result.id,
      result.unit === 'MB/s' ? fixed(result.value, 0) : thousands(result.value),
      result.unit,
      fixed(result.p50Ms, 2),
      fixed(result.p99Ms, 2),
      fixed(result.serverCores, 2),
      cpuPerUnit(result),
      memory(result),
      fixed(result.otherCores, 2),
      result.ratio === undefined ? '-' : `${result.ratio.toFixed(2)}x`,
      result.baseline ?? '',
      result.target?.text ?? '',
      result.verdict ?? '',
    ]
  })
}

/** A plain text table; a row whose second cell is long (n/a, error) may overflow its column. */
export function formatTable(results: readonly CaseResult[]): string {
  const rows = [TABLE_HEADER, ...tableRows(results)]
  const widths = TABLE_HEADER.map((_, column) =>
    Math.max(...rows.filter((row) => row[2] !== '' || row === TABLE_HEADER).map((row) => row[column]!.length)),
  )
  const lines = rows.map((row) => {
    if (row[2] === '' && row !== TABLE_HEADER) return `${row[0]!.padEnd(widths[0]!)}  ${row[1]}`
    return row
      .map((cell, column) => (LEFT_ALIGNED.has(column) ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('  ')
      .trimEnd()
  })
  lines.splice(1, 0, widths.map((width) => '-'.repeat(width)).join('  '))
  const titles = results.map((result) => `  ${result.id.padEnd(widths[0]!)}  ${result.title}`)
  const problems = results.flatMap((result) => result.problems.map((problem) => `  ${result.id}: ${problem}`))
  return [
    ...lines,
    '',
    'cases:',
    ...titles,
    ...(problems.length > 0 ? ['', 'samples left out of the medians:', ...problems] : []),
  ].join('\n')
}

/** The same table in Markdown, for docs/benchmarks.md (written beside the JSON). */
export function formatMarkdownTable(results: readonly CaseResult[]): string {
  const escape = (cell: string): string => cell.replace(/\|/g, '\\|')
  const rows = tableRows(results).map((row) => `| ${[`\`${row[0]}\``, ...row.slice(1)].map(escape).join(' | ')} |`)
  const align = TABLE_HEADER.map((_, column) => (LEFT_ALIGNED.has(column) ? '---' : '---:'))
  return [`| ${TABLE_HEADER.join(' | ')} |`, `| ${align.join(' | ')} |`, ...rows].join('\n')
}
