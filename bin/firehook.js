#!/usr/bin/env -S node --no-node-snapshot
// isolated-vm (loaded by the JS handler sandbox) needs --no-node-snapshot on Node >= 20.
import '../dist/core/cli/main.js';
