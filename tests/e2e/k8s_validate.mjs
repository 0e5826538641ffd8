// Validate Kubernetes manifests against the API's OpenAPI schemas, as
// compiled by the kubernetes-models package (types, required fields, enums).
// Usage: node k8s_validate.mjs MODELS-DIR FILE.json; prints one line per
// document and exits 1 on the first invalid one.
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import path from "node:path";

const [modelsDir, file] = process.argv.slice(2);
const docs = JSON.parse(readFileSync(file, "utf8"));
for (const doc of docs) {
  const [group, version] = doc.apiVersion.includes("/") ? doc.apiVersion.split("/")
    : ["v1", null];
  const where = version ? `${group}/${version}` : group;
  const module = path.join(modelsDir, "node_modules", "kubernetes-models", where,
                           `${doc.kind}.js`);
  const Model = (await import(pathToFileURL(module).href))[doc.kind];
  try {
    new Model(doc).validate();
  } catch (e) {
    console.log(`${doc.kind} ${doc.metadata.name}: ${e.message}`);
    process.exit(1);
  }
  console.log(`${doc.kind} ${doc.metadata.name}: valid`);
}
