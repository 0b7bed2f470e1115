import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import ts from 'typescript';
import { REPO_ROOT } from './shared.js';

/**
 * WebGPU in a real browser: Debian's headless Chromium (driven by playwright-core) with SwiftShader as the
 * adapter, and a small node:http server on 127.0.0.1 serving a blank page, edgec's runtime (runtime/*.ts
 * transpiled on request, so the page runs the sources under test), registered blobs (bundles, models) and
 * onnxruntime-web's files. Used by the browser test and by bench/webgpu.ts.
 */
export const CHROMIUM = '/usr/bin/chromium';

/** The flags TOOLCHAINS.md lists (no background networking: the machine reaches no outside hosts) plus WebGPU on SwiftShader. */
const FLAGS = [
  '--no-sandbox', '--disable-gpu-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--disable-quic', '--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader',
];

export function chromiumProblem(): string | null {
  return existsSync(CHROMIUM) ? null : `no Chromium at ${CHROMIUM} (apt-get install chromium; scripts/setup.sh)`;
}

const TYPES: Record<string, string> = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };

export interface BrowserSession {
  page: Page;
  origin: string;
  /** Serves `bytes` at `${origin}/blob/${name}`. */
  serve(name: string, bytes: Uint8Array): string;
  close(): Promise<void>;
}

function transpiledRuntime(file: string): string | null {
  const path = normalize(join(REPO_ROOT, 'runtime', file.replace(/\.js$/, '.ts')));
  if (!path.startsWith(join(REPO_ROOT, 'runtime')) || !existsSync(path)) return null;
  return ts.transpileModule(readFileSync(path, 'utf8'), { compilerOptions: { module: ts.ModuleKind.ES2022, target: ts.ScriptTarget.ES2022 } }).outputText;
}

function startServer(blobs: Map<string, Uint8Array>): Promise<Server> {
  const ortDir = join(REPO_ROOT, 'node_modules', 'onnxruntime-web', 'dist');
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const send = (status: number, type: string, body: string | Uint8Array) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    const path = url.pathname;
    if (path === '/') return send(200, 'text/html', '<!doctype html><meta charset="utf-8"><title>edgec webgpu</title><body></body>');
    if (path.startsWith('/runtime/')) {
      const code = transpiledRuntime(path.slice('/runtime/'.length));
      return code === null ? send(404, 'text/plain', 'not found') : send(200, 'text/javascript', code);
    }
    if (path.startsWith('/blob/')) {
      const blob = blobs.get(decodeURIComponent(path.slice('/blob/'.length)));
      return blob ? send(200, 'application/octet-stream', blob) : send(404, 'text/plain', 'not found');
    }
    if (path.startsWith('/ort/')) {
      const file = normalize(join(ortDir, path.slice('/ort/'.length)));
      if (!file.startsWith(ortDir) || !existsSync(file)) return send(404, 'text/plain', 'not found');
      return send(200, TYPES[file.slice(file.lastIndexOf('.'))] ?? 'application/octet-stream', readFileSync(file));
    }
    send(404, 'text/plain', 'not found');
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Starts the server and Chromium (a fresh profile: playwright gives every launch a new temporary user data dir). */
export async function openBrowser(): Promise<BrowserSession> {
  const blobs = new Map<string, Uint8Array>();
  const server = await startServer(blobs);
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
    const page = await browser.newPage();
    await page.goto(`${origin}/`);
    return {
      page,
      origin,
      serve(name, bytes) {
        blobs.set(name, bytes);
        return `${origin}/blob/${encodeURIComponent(name)}`;
      },
      async close() {
        await browser!.close();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  } catch (e) {
    await browser?.close();
    server.close();
    throw e;
  }
}

/**
 * Page-side helpers, installed as an ES module (kept as text so test transforms never touch it): `edgecPage`
 * loads a bundle from a URL with the runtime's load() on navigator.gpu and runs it on plain-array feeds.
 */
const PAGE_HELPERS = `
import { load } from '/runtime/index.js';
const models = new Map();
window.edgecPage = {
  async adapter() {
    const a = await navigator.gpu?.requestAdapter();
    return a ? a.info.vendor + '/' + a.info.architecture : 'none';
  },
  async load(name, url) {
    const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
    const model = await load(bytes);
    models.set(name, model);
    return { dispatches: model.dispatches.length, inputs: model.inputs, outputs: model.outputs };
  },
  async run(name, feeds) {
    const model = models.get(name);
    const typed = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, new Float32Array(v)]));
    const out = await model.run(typed);
    return Object.fromEntries(model.outputs.map((o) => [o.name, { shape: [...o.shape], data: Array.from(out[o.name]) }]));
  },
  // Runs on typed feeds without converting the outputs: what a timing loop measures.
  runTyped(name, typed) {
    return models.get(name).run(typed);
  },
  unload(name) {
    models.get(name)?.destroy();
    models.delete(name);
  },
};
`;

/** Installs `window.edgecPage` in the session's page. */
export async function installEdgecPage(session: BrowserSession): Promise<void> {
  await session.page.addScriptTag({ type: 'module', content: PAGE_HELPERS });
  await session.page.waitForFunction(() => 'edgecPage' in window);
}
