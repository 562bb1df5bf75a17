/**
 * The Node.js version check that runs before anything else is loaded: the CLI (`bin/firehook.js`)
 * and the package entry (`core/index.ts`, whose first import this module is) both need Node >= 24
 * (undici 8, isolated-vm 7 and the `node:` APIs they use). On an older Node the dependencies would
 * fail deep inside their own code (undici: "Cannot read properties of undefined (reading 'bind')"),
 * so this module says what is wrong and exits 2 first. It imports nothing, so it is evaluated before
 * any other module of the entry point.
 */
export const MIN_NODE_MAJOR = 24;

/** The one-line complaint for `version` (e.g. `v20.20.2`), or undefined when it is new enough. */
export function nodeVersionProblem(version: string = process.version): string | undefined {
  const major = Number(/^v?(\d+)\./.exec(version)?.[1]);
  if (Number.isFinite(major) && major >= MIN_NODE_MAJOR) return undefined;
  return `firehook needs Node.js >= ${MIN_NODE_MAJOR} (this is ${version})`;
}

const NODE_VERSION_HINT =
  `hint: install Node.js ${MIN_NODE_MAJOR} or newer and run firehook with it (node --version shows which one runs); ` +
  `inside a clone of the firehook repository, npm scripts (npm start, npm test) already run on the Node ${MIN_NODE_MAJOR} that its dev dependencies bring`;

/** Prints the problem and the hint on stderr and exits 2 when this Node is too old. */
function requireSupportedNode(): void {
  const problem = nodeVersionProblem();
  if (problem === undefined) return;
  process.stderr.write(`${problem}\n${NODE_VERSION_HINT}\n`);
  process.exit(2);
}

requireSupportedNode();
