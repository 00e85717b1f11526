// Builds the review page's browser libraries into the package's static assets, from the exact
// versions in package-lock.json (run through scripts/build_ui.sh, which does `npm ci` first):
//   static/vendor/review.js       CodeMirror 6 (YAML with SQL inside, Python) and dagre, one IIFE
//   static/vendor/swagger-ui/     Swagger UI from swagger-ui-dist, for the offline API docs
//   static/vendor/BUILD.json      sha256 of package-lock.json and of every file written
// The output depends only on the lock file and src/: tests compare BUILD.json with both.
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
const vendor = join(here, "..", "airflow_ai_etl", "plugins", "static", "vendor");
const sha256 = (path) => createHash("sha256").update(readFileSync(path)).digest("hex");

rmSync(vendor, { recursive: true, force: true });
mkdirSync(join(vendor, "swagger-ui"), { recursive: true });

await build({
  entryPoints: [join(here, "src", "review.js")],
  bundle: true,
  minify: true,
  format: "iife",
  globalName: "AiEtlVendor",
  target: ["es2020"],
  legalComments: "eof",
  outfile: join(vendor, "review.js"),
  logLevel: "warning",
});

const swagger = join(here, "node_modules", "swagger-ui-dist");
for (const name of ["swagger-ui-bundle.js", "swagger-ui.css", "LICENSE"]) {
  copyFileSync(join(swagger, name), join(vendor, "swagger-ui", name));
}

const lock = JSON.parse(readFileSync(join(here, "package-lock.json"), "utf8"));
const outputs = ["review.js", "swagger-ui/swagger-ui-bundle.js", "swagger-ui/swagger-ui.css", "swagger-ui/LICENSE"];
const manifest = {
  built_from: "ui/package-lock.json and ui/src by ui/build.mjs (scripts/build_ui.sh)",
  package_lock_sha256: sha256(join(here, "package-lock.json")),
  sources_sha256: { "src/review.js": sha256(join(here, "src", "review.js")), "build.mjs": sha256(join(here, "build.mjs")) },
  packages: Object.fromEntries(
    Object.entries(lock.packages)
      .filter(([path]) => path.startsWith("node_modules/") && !lock.packages[path].dev)
      .map(([path, info]) => [path.slice("node_modules/".length), info.version]),
  ),
  files: Object.fromEntries(outputs.map((name) => [name, sha256(join(vendor, name))])),
};
writeFileSync(join(vendor, "BUILD.json"), JSON.stringify(manifest, null, 2) + "\n");
console.log(`built ${outputs.length} files into ${relative(process.cwd(), vendor)}`);
