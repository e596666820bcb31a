#!/usr/bin/env node
// The `bridge` executable: runs the TypeScript CLI through tsx, so there is no build step to forget.
require('tsx/cjs');
require('./bridge.ts').runCli(process.argv);
