// Records the hash of the sources the build came from, so that a Go test
// can tell when internal/ui/dist is stale.
import { writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sourceHash } from './sources.mjs'

const web = join(dirname(fileURLToPath(import.meta.url)), '..')
const hash = sourceHash(web)
writeFileSync(join(web, '..', 'internal', 'ui', 'dist', 'source.sha256'), hash + '\n')
console.log('internal/ui/dist built from web/ sources', hash)
