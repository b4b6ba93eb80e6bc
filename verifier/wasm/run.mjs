// Runs the built module in Node on a request file (written by
// `ZKBACKUP_WASM_REQUEST=<file> cargo test -p zkbackup-verifier-wasm`): the honest request,
// then the same with another root. Usage: node verifier/wasm/run.mjs <module.wasm> <request.json>
import fs from "node:fs";
const [wasmPath, reqPath] = process.argv.slice(2);
const { instance } = await WebAssembly.instantiate(fs.readFileSync(wasmPath), {});
const { memory, alloc, verify, message_ptr, message_len } = instance.exports;
const run = (text) => {
  const bytes = new TextEncoder().encode(text);
  const ptr = alloc(bytes.length);
  new Uint8Array(memory.buffer, ptr, bytes.length).set(bytes);
  const t = performance.now();
  const code = verify(ptr, bytes.length);
  const ms = performance.now() - t;
  const msg = new TextDecoder().decode(new Uint8Array(memory.buffer, message_ptr(), message_len()));
  return { code, ms: ms.toFixed(1), msg };
};
const req = JSON.parse(fs.readFileSync(reqPath, "utf8"));
console.log(run(JSON.stringify(req)));
req.root = "0x" + "0".repeat(63) + "1";
console.log(run(JSON.stringify(req)));
