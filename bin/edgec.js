#!/usr/bin/env node
// The edgec command: runs the compiled CLI (npm's prepare script builds dist/ with tsc).
import '../dist/compiler/cli/main.js';
