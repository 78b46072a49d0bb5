#!/usr/bin/env node
// The `canbao` command. Node 24 strips TypeScript types, so the CLI runs straight from source.
import { main } from '../src/cli/main.ts';

process.exitCode = await main(process.argv.slice(2));
