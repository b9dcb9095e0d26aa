// Parses the command line with node:util parseArgs, dispatches to the command, prints its result in
// the chosen format, and turns every failure into a message on stderr and an exit code.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { createApiClient } from './api.ts';
import { type Command, type Context, type Flag, globalFlags, type Input } from './command.ts';
import { commandGroups, commands } from './commands/index.ts';
import { CliError, type ExitCode, exitCodes, usageError } from './exit.ts';
import { commandHelp, groupHelp, rootHelp, usageLine } from './help.ts';
import type { Kube } from './kube.ts';
import { type OutputFormat, outputFormats, render } from './output.ts';

export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

export const version: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

const globalValueFlags = new Set(
  Object.entries(globalFlags).flatMap(([name, flag]) =>
    flag.type === 'string' ? [`--${name}`, ...('short' in flag ? [`-${flag.short}`] : [])] : [],
  ),
);

/** Indices of the words before any command flag: the command, then its subcommand. */
function commandWords(args: readonly string[]): number[] {
  const found: number[] = [];
  for (let i = 0; i < args.length && found.length < 2; i++) {
    const arg = args[i] ?? '';
    if (arg === '--') break;
    if (arg.startsWith('-')) {
      if (globalValueFlags.has(arg)) i++;
      else if (found.length > 0) break; // a command's own flag: its subcommand came before it
      continue;
    }
    found.push(i);
  }
  return found;
}

type Resolved =
  | { kind: 'command'; command: Command; rest: string[] }
  | { kind: 'group'; group: string; rest: string[] }
  | { kind: 'root'; rest: string[] };

function resolve(args: readonly string[]): Resolved {
  const [first, second] = commandWords(args);
  const word = (i: number | undefined) => (i === undefined ? undefined : args[i]);
  const without = (...indices: Array<number | undefined>) => args.filter((_, i) => !indices.includes(i));
  const name = word(first);
  if (name === undefined) return { kind: 'root', rest: [...args] };
  const group = commandGroups[name];
  if (!group) {
    const command = commands.find((c) => c.path.length === 1 && c.path[0] === name);
    if (!command) throw usageError(`unknown command "${name}"`, "run 'platformctl --help' for the commands");
    return { kind: 'command', command, rest: without(first) };
  }
  const sub = word(second);
  if (sub === undefined) return { kind: 'group', group: name, rest: without(first) };
  const command = commands.find((c) => c.path[0] === name && c.path[1] === sub);
  if (!command)
    throw usageError(
      `unknown command "${name} ${sub}"`,
      `${name} has: ${group.commands.join(', ')} (run 'platformctl ${name} --help')`,
    );
  return { kind: 'command', command, rest: without(first, second) };
}

function parse(args: string[], flags: Record<string, Flag>, usage: string) {
  const options = Object.fromEntries(
    Object.entries(flags).map(([name, flag]) => [
      name,
      {
        type: flag.type,
        ...(flag.short ? { short: flag.short } : {}),
        ...(flag.multiple ? { multiple: true } : {}),
      },
    ]),
  );
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (error) {
    // parseArgs' first sentence names the flag ("Unknown option '--tire'"); the rest is noise here.
    const message = (error as Error).message.split(/\.(?: |$)/)[0] ?? (error as Error).message;
    throw usageError(message, `usage: ${usage}`);
  }
}

function outputOf(value: unknown): OutputFormat {
  if (value === undefined) return 'table';
  if (typeof value === 'string' && (outputFormats as readonly string[]).includes(value))
    return value as OutputFormat;
  throw usageError(`-o must be one of ${outputFormats.join(', ')}, got "${String(value)}"`);
}

function contextOf(flags: Input['flags'], io: Io): Context {
  const str = (name: string) => (typeof flags[name] === 'string' ? (flags[name] as string) : undefined);
  let kube: Promise<Kube> | undefined;
  return {
    env: io.env,
    output: outputOf(flags.output),
    note: (line) => io.stderr.write(`${line}\n`),
    interactive: Boolean(io.stderr.isTTY),
    stderr: io.stderr,
    api: () =>
      createApiClient({
        baseUrl: str('api-url') ?? io.env.AGENTPLANE_API_URL ?? 'http://127.0.0.1:8080',
        token: str('token') ?? io.env.AGENTPLANE_TOKEN,
      }),
    kube: () => {
      // Loaded on demand: client-node takes longer to import than most commands take to run.
      kube ??= import('./kube.ts').then(({ createKube, resolveKubeconfig }) =>
        createKube(resolveKubeconfig(str('kubeconfig'), io.env)),
      );
      return kube;
    },
  };
}

function checkPositionals(command: Command, positionals: string[]) {
  const expected = command.positionals ?? [];
  const missing = expected.slice(positionals.length).find((p) => p.required);
  if (missing) throw usageError(`missing argument <${missing.name}>`, `usage: ${usageLine(command)}`);
  if (positionals.length > expected.length)
    throw usageError(`unexpected argument "${positionals[expected.length]}"`, `usage: ${usageLine(command)}`);
}

/** The help `--help` asks for at this level of the command tree. */
function helpOf(resolved: Resolved): string {
  if (resolved.kind === 'command') return commandHelp(resolved.command);
  if (resolved.kind === 'root') return rootHelp(commands);
  const group = resolved.group;
  return groupHelp(
    group,
    commandGroups[group]?.summary ?? '',
    commands.filter((c) => c.path[0] === group),
  );
}

async function dispatch(args: readonly string[], io: Io): Promise<ExitCode> {
  const resolved = resolve(args);
  const flagSet: Record<string, Flag> =
    resolved.kind === 'command' ? { ...globalFlags, ...resolved.command.flags } : globalFlags;
  const usage = resolved.kind === 'command' ? usageLine(resolved.command) : 'platformctl <command> [flags]';
  const { values, positionals } = parse(resolved.rest, flagSet, usage);
  // `agents deploy --version 2.1.0` is the command's own flag (a string), not the global one.
  if (values.version === true || values.help) {
    io.stdout.write(values.version === true ? `platformctl ${version}\n` : helpOf(resolved));
    return exitCodes.ok;
  }
  if (resolved.kind === 'root') {
    io.stderr.write(rootHelp(commands));
    throw usageError('missing command', "run 'platformctl --help'");
  }
  if (resolved.kind === 'group') {
    const names = commandGroups[resolved.group]?.commands.join(', ');
    throw usageError(
      `"${resolved.group}" needs a command: ${names}`,
      `usage: platformctl ${resolved.group} <command>`,
    );
  }
  const { command } = resolved;
  checkPositionals(command, positionals);
  const context = contextOf(values, io);
  const result = await command.run(context, { flags: values, positionals });
  io.stdout.write(render(result, context.output));
  if (result.error) throw result.error;
  return exitCodes.ok;
}

/** Runs platformctl with `args` (argv without node and script); resolves with the exit code. */
export async function run(args: readonly string[], io: Io): Promise<ExitCode> {
  try {
    return await dispatch(args, io);
  } catch (error) {
    if (!(error instanceof CliError)) {
      io.stderr.write(`error: ${(error as Error).stack ?? String(error)}\n`);
      return exitCodes.failure;
    }
    io.stderr.write(`error: ${error.message}\n`);
    if (error.hint) io.stderr.write(`  ${error.hint}\n`);
    return error.exitCode;
  }
}
