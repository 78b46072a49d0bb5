#!/usr/bin/env node
// The `canbao` command. Node 24 strips TypeScript types, so the CLI runs straight from source.
// The compile cache keeps V8's compiled code between runs: loading the command's modules (the
// .xlsx, database and policy libraries) otherwise costs about a second on every start.
import { enableCompileCache } from 'node:module';

enableCompileCache();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
