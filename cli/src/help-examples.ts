// The text after each command's --help: examples an operator can copy, and what the output means.
export const EXAMPLES = {
  generate: `
Examples:
  $ tokens-done-right keys generate --out-dir ./keys --name 2025-06
  $ docker-compose run --rm keys node cli/bin.js keys generate --out-dir /run/keys/signing --name 2025-07`,
  id: `
Examples:
  $ tokens-done-right keys id k4.public.…
  $ tokens-done-right keys id @public-keys.txt     # one k4.pid per key, in order
  $ tokens-done-right keys id - < public-keys.txt`,
  mint: `
Examples:
  $ tokens-done-right token mint --key @keys/2025-06.k4.secret --file report.pdf \\
      --iss http://localhost:3000 --aud http://localhost:3001 --url http://localhost:3001
  $ curl -OJ "$(tokens-done-right token mint --key @signing-keys.txt … --url https://dl.example)"

--key @file reads a key file; with several keys in it (signing-keys.txt, newest last), the last.`,
  inspect: `
Examples:
  $ tokens-done-right token inspect v4.public.…
  $ tokens-done-right token inspect 'https://dl.example/d/v4.public.…' --keys @public-keys.txt \\
      --iss https://app.example --aud https://dl.example

Without --keys the report is UNVERIFIED: it shows what the token says, not whether it is true.
Exit status: 0 valid (or not checked), 2 the download server would refuse it, 1 bad arguments.`,
  usersAdd: `
Examples:
  $ read -rs PASSWORD && printf '%s\\n' "$PASSWORD" | tokens-done-right users add alice --data-dir ./data
  $ docker-compose exec -T app node cli/bin.js users add alice --admin --data-dir /data < password.txt`,
}
