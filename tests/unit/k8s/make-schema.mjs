// SPDX-License-Identifier: GPL-2.0
// Writes daemonset-apps-v1.schema.json: a strict JSON Schema (draft 7) of a
// Kubernetes apps/v1 DaemonSet, for daemonset_schema_test.sh. Not run by the
// tests: run it to move the schema to a newer Kubernetes API.
//
// The source is the npm package kubernetes-models, whose TypeScript
// declarations are generated from the Kubernetes OpenAPI schema (every field,
// whether it is required, the enums). This walks the type of IDaemonSet with
// the TypeScript compiler and writes each object as a definition with
// "additionalProperties": false, as kubectl's strict field validation
// treats unknown fields. What the declarations do not carry is not checked:
// integers are numbers, and formats and patterns are not there.
//
//   d=$(mktemp -d) && (cd "$d" && npm install --no-save kubernetes-models@5.1.0 typescript@5.9.3)
//   node tests/unit/k8s/make-schema.mjs "$d" >tests/unit/k8s/daemonset-apps-v1.schema.json
import { createRequire } from "node:module";
import path from "node:path";

const dir = path.resolve(process.argv[2] ?? ".");
const require = createRequire(path.join(dir, "node_modules", "x.js"));
const ts = require("typescript");
const modelsVersion = require("kubernetes-models/package.json").version;
const modules = path.join(dir, "node_modules");
const entry = path.join(modules, "kubernetes-models/apps/v1/DaemonSet.d.ts");

const program = ts.createProgram([entry], {
  strict: true,
  noEmit: true,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
});
const checker = program.getTypeChecker();
const definitions = {};

// A definition's name: its declaration file under node_modules, e.g.
// "apps.v1.DaemonSet", "v1.Container" (core), "apimachinery.apis.meta.v1.ObjectMeta".
function definitionName(type) {
  const decl = type.getSymbol()?.declarations?.[0];
  if (!decl || !ts.isInterfaceDeclaration(decl)) {
    return undefined;
  }
  return path
    .relative(modules, decl.getSourceFile().fileName)
    .replace(/\.d\.ts$/, "")
    .replace(/^@?kubernetes-models\//, "")
    .replaceAll("/", ".");
}

function schemaOf(type) {
  if (type.isUnion()) {
    const parts = type.types.filter((t) => !(t.flags & ts.TypeFlags.Undefined));
    if (parts.every((t) => t.flags & ts.TypeFlags.BooleanLiteral)) {
      return { type: "boolean" };
    }
    if (parts.every((t) => t.flags & ts.TypeFlags.StringLiteral)) {
      return { type: "string", enum: parts.map((t) => t.value).sort() };
    }
    if (parts.length === 1) {
      return schemaOf(parts[0]);
    }
    const each = parts.map(schemaOf);
    if (each.every((s) => Object.keys(s).length === 1 && typeof s.type === "string")) {
      return { type: [...new Set(each.map((s) => s.type))].sort() }; // IntOrString, Quantity
    }
    return { anyOf: each };
  }
  if (type.flags & ts.TypeFlags.String) return { type: "string" };
  if (type.flags & ts.TypeFlags.Number) return { type: "number" };
  if (type.flags & (ts.TypeFlags.Boolean | ts.TypeFlags.BooleanLiteral)) return { type: "boolean" };
  if (type.flags & ts.TypeFlags.StringLiteral) return { type: "string", enum: [type.value] };
  if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return {};
  if (checker.isArrayType(type)) {
    return { type: "array", items: schemaOf(checker.getTypeArguments(type)[0]) };
  }
  if (type.flags & ts.TypeFlags.Object) {
    const index = checker.getIndexTypeOfType(type, ts.IndexKind.String);
    const props = checker.getPropertiesOfType(type);
    if (props.length === 0) {
      return { type: "object", additionalProperties: index ? schemaOf(index) : {} };
    }
    const name = definitionName(type);
    if (name !== undefined && name in definitions) {
      return { $ref: `#/definitions/${name}` };
    }
    if (name !== undefined) {
      definitions[name] = {}; // a recursive type refers to itself
    }
    const out = { type: "object", properties: {}, additionalProperties: index ? schemaOf(index) : false };
    const required = [];
    for (const p of [...props].sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const decl = p.valueDeclaration ?? p.declarations[0];
      out.properties[p.name] = schemaOf(checker.getTypeOfSymbolAtLocation(p, decl));
      if (!(p.flags & ts.SymbolFlags.Optional)) {
        required.push(p.name);
      }
    }
    if (required.length > 0) {
      out.required = required;
    }
    if (name === undefined) {
      return out;
    }
    definitions[name] = out;
    return { $ref: `#/definitions/${name}` };
  }
  throw new Error(`make-schema: no JSON Schema for the type ${checker.typeToString(type)}`);
}

let root;
ts.forEachChild(program.getSourceFile(entry), (node) => {
  if (ts.isInterfaceDeclaration(node) && node.name.text === "IDaemonSet") {
    root = checker.getTypeAtLocation(node);
  }
});
const top = definitions[schemaOf(root).$ref.replace("#/definitions/", "")];
const sorted = Object.fromEntries(Object.keys(definitions).sort().map((k) => [k, definitions[k]]));
const schema = {
  $schema: "http://json-schema.org/draft-07/schema#",
  $comment: `apps/v1 DaemonSet, strict; generated by tests/unit/k8s/make-schema.mjs from kubernetes-models ${modelsVersion} (npm)`,
  ...top,
  definitions: sorted,
};
process.stdout.write(JSON.stringify(schema, null, 1) + "\n");
