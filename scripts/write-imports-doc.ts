// Rewrites docs/IMPORTS.md from the import kinds.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { importsMarkdown } from '../packages/server/src/registry/imports-doc.ts';

const target = join(import.meta.dirname, '..', 'docs', 'IMPORTS.md');
writeFileSync(target, importsMarkdown());
console.log(`wrote ${target}`);
