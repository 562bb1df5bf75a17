#!/usr/bin/env -S node --no-node-snapshot
// isolated-vm (loaded by the JS handler sandbox) needs --no-node-snapshot on Node >= 20.
// The version check comes first and imports nothing; the CLI is loaded only once it passed.
import '../dist/core/node-version.js';

await import('../dist/core/cli/main.js');
