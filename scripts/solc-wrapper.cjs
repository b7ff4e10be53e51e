#!/usr/bin/env node
// Native-solc-compatible command line front end for the npm `solc` package
// (solc-js / soljson). Installed by scripts/bootstrap-tools.sh as
// `.tools/bin/solc` (a tiny launcher that requires this file) so that forge
// can use it through `solc = ".tools/bin/solc"` in foundry.toml without ever
// downloading a native compiler.
//
// Supported (what forge / foundry-compilers needs):
//   solc --version                      -> native solc's two-line banner
//   solc [flags] --standard-json [-]    -> standard JSON in on stdin, out on stdout
// Path flags (--base-path, --include-path, --allow-paths, both `--flag value`
// and `--flag=value`) become roots for the import callback; all other flags
// are ignored. Debugging: set ZKINFER_SOLC_LOG=/some/file to append each
// invocation's argv and cwd to that file.
'use strict';

const fs = require('fs');
const path = require('path');

const BANNER = 'solc, the solidity compiler commandline interface';

function fail(msg, code = 1) {
  process.stderr.write(`solc-wrapper: ${msg}\n`);
  process.exitCode = code;
}

// Locate the npm `solc` package: explicit override, then the project-local
// `.tools/node_modules` (this file lives in <repo>/scripts/), then Node's usual
// resolution.
function loadSolc() {
  const candidates = [];
  if (process.env.ZKINFER_SOLC_MODULE) candidates.push(process.env.ZKINFER_SOLC_MODULE);
  candidates.push(path.join(__dirname, '..', '.tools', 'node_modules', 'solc'));
  for (const c of candidates) {
    if (fs.existsSync(path.join(c, 'package.json'))) return require(c);
  }
  try {
    return require('solc');
  } catch (e) {
    throw new Error(
      'npm package `solc` not found; run scripts/bootstrap-tools.sh ' +
        `(looked in ${candidates.join(', ')} and Node's module path)`,
    );
  }
}

function parseArgs(argv) {
  const opts = { version: false, help: false, standardJson: false, roots: [], ignored: [] };
  const PATH_FLAGS = new Set(['--base-path', '--include-path', '--allow-paths']);
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    if (arg === '--version' || arg === '-v') opts.version = true;
    else if (arg === '--help' || arg === '-h') opts.help = true;
    else if (arg === '--standard-json') opts.standardJson = true;
    else if (arg === '-') {
      /* stdin marker, implied by --standard-json */
    } else if (PATH_FLAGS.has(arg)) {
      if (value === undefined) value = argv[++i];
      if (value === undefined) continue;
      // --allow-paths takes a comma-separated list.
      for (const p of value.split(',')) if (p) opts.roots.push(p);
    } else {
      opts.ignored.push(argv[i]);
    }
  }
  return opts;
}

function makeImportCallback(roots) {
  const cwd = process.cwd();
  const bases = [cwd, ...roots.map((r) => path.resolve(cwd, r))];
  const uniq = [...new Set(bases)];
  return function findImport(importPath) {
    const tried = [];
    const candidates = path.isAbsolute(importPath)
      ? [importPath]
      : uniq.map((b) => path.join(b, importPath));
    for (const c of candidates) {
      tried.push(c);
      try {
        if (fs.statSync(c).isFile()) return { contents: fs.readFileSync(c, 'utf8') };
      } catch (_) {
        /* try next */
      }
    }
    return { error: `File not found: ${importPath} (tried ${tried.join(', ')})` };
  };
}

function readStdin() {
  // fd 0 read works for pipes and files alike.
  return fs.readFileSync(0, 'utf8');
}

function main() {
  const argv = process.argv.slice(2);
  if (process.env.ZKINFER_SOLC_LOG) {
    try {
      fs.appendFileSync(
        process.env.ZKINFER_SOLC_LOG,
        JSON.stringify({ cwd: process.cwd(), argv }) + '\n',
      );
    } catch (_) {
      /* logging is best effort */
    }
  }
  const opts = parseArgs(argv);

  if (opts.help) {
    process.stdout.write(
      `${BANNER}\n\nThis is a solc-js based shim (scripts/solc-wrapper.cjs).\n` +
        'Supported: --version, --standard-json (with --base-path/--include-path/--allow-paths).\n',
    );
    return;
  }

  let solc;
  try {
    solc = loadSolc();
  } catch (e) {
    return fail(e.message);
  }

  if (opts.version) {
    // solc.version() is e.g. "0.8.30+commit.73712a01.Emscripten.clang";
    // native prints "Version: 0.8.30+commit.73712a01.Linux.g++".
    process.stdout.write(`${BANNER}\nVersion: ${solc.version()}\n`);
    return;
  }

  if (!opts.standardJson) {
    return fail(
      `only --version and --standard-json are supported by this solc-js shim (got: ${argv.join(' ') || '<no args>'})`,
    );
  }

  const input = readStdin();
  let output;
  try {
    output = solc.compile(input, { import: makeImportCallback(opts.roots) });
  } catch (e) {
    // Report like native solc: a JSON error object, exit 0.
    output = JSON.stringify({
      errors: [
        {
          component: 'general',
          formattedMessage: `solc-js threw: ${e && e.message}`,
          message: `solc-js threw: ${e && e.message}`,
          severity: 'error',
          type: 'InternalCompilerError',
        },
      ],
    });
  }
  // No process.exit(): let Node flush large outputs to a pipe completely.
  process.stdout.write(output);
  process.stdout.write('\n');
}

main();
