/**
 * `canbao` for the withholding CLI test. When cli/main.ts registers the withholding commands this
 * is exactly the real binary; until then it adds them to the real program and reports errors as
 * main() does for them (expected errors in Chinese on stderr, exit 2).
 */
import { CommanderError } from 'commander';
import { InputError } from '../src/cli/io.ts';
import { buildProgram, main } from '../src/cli/main.ts';
import { registerWithholding } from '../src/cli/withholding.ts';
import { CollectionError } from '../src/collection/context.ts';

const args = process.argv.slice(2);
const program = buildProgram();
if (program.commands.some((c) => c.name() === 'batch')) {
  process.exitCode = await main(args);
} else {
  registerWithholding(program);
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) process.exitCode = error.exitCode === 0 ? 0 : 2;
    else if (error instanceof CollectionError || error instanceof InputError) {
      process.stderr.write(`${error.message}\n`);
      process.exitCode = 2;
    } else throw error;
  }
}
