#!/usr/bin/env node
// Compiles contracts/src with the pinned solc (npm `solc`, exact version in package.json) and
// fixed settings into contracts/out/<Name>.json (abi, bytecode, deployedBytecode, link
// references). Deterministic: same sources, same bytes.
//
//   node build.mjs                 write contracts/out/*.json
//   node build.mjs --check         recompile; exit 1 if contracts/out differs (CI)
//   node build.mjs --compile FILE [--name NAME]
//                                  compile one standalone file with the same settings and print
//                                  NAME's artifact (default: the last contract) as JSON
//   node build.mjs --snarkjs-verifier VK.json
//                                  print snarkjs's Groth16 verifier rendered for a snarkjs-format
//                                  verification key (snarkjs's own template and ejs), for gas
//                                  comparisons
import { readFileSync, writeFileSync, readdirSync, mkdirSync, existsSync, unlinkSync } from "node:fs";
import { dirname, join, resolve, basename } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

function die(msg) {
  process.stderr.write(`build.mjs: ${msg}\n`);
  process.exit(1);
}

function loadSolc() {
  try {
    return require("solc");
  } catch (e) {
    die(`solc is not installed: run \`npm ci\` in ${here} (${e.message})`);
  }
}

/** The one set of compiler settings for committed artifacts and rendered verifiers. */
export const SETTINGS = {
  optimizer: { enabled: true, runs: 10000 },
  evmVersion: "cancun",
  viaIR: false,
  metadata: { bytecodeHash: "none", appendCBOR: false },
  outputSelection: {
    "*": {
      "*": ["abi", "evm.bytecode.object", "evm.bytecode.linkReferences", "evm.deployedBytecode.object",
        "evm.deployedBytecode.linkReferences", "evm.deployedBytecode.immutableReferences"],
    },
  },
};

/** Contracts whose artifacts are committed (interfaces are not deployable). */
const ARTIFACTS = {
  Groth16Verifier: "src/Groth16Verifier.sol",
  Groth16Verifier8: "src/Groth16Verifier8.sol",
  Groth16Verifier12: "src/Groth16Verifier12.sol",
  EscrowRegistry: "src/EscrowRegistry.sol",
  EscrowRegistryHashedTrustees: "src/EscrowRegistryHashedTrustees.sol",
  StateSource: "src/StateSource.sol",
  SeededStateSource: "src/SeededStateSource.sol",
  BackupGate: "src/BackupGate.sol",
  ExampleVault: "src/ExampleVault.sol",
  PoseidonT3: "poseidon-solidity/PoseidonT3.sol",
};

function findImports(path) {
  const candidates = [join(here, path), join(here, "node_modules", path)];
  for (const c of candidates) {
    if (existsSync(c)) return { contents: readFileSync(c, "utf8") };
  }
  return { error: `file not found: ${path}` };
}

function compile(sources) {
  const solc = loadSolc();
  const input = { language: "Solidity", sources, settings: SETTINGS };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
  const errors = (output.errors || []).filter((e) => e.severity === "error");
  if (errors.length) die(`compilation failed:\n${errors.map((e) => e.formattedMessage).join("\n")}`);
  return { output, version: solc.version() };
}

function artifact(output, version, sourceName, name) {
  const c = output.contracts?.[sourceName]?.[name];
  if (!c) die(`no contract ${name} in ${sourceName}`);
  return {
    contractName: name,
    sourceName,
    compiler: { version, settings: { optimizer: SETTINGS.optimizer, evmVersion: SETTINGS.evmVersion, viaIR: SETTINGS.viaIR } },
    abi: c.abi,
    bytecode: "0x" + c.evm.bytecode.object,
    deployedBytecode: "0x" + c.evm.deployedBytecode.object,
    linkReferences: c.evm.bytecode.linkReferences,
    deployedLinkReferences: c.evm.deployedBytecode.linkReferences,
  };
}

function render(a) {
  return JSON.stringify(a, null, 2) + "\n";
}

function buildAll() {
  const sources = {};
  for (const f of readdirSync(join(here, "src")).sort()) {
    if (f.endsWith(".sol")) sources[`src/${f}`] = { content: readFileSync(join(here, "src", f), "utf8") };
  }
  sources["poseidon-solidity/PoseidonT3.sol"] = { content: findImports("poseidon-solidity/PoseidonT3.sol").contents };
  const { output, version } = compile(sources);
  const files = {};
  for (const [name, src] of Object.entries(ARTIFACTS)) files[`${name}.json`] = render(artifact(output, version, src, name));
  return files;
}

const args = process.argv.slice(2);
const outDir = join(here, "out");
if (args[0] === "--check") {
  const files = buildAll();
  const problems = [];
  for (const [f, text] of Object.entries(files)) {
    const p = join(outDir, f);
    if (!existsSync(p)) problems.push(`missing: out/${f}`);
    else if (readFileSync(p, "utf8") !== text) problems.push(`differs: out/${f}`);
  }
  if (existsSync(outDir)) {
    for (const f of readdirSync(outDir)) if (!(f in files)) problems.push(`unexpected: out/${f}`);
  }
  if (problems.length) {
    die(`committed artifacts are stale (run \`node contracts/build.mjs\` and commit):\n  ${problems.join("\n  ")}`);
  }
  process.stdout.write(`contracts/out is up to date (${Object.keys(files).length} artifacts, solc ${loadSolc().version()})\n`);
} else if (args[0] === "--compile") {
  const file = args[1];
  if (!file) die("--compile needs a file");
  const nameIdx = args.indexOf("--name");
  const sourceName = basename(file);
  const { output, version } = compile({ [sourceName]: { content: readFileSync(resolve(file), "utf8") } });
  const names = Object.keys(output.contracts?.[sourceName] || {});
  const name = nameIdx > 0 ? args[nameIdx + 1] : names[names.length - 1];
  process.stdout.write(render(artifact(output, version, sourceName, name)));
} else if (args[0] === "--snarkjs-verifier") {
  const vkFile = args[1];
  if (!vkFile) die("--snarkjs-verifier needs a verification key file");
  let ejs, template;
  try {
    ejs = require("ejs");
    template = readFileSync(join(here, "node_modules", "snarkjs", "templates", "verifier_groth16.sol.ejs"), "utf8");
  } catch (e) {
    die(`snarkjs/ejs are not installed: run \`npm ci\` in ${here} (${e.message})`);
  }
  const vk = JSON.parse(readFileSync(resolve(vkFile), "utf8"));
  process.stdout.write(ejs.render(template, vk));
} else if (args.length === 0) {
  const files = buildAll();
  mkdirSync(outDir, { recursive: true });
  for (const f of readdirSync(outDir)) if (f.endsWith(".json") && !(f in files)) unlinkSync(join(outDir, f));
  for (const [f, text] of Object.entries(files)) writeFileSync(join(outDir, f), text);
  process.stdout.write(`wrote ${Object.keys(files).length} artifacts to contracts/out\n`);
} else {
  die(`unknown arguments: ${args.join(" ")}`);
}
