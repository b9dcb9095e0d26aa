// Help texts, built from the command table so they cannot drift from what is parsed.
import { type Command, type Flag, globalFlags } from './command.ts';
import { exitCodeHelp } from './exit.ts';
import { columns } from './output.ts';

const indent = (text: string) =>
  text
    .split('\n')
    .map((line) => (line ? `  ${line}` : line))
    .join('\n');

function flagRows(flags: Record<string, Flag>): string {
  const rows = Object.entries(flags).map(([name, flag]) => {
    const short = 'short' in flag && flag.short ? `-${flag.short}, ` : '    ';
    const value = flag.type === 'string' ? ` ${flag.value ?? '<value>'}` : '';
    return [`${short}--${name}${value}`, flag.description];
  });
  return indent(columns(rows));
}

/** `platformctl tenants create <name> [flags]` */
export function usageLine(command: Command): string {
  const args = (command.positionals ?? []).map((p) => (p.required ? `<${p.name}>` : `[${p.name}]`));
  return ['platformctl', ...command.path, ...args, '[flags]'].join(' ');
}

export function commandHelp(command: Command): string {
  const sections = [`${command.summary}\n\nUsage:\n  ${usageLine(command)}`];
  if (command.description) sections.push(command.description);
  if (command.positionals?.length) {
    const rows = command.positionals.map((p) => [`<${p.name}>`, p.description]);
    sections.push(`Arguments:\n${indent(columns(rows))}`);
  }
  if (command.flags && Object.keys(command.flags).length) sections.push(`Flags:\n${flagRows(command.flags)}`);
  sections.push(`Global flags:\n${flagRows(globalFlags)}`);
  if (command.examples?.length) sections.push(`Examples:\n${indent(command.examples.join('\n'))}`);
  return `${sections.join('\n\n')}\n`;
}

export function groupHelp(group: string, summary: string, commands: readonly Command[]): string {
  const rows = commands.map((c) => [c.path.join(' '), c.summary]);
  return (
    `${summary}\n\nUsage:\n  platformctl ${group} <command> [flags]\n\n` +
    `Commands:\n${indent(columns(rows))}\n\n` +
    `Run 'platformctl ${group} <command> --help' for a command's flags.\n`
  );
}

export function rootHelp(commands: readonly Command[]): string {
  const rows = commands.map((c) => [c.path.join(' '), c.summary]);
  const codes = exitCodeHelp.map(([code, meaning]) => [code, meaning]);
  return [
    'platformctl: operate agentplane tenants, agents and clusters (control-plane API and kubeconfig)',
    'Usage:\n  platformctl <command> [subcommand] [arguments] [flags]',
    `Commands:\n${indent(columns(rows))}`,
    `Global flags:\n${flagRows(globalFlags)}`,
    'Environment:\n  AGENTPLANE_API_URL, AGENTPLANE_TOKEN, KUBECONFIG (the flags win)',
    `Exit codes:\n${indent(columns(codes))}`,
    "Run 'platformctl <command> --help' for more. Reference: docs/platformctl.md",
  ]
    .join('\n\n')
    .concat('\n');
}
