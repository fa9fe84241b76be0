// CustomResourceDefinitions (apiextensions.k8s.io/v1) generated from the one resource table
// (resources.h), so a Kubernetes API server and brixd take the same objects:
//
// - group br.pingcap.com, version v1alpha1 (served, storage), Namespaced, the table's names and
//   short names (bk, bks, cpbk, rt; category `all`), `subresources.status` where the kind has
//   one, `additionalPrinterColumns` from its columns (priority > 0: only with -o wide).
// - openAPIV3Schema from the Schema brixd validates with: types, enums, required, defaults,
//   `x-kubernetes-preserve-unknown-fields` for opaque objects, `x-kubernetes-int-or-string`,
//   `additionalProperties` for maps. Formats brixd checks by code (Go durations, TSO/time, cron)
//   stay `type: string` with a description saying what brixd checks: a real API server cannot.
//   The cross-field rules of a Schema (SchemaRule: a storage member is required, logStop and
//   logSubcommand exclusive, volume-snapshot refused, concurrency > 0) are brixd's only.
// - deploy/00-crds.yaml is CrdsYaml(), committed; a unit test fails when they differ and names
//   kRegenerateCrdsCommand. `brix crds` (hidden) prints it.
// - Every CRD carries the annotation kSchemaAnnotation: a short SHA-256 of its spec, so brixd's
//   refusal of a different CRD can say which schema each side has.
#pragma once

#include <string>
#include <vector>

#include "operator/api/resources.h"
#include "operator/api/schema.h"

namespace brix::api {

inline constexpr char kCrdGroup[] = "apiextensions.k8s.io";
inline constexpr char kCrdVersion[] = "v1";
inline constexpr char kSchemaAnnotation[] = "br.pingcap.com/brix-schema";
inline constexpr char kRegenerateCrdsCommand[] = "build/bin/brix crds > deploy/00-crds.yaml";

// The OpenAPI v3 schema (a CRD's openAPIV3Schema node) of `schema`.
Json OpenApiSchema(const Schema& schema);

// The CRD of a custom resource (info.custom) as the file holds it: apiVersion, kind,
// metadata {name, annotations {kSchemaAnnotation}}, spec.
Json CrdOf(const ResourceInfo& info);

// The CRDs of every custom resource, in AllResources() order.
const std::vector<Json>& AllCrds();

// The first 16 hex digits of the SHA-256 of `crd_spec` (compact JSON, sorted keys).
std::string SchemaFingerprint(const Json& crd_spec);

// deploy/00-crds.yaml: a header comment, then AllCrds() as YAML documents.
std::string CrdsYaml();

// `value` as block YAML (sorted keys; strings quoted where a plain scalar would read as another
// type). Emitted with yaml-cpp.
std::string ToYaml(const Json& value);

// A YAML document as JSON (plain scalars that read as bool, integer, float or null become
// those; quoted ones stay strings). Parsed with yaml-cpp; throws YAML::Exception on bad YAML.
Json YamlToJson(const std::string& text);
// Every document of a multi-document YAML stream (empty documents skipped).
std::vector<Json> YamlDocumentsToJson(const std::string& text);

}  // namespace brix::api
