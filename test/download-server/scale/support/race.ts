import { request } from 'undici'

export interface RaceOutcome {
  /** Per token: the status of every racing request, in the order they were sent. */
  statuses: number[][]
  /** Per token: the index of the server that answered 200 (undefined when none did). */
  winners: Array<number | undefined>
}

/**
 * For one token after another, `perServer` requests to each server at once, in a shuffled
 * order so that no server is always asked first. One token at a time keeps each race tight:
 * with every token in flight together, whichever process gets the CPU first wins them all.
 */
export async function raceTokens(servers: readonly string[], tokens: readonly string[], perServer: number): Promise<RaceOutcome> {
  const outcome: RaceOutcome = { statuses: [], winners: [] }
  for (const token of tokens) {
    const targets = shuffle(servers.flatMap((_, index) => Array.from({ length: perServer }, () => index)))
    const answers = await Promise.all(
      targets.map(async (index) => {
        const res = await request(`${servers[index]!}/d/${token}`)
        await res.body.arrayBuffer()
        return { index, status: res.statusCode }
      }),
    )
    outcome.statuses.push(answers.map((answer) => answer.status))
    outcome.winners.push(answers.find((answer) => answer.status === 200)?.index)
  }
  return outcome
}

/** Tokens that did not get exactly one 200 and otherwise only 410s, with what they got. */
export function notServedExactlyOnce(outcome: RaceOutcome): string[] {
  return outcome.statuses
    .filter((statuses) => statuses.filter((status) => status === 200).length !== 1 || statuses.some((status) => status !== 200 && status !== 410))
    .map((statuses) => statuses.join(','))
}

function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[items[i], items[j]] = [items[j]!, items[i]!]
  }
  return items
}
