/**
 * The parts of the Locust runner that need no Python: reading Locust's CSV files and the master's
 * worker report, finding the interpreter, the CLI's run time and summary. The real runs are in
 * locust.int.test.ts.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { formatSummary, parseRunTime } from './cli';
import {
  LocalRunResult, WHOAMI_LOCUSTFILE, locustPython, parseFailuresCsv, parseStatsCsv, parseWorkerRequests, runLocal,
} from './locust';

// As Locust 2.12 writes it (Python's csv module: CRLF line ends, quotes only where needed).
const STATS_CSV = [
  'Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,Max Response Time,'
  + 'Average Content Size,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%',
  'grpc,whoami.v1.WhoAmI/Who,116,3,3,9.674471974145444,1.6483269998843753,150.04036799996356,56.0,19.32,0.5,3,5,6,6,12,65,110,120,150,150,150',
  'grpc,"odd,name",0,0,0,0.0,0,0,0,0.0,0.0,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A,N/A',
  ',Aggregated,116,3,3,9.674471974145444,1.6483269998843753,150.04036799996356,56.0,19.32,0.5,3,5,6,6,12,65,110,120,150,150,150',
  '',
].join('\r\n');

describe('parseStatsCsv', () => {
  const rows = parseStatsCsv(STATS_CSV);

  test('one row per RPC plus Aggregated, every number by name', () => {
    expect(rows.map((r) => [r.type, r.name])).toEqual([['grpc', 'whoami.v1.WhoAmI/Who'], ['grpc', 'odd,name'], ['', 'Aggregated']]);
    expect(rows[0]).toMatchObject({
      requests: 116, failures: 3, medianMs: 3, minMs: 1.6483269998843753, maxMs: 150.04036799996356,
      averageSizeBytes: 56, requestsPerSecond: 19.32, failuresPerSecond: 0.5,
    });
    expect(rows[0].averageMs).toBeCloseTo(9.674, 3);
    expect(rows[0].percentilesMs).toMatchObject({ '50%': 3, '95%': 65, '99.9%': 150, '100%': 150 });
  });

  test('N/A percentiles are left out', () => {
    expect(rows[1].percentilesMs).toEqual({});
  });

  test('a file without a column Locust writes is refused, naming the column', () => {
    expect(() => parseStatsCsv('Type,Name\r\ngrpc,x\r\n', 'run_stats.csv'))
      .toThrow(/^run_stats\.csv: no column "Request Count", "Failure Count"/);
  });

  test('a cell that is not a number is refused, naming the column and the value', () => {
    expect(() => parseStatsCsv(STATS_CSV.replace(',116,3,', ',many,3,'))).toThrow('stats csv: Request Count "many" is not a number');
  });
});

test('parseFailuresCsv reads the error and its occurrences', () => {
  const csv = 'Method,Name,Error,Occurrences\r\ngrpc,whoami.v1.WhoAmI/Who,GrpcCallError(\'UNAVAILABLE: injected failure\'),58\r\n';
  expect(parseFailuresCsv(csv)).toEqual([
    { method: 'grpc', name: 'whoami.v1.WhoAmI/Who', error: 'GrpcCallError(\'UNAVAILABLE: injected failure\')', occurrences: 58 },
  ]);
  expect(parseFailuresCsv('Method,Name,Error,Occurrences\r\n')).toEqual([]);
});

describe('parseWorkerRequests', () => {
  const line = '[2026-01-01 00:00:00,000] vm/INFO/mega8s.loadtest: worker requests: {"vm_a": 56, "vm_b": 60}';

  test('reads the last report line of the master log', () => {
    expect(parseWorkerRequests(`Waiting for workers\n${line.replace('56', '1')}\n${line}\nShutting down (exit code 0)\n`))
      .toEqual({ vm_a: 56, vm_b: 60 });
  });

  test('undefined when the master logged none (it never got to quit normally)', () => {
    expect(parseWorkerRequests('Gave up waiting for workers to connect\n')).toBeUndefined();
  });

  test('a report that is not an object of counts is refused', () => {
    expect(() => parseWorkerRequests('worker requests: {"vm_a": "many"}')).toThrow(/not an object of counts/);
  });
});

describe('locustPython', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mega8s-locust-path-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const withLocust = (firstLine: string): string => {
    const bin = path.join(dir, 'bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(path.join(bin, 'locust'), `${firstLine}\nimport locust\n`);
    return bin;
  };

  test('LOCUST_PYTHON wins', () => {
    expect(locustPython({ LOCUST_PYTHON: '/opt/py/bin/python3', PATH: withLocust('#!/usr/bin/python3') })).toBe('/opt/py/bin/python3');
  });

  test('the interpreter on the first line of the locust command on PATH', () => {
    expect(locustPython({ PATH: [path.join(dir, 'empty'), withLocust('#!/usr/bin/python3')].join(path.delimiter) })).toBe('/usr/bin/python3');
  });

  test('#!/usr/bin/env python3 names its argument', () => {
    expect(locustPython({ PATH: withLocust('#!/usr/bin/env python3.11') })).toBe('python3.11');
  });

  test('python3 when there is no locust on PATH', () => {
    expect(locustPython({ PATH: path.join(dir, 'nothing') })).toBe('python3');
  });
});

describe('parseRunTime', () => {
  test('whole seconds', () => {
    expect(parseRunTime('10s')).toBe(10);
    expect(parseRunTime('2m')).toBe(120);
    expect(parseRunTime('15')).toBe(15);
  });

  test('less than a second or a fraction of one is refused', () => {
    expect(() => parseRunTime('500ms')).toThrow('"500ms" is not a whole number of seconds (at least 1s)');
    expect(() => parseRunTime('1.5s')).toThrow('"1.5s" is not a whole number of seconds (at least 1s)');
    expect(() => parseRunTime('soon')).toThrow(/is not a duration/);
  });
});

test('formatSummary: the RPC rows, failures, the workers that reported and the exit code', () => {
  const result: LocalRunResult = {
    exitCode: 1, timedOut: false, aborted: false, workerExitCodes: [0, 0],
    stats: parseStatsCsv(STATS_CSV),
    failures: [{ method: 'grpc', name: 'whoami.v1.WhoAmI/Who', error: 'UNAVAILABLE: injected failure', occurrences: 3 }],
    workerRequests: { vm_a: 56, vm_b: 60 }, masterLog: '', workerLogs: ['', ''],
    outDir: '/tmp/run', statsCsv: '/tmp/run/locust_stats.csv', htmlReport: '/tmp/run/locust-report.html',
  };
  const summary = formatSummary(result).split('\n');
  expect(summary[1]).toMatch(/^whoami\.v1\.WhoAmI\/Who\s+116\s+3\s+9\.7\s+65\s+150\.0\s+19\.3$/);
  expect(summary).toContain('failure: whoami.v1.WhoAmI/Who: UNAVAILABLE: injected failure x3');
  expect(summary).toContain('workers that reported: 2 (vm_a: 56, vm_b: 60)');
  expect(summary).toContain('locust master exit code: 1');
});

describe('runLocal refuses bad options before starting anything', () => {
  const base = { target: '127.0.0.1:1', outDir: path.join(os.tmpdir(), 'mega8s-never-written'), stubsDir: '/nonexistent' };

  test.each([
    [{ workers: 0 }, 'runLocal: workers 0 is not an integer >= 1'],
    [{ runTimeSeconds: 1.5 }, 'runLocal: runTimeSeconds 1.5 is not an integer >= 1'],
    [{ users: -1 }, 'runLocal: users -1 is not an integer >= 1'],
    [{ spawnRate: 0 }, 'runLocal: spawnRate 0 is not a positive number'],
    [{ locustfile: '/nonexistent/locustfile.py' }, 'runLocal: locustfile /nonexistent/locustfile.py does not exist'],
  ])('%j', async (bad, message) => {
    await expect(runLocal({ ...base, ...bad })).rejects.toThrow(message);
    expect(fs.existsSync(base.outDir)).toBe(false);
  });

  test('the default locustfile is the whoami one, and it exists', () => {
    expect(fs.existsSync(WHOAMI_LOCUSTFILE)).toBe(true);
  });
});

test('runLocal with an interpreter that does not exist ends at once: no exit code, the error in the logs, no reports', async () => {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mega8s-no-python-'));
  try {
    const began = Date.now();
    const result = await runLocal({ target: '127.0.0.1:1', outDir, stubsDir: outDir, python: '/nonexistent/python3', workers: 2 });
    expect(Date.now() - began).toBeLessThan(10_000);
    expect(result).toMatchObject({ exitCode: null, timedOut: false, stats: [], failures: [], workerRequests: undefined, workerExitCodes: [null, null] });
    expect(result.masterLog).toContain('master: spawn /nonexistent/python3 ENOENT');
    expect(fs.readFileSync(path.join(outDir, 'worker-2.log'), 'utf8')).toContain('worker-2: spawn /nonexistent/python3 ENOENT');
  } finally {
    fs.rmSync(outDir, { recursive: true, force: true });
  }
});
