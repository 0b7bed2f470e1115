import { closeSync, fstatSync, lstatSync, openSync, readSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { EdgecError } from '../../ir/index.js';
import type { TensorProto } from './proto.js';

/**
 * Reads a tensor's external data (TensorProto.data_location = EXTERNAL). A model is untrusted input, so the
 * `location` it names must stay inside the model's folder: no absolute paths, no '..' escapes, no symlinks,
 * and the resolved real path must still be inside the folder. Offset and length are checked against the file
 * and the tensor's expected byte size before anything is read.
 */
export function readExternalData(tensor: TensorProto, expectedBytes: number, modelFile: string | undefined): Uint8Array {
  const name = tensor.name ?? '';
  const entries = new Map<string, string>();
  for (const e of tensor.externalData ?? []) entries.set(e.key ?? '', e.value ?? '');
  const location = entries.get('location') ?? '';
  const fail = (message: string): never => {
    throw new EdgecError('ONNX_EXTERNAL_DATA', `tensor '${name}': ${message}`, { file: modelFile });
  };
  if (!modelFile) fail(`its data is stored externally in '${location}'; the model's file path is needed to find it (pass options.file)`);
  if (!location) fail('external data has no location');
  if (isAbsolute(location) || /^[A-Za-z]:[\\/]/.test(location) || location.startsWith('\\')) {
    fail(`external data path '${location}' is absolute; only paths inside the model's folder are allowed`);
  }
  const folder = resolve(dirname(modelFile!));
  const target = resolve(folder, location);
  const rel = relative(folder, target);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    fail(`external data path '${location}' leaves the model's folder`);
  }

  let stat;
  try {
    stat = lstatSync(target);
  } catch {
    return fail(`external data file '${location}' does not exist`);
  }
  if (stat.isSymbolicLink()) fail(`external data path '${location}' is a symbolic link, which is not allowed`);
  if (!stat.isFile()) fail(`external data path '${location}' is not a regular file`);
  let realFolder: string;
  let realTarget: string;
  try {
    realFolder = realpathSync(folder);
    realTarget = realpathSync(target);
  } catch {
    return fail(`external data path '${location}' cannot be resolved`);
  }
  const realRel = relative(realFolder, realTarget);
  if (realRel === '' || realRel === '..' || realRel.startsWith(`..${sep}`) || isAbsolute(realRel)) {
    fail(`external data path '${location}' resolves outside the model's folder`);
  }

  const offset = parseSize(entries.get('offset'), 'offset', fail) ?? 0;
  const fd = openSync(realTarget, 'r');
  try {
    const size = fstatSync(fd).size;
    const length = parseSize(entries.get('length'), 'length', fail) ?? size - offset;
    if (offset > size || offset + length > size) {
      fail(`external data range offset ${offset} + length ${length} is beyond the end of '${location}' (${size} bytes)`);
    }
    if (length !== expectedBytes) fail(`external data length ${length} does not match the tensor's size of ${expectedBytes} bytes`);
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = readSync(fd, out, done, length - done, offset + done);
      if (n <= 0) fail(`external data file '${location}' ended early`);
      done += n;
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

function parseSize(text: string | undefined, what: string, fail: (m: string) => never): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim())) fail(`external data ${what} '${text}' is not a non-negative integer`);
  const v = Number(text.trim());
  if (!Number.isSafeInteger(v)) fail(`external data ${what} '${text}' is too large`);
  return v;
}
