/**
 * `npm run whoami -- --target host:port [--health [--service NAME]] [--timeout 5s] [--json]`
 *
 * Calls one whoami server once and prints the reply (or, with --health, its health status).
 * Exit codes: 0 answered / SERVING, 1 bad arguments, 2 unreachable, 3 the call failed, 4 not serving.
 */
import { Command, Option } from 'commander';
import { parseDuration, parseTarget } from './options';
import { Outcome, callWho, checkHealth, describeProblem, exitCodeOf, formatReply, replyToJson } from './whoami-client';

async function main(): Promise<void> {
  const program = new Command('whoami')
    .description('call a whoami server once and print which pod answered')
    .option('--target <host:port>', 'server to call', parseTarget, 'localhost:10000')
    .option('--health', 'ask grpc.health.v1 instead of calling Who', false)
    .option('--service <name>', 'with --health: the service to ask about (default: the server as a whole)', '')
    .addOption(new Option('--timeout <duration>', 'budget for connecting and the call').argParser(parseDuration).default(5000, '5s'))
    .addOption(new Option('--delay <duration>', 'ask the server to wait this long before answering Who (at most 10s)')
      .argParser(parseDuration).default(0, '0'))
    .option('--json', 'print the reply as JSON', false)
    .parse();
  const opts = program.opts<{ target: string; health: boolean; service: string; timeout: number; delay: number; json: boolean }>();

  const outcome: Outcome = opts.health
    ? await checkHealth(opts.target, { timeoutMs: opts.timeout, service: opts.service })
    : await callWho(opts.target, { timeoutMs: opts.timeout, delayMs: opts.delay });

  if (outcome.kind === 'answered') {
    process.stdout.write(`${opts.json ? JSON.stringify(replyToJson(outcome.reply)) : formatReply(outcome.reply)}\n`);
  } else if (outcome.kind === 'health') {
    process.stdout.write(`${opts.json ? JSON.stringify({ status: outcome.status }) : outcome.status}\n`);
  } else {
    process.stderr.write(`whoami: ${describeProblem(opts.target, outcome)}\n`);
  }
  process.exitCode = exitCodeOf(outcome);
}

void main();
