import type { CaseResult } from './summarize.js'

function escapeXML(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

function absolute(result: CaseResult): string {
  const value = result.value ?? 0
  return result.unit === 'MB/s' ? `${Math.round(value)} MB/s` : `${Math.round(value).toLocaleString('en-US')} ${result.unit}`
}

/**
 * A horizontal bar chart of each case's ratio to its baseline (same run), with the issue's
 * target drawn as a tick on the bar's scale. Hand-built: a few rectangles and labels.
 */
export function renderChart(results: readonly CaseResult[], caption: string): string {
  // Every case that has a baseline gets a row; one that could not be measured says why.
  const rows = results.filter((result) => result.baseline !== undefined)
  const baselines = results.filter((result) => result.baseline === undefined && result.value !== undefined)
  const width = 1060
  const labelWidth = 360
  const barWidth = 420
  const rowHeight = 34
  const top = 56
  const height = top + rows.length * rowHeight + 76
  const maxRatio = Math.max(1.2, ...rows.map((r) => Math.max(r.ratio ?? 0, r.target?.minRatio ?? 0))) * 1.08
  const x = (ratio: number): number => labelWidth + (ratio / maxRatio) * barWidth
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="13">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="16" y="26" font-size="16" font-weight="600">Each case ÷ its baseline in the same run (median of rounds)</text>`,
    `<text x="16" y="44" fill="#555">bar: measured ratio (green: issue 6 target met, orange: missed, blue: no target) · black tick: the target ratio</text>`,
  ]
  for (const tick of [0, 0.5, 1, 1.5, 2, 2.5, 3, 4, 5].filter((t) => t <= maxRatio)) {
    parts.push(`<line x1="${x(tick)}" y1="${top - 4}" x2="${x(tick)}" y2="${top + rows.length * rowHeight}" stroke="#e2e2e2"/>`)
    parts.push(`<text x="${x(tick)}" y="${top + rows.length * rowHeight + 16}" text-anchor="middle" fill="#777">${tick}×</text>`)
  }
  rows.forEach((result, index) => {
    const y = top + index * rowHeight
    parts.push(`<text x="${labelWidth - 10}" y="${y + 20}" text-anchor="end">${escapeXML(result.title)}</text>`)
    if (result.ratio === undefined) {
      const why = result.unavailable !== undefined ? `n/a: ${result.unavailable}` : result.error !== undefined ? 'error (see the table)' : 'not measured'
      parts.push(`<text x="${labelWidth + 6}" y="${y + 20}" fill="#888" font-style="italic">${escapeXML(why)}</text>`)
      return
    }
    const ratio = result.ratio
    const met = result.verdict === undefined || result.verdict === 'met'
    const colour = result.target === undefined ? '#8aa4c8' : met ? '#3f9b5a' : '#d0713c'
    parts.push(`<rect x="${labelWidth}" y="${y + 7}" width="${Math.max(1, x(ratio) - labelWidth).toFixed(1)}" height="18" fill="${colour}"/>`)
    const minRatio = result.target?.minRatio
    if (minRatio !== undefined) {
      parts.push(`<line x1="${x(minRatio)}" y1="${y + 3}" x2="${x(minRatio)}" y2="${y + 29}" stroke="#111" stroke-width="2"/>`)
    }
    const label = `${ratio.toFixed(2)}× vs ${result.baseline ?? ''} · ${absolute(result)}`
    parts.push(`<text x="${labelWidth + barWidth + 12}" y="${y + 20}" fill="#333">${escapeXML(label)}</text>`)
  })
  const baselineText = baselines.map((result) => `${result.id} ${absolute(result)}`).join(' · ')
  parts.push(`<text x="16" y="${height - 34}" fill="#555">baselines in this run: ${escapeXML(baselineText)}</text>`)
  parts.push(`<text x="16" y="${height - 14}" fill="#555">${escapeXML(caption)}</text>`)
  parts.push('</svg>')
  return `${parts.join('\n')}\n`
}
