/**
 * Builds the frontend's page with esbuild: web/app.ts (and what it imports) bundled into one
 * app.js; web/index.html, web/app.css and web/favicon.svg copied next to it. No install script is
 * involved: esbuild ships its binary as an optional dependency (@esbuild/<platform>).
 *
 *   npm run kube-alive:page [-- <outDir>]      (default lib/kube-alive/web/build)
 */
import * as esbuild from 'esbuild';
import * as fs from 'fs';
import * as path from 'path';

export const WEB_DIR = path.join(__dirname, 'web');
export const DEFAULT_PAGE_DIR = path.join(WEB_DIR, 'build');

export async function buildPage(outDir: string = DEFAULT_PAGE_DIR): Promise<string> {
  fs.mkdirSync(outDir, { recursive: true });
  await esbuild.build({
    entryPoints: [path.join(WEB_DIR, 'app.ts')],
    outfile: path.join(outDir, 'app.js'),
    bundle: true,
    format: 'iife',
    target: ['es2022'],
    minify: true,
    sourcemap: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  for (const file of ['index.html', 'app.css', 'favicon.svg']) fs.copyFileSync(path.join(WEB_DIR, file), path.join(outDir, file));
  return outDir;
}

if (require.main === module) {
  buildPage(process.argv[2] ? path.resolve(process.argv[2]) : undefined).then(
    (dir) => console.log(`kube-alive page built in ${dir}`),
    (err: Error) => { console.error(err.message); process.exit(1); },
  );
}
