#!/usr/bin/env -S node --import tsx
// Runs the TypeScript sources directly (no build), for development.
import {fileURLToPath} from 'node:url'

import {execute} from '@oclif/core'

// The package root itself: from bin/, oclif would stop at bin/package.json (see bin/run.js).
await execute({development: true, dir: fileURLToPath(new URL('..', import.meta.url))})
