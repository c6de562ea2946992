#!/usr/bin/env node
// The package's `bin`: runs the TypeScript CLI through tsx's loader, so there is no build step.
// The project's tsconfig is named explicitly: the caller's working directory may hold another.
import { fileURLToPath } from 'node:url'
import { register } from 'tsx/esm/api'

register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) })
await import('./src/main.ts')
