//! The environment file: its typed shape, which is also its published JSON Schema.
//!
//! Field names follow PRODUCT.md and are the contract: fields may be added (with a default
//! in `base/environment.yaml`), never renamed. Every struct denies unknown fields; doc
//! comments become the schema's descriptions, which editors show on hover.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::quantity::Quantity;

/// Ranges and sizes the schema declares (`minimum`/`maximum`, `maxItems`,
/// `maxProperties`): one number each, used by the schema attributes below and by
/// [`Environment::within_limits`].
pub mod limits {
    /// Most Backstage replicas.
    pub const REPLICAS: u32 = 100;
    /// Highest TCP port.
    pub const PORT: u32 = 65535;
    /// Most patch sets.
    pub const PATCH_SETS: usize = 100;
    /// Most operations in one patch set.
    pub const PATCH_OPERATIONS: usize = 100;
    /// Most catalog locations.
    pub const LOCATIONS: usize = 1000;
    /// Most further hosts Backstage may read from.
    pub const READING_HOSTS: usize = 1000;
    /// Most Ingress annotations.
    pub const ANNOTATIONS: usize = 256;
    /// Most keys in `spec.database.encryptedData`.
    pub const ENCRYPTED_KEYS: usize = 16;
    /// Highest user or group id (Kubernetes takes 32-bit signed ids; 0, root, is refused).
    pub const ID: u32 = 2_147_483_647;
}

/// The only `apiVersion` this version of stagehand reads.
pub const API_VERSION: &str = "stagehand/v1alpha1";

/// A whole environment file, after it has been merged onto its base.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "stagehand Environment")]
pub struct Environment {
    /// Always `stagehand/v1alpha1`.
    pub api_version: ApiVersion,
    /// Always `Environment`.
    pub kind: EnvironmentKind,
    /// The environment's name.
    pub metadata: Metadata,
    /// A base folder inside this repository whose defaults and templates replace the ones
    /// built into stagehand. Relative to this file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
    /// What to deploy. Every field not given here comes from the base.
    pub spec: Spec,
    /// RFC 6902 JSON-patch operations applied to the rendered objects, for what `spec`
    /// does not cover. At most 100 sets.
    #[serde(default)]
    #[schemars(length(max = limits::PATCH_SETS))]
    pub patches: Vec<PatchSet>,
}

impl Environment {
    /// Whether every number and collection is within the schema's [`limits`]: with a
    /// successful deserialization (which checks fields, types and enum values), this is
    /// everything the schema checks, so a render that passes needs no schema walk.
    pub fn within_limits(&self) -> bool {
        let spec = &self.spec;
        let catalog = &spec.catalog;
        spec.replicas <= limits::REPLICAS
            && (1..=limits::PORT).contains(&spec.backend_port)
            && self.patches.len() <= limits::PATCH_SETS
            && self
                .patches
                .iter()
                .all(|set| set.ops.len() <= limits::PATCH_OPERATIONS)
            && catalog.locations.len() <= limits::LOCATIONS
            && catalog.reading_allow.len() <= limits::READING_HOSTS
            && spec.ingress.annotations.len() <= limits::ANNOTATIONS
            && (1..=limits::ID).contains(&spec.security.run_as_user)
            && (1..=limits::ID).contains(&spec.security.run_as_group)
            && spec
                .database
                .encrypted_data
                .as_ref()
                .is_none_or(|data| data.len() <= limits::ENCRYPTED_KEYS)
    }
}

/// The value of `apiVersion`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ApiVersion {
    /// The first version of the environment file.
    #[serde(rename = "stagehand/v1alpha1")]
    V1Alpha1,
}

/// The value of `kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum EnvironmentKind {
    /// An environment file.
    Environment,
}

/// `metadata` of an environment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Metadata {
    /// The environment's name: a DNS label. Names the out-dir folder and the Application.
    pub name: String,
}

/// What to deploy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Spec {
    /// Namespace of Backstage, its Postgres, the Ingress, Certificate and SealedSecret.
    pub namespace: String,
    /// The one public hostname: feeds the Ingress, the Certificate, `app.baseUrl`,
    /// `backend.baseUrl` and `backend.cors.origin`.
    pub hostname: String,
    /// Helm release name; the chart names its Service after it.
    pub release_name: String,
    /// Backstage `app` settings.
    pub app: App,
    /// The Backstage image.
    pub image: Image,
    /// The Helm chart.
    pub chart: Chart,
    /// Backstage pod replicas (0 to 100).
    #[schemars(range(min = 0, max = limits::REPLICAS))]
    pub replicas: u32,
    /// The port the Backstage backend listens on.
    #[schemars(range(min = 1, max = limits::PORT))]
    pub backend_port: u32,
    /// Resource requests and limits.
    pub resources: Resources,
    /// The bundled PostgreSQL.
    pub database: Database,
    /// The cert-manager Certificate.
    pub tls: Tls,
    /// The Ingress in front of Backstage.
    pub ingress: Ingress,
    /// Sign-in.
    pub auth: Auth,
    /// The software catalog.
    pub catalog: Catalog,
    /// Where ArgoCD creates the Backstage Application.
    pub argocd: ArgoCd,
    /// How the Backstage container runs (Pod Security "restricted" by default).
    #[serde(default)]
    pub security: Security,
}

/// The Backstage pod's and container's security context.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Security {
    /// Meet Pod Security "restricted": non-root, no privilege escalation, every capability
    /// dropped, the RuntimeDefault seccomp profile. `false` sets no security context at
    /// all, for a custom image that must run as root.
    #[serde(default = "default_true")]
    pub restricted: bool,
    /// The user the container runs as: the official image's `node` is 1000.
    #[serde(default = "default_node_id")]
    #[schemars(range(min = 1, max = limits::ID))]
    pub run_as_user: u32,
    /// The group the container runs as (and the volumes' group): `node` is 1000.
    #[serde(default = "default_node_id")]
    #[schemars(range(min = 1, max = limits::ID))]
    pub run_as_group: u32,
    /// A read-only root filesystem, with an emptyDir at `/tmp` for what the backend
    /// writes there. `false` for an image that writes elsewhere.
    #[serde(default = "default_true")]
    pub read_only_root_filesystem: bool,
}

impl Default for Security {
    fn default() -> Self {
        Self {
            restricted: true,
            run_as_user: default_node_id(),
            run_as_group: default_node_id(),
            read_only_root_filesystem: true,
        }
    }
}

fn default_true() -> bool {
    true
}

/// The uid and gid of `node` in the official Backstage image (`USER node`).
fn default_node_id() -> u32 {
    1000
}

/// Backstage `app` settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct App {
    /// Title shown in the browser and the sidebar.
    pub title: String,
    /// `organization.name`.
    pub organization: String,
}

/// A container image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Image {
    /// Registry host, e.g. `ghcr.io`.
    pub registry: String,
    /// Repository inside the registry, e.g. `backstage/backstage`.
    pub repository: String,
    /// Tag, e.g. `1.35.0`. `latest` works but `validate` warns about it.
    pub tag: String,
}

/// A container image whose tag may be left to the chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChartImage {
    /// Registry host, e.g. `docker.io`.
    pub registry: String,
    /// Repository inside the registry.
    pub repository: String,
    /// Tag; the chart's default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
}

/// The Helm chart to install.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Chart {
    /// Chart repository URL (https).
    pub repository: String,
    /// Chart name.
    pub name: String,
    /// Chart version (semver).
    pub version: String,
}

/// Resources of both workloads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    /// The Backstage container.
    pub backstage: ResourceRequirements,
    /// The PostgreSQL primary.
    pub postgresql: ResourceRequirements,
}

/// Requests and limits of one container.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceRequirements {
    /// What the scheduler reserves.
    pub requests: ResourceAmounts,
    /// The most the container may use.
    pub limits: ResourceAmounts,
}

/// CPU and memory quantities.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResourceAmounts {
    /// CPU, e.g. `100m` or `1`.
    pub cpu: Quantity,
    /// Memory, e.g. `384Mi` or `1Gi`.
    pub memory: Quantity,
}

/// The bundled PostgreSQL (bitnami subchart) and how Backstage reaches it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Database {
    /// The PostgreSQL image.
    pub image: ChartImage,
    /// Database user Backstage connects as.
    pub username: String,
    /// Database created on first boot.
    pub name: String,
    /// Name of the Secret holding the keys `password` and `postgres-password`. The
    /// passwords themselves never belong in this file.
    pub secret_name: String,
    /// `sealed`: the Secret comes from the rendered SealedSecret. `external`: it is created
    /// outside git (`kubectl create secret generic`) and no SealedSecret is rendered.
    pub secret: SecretSource,
    /// Where the sealed values may be unsealed: `strict` (this namespace and name),
    /// `namespace-wide` or `cluster-wide`. Must match how they were sealed.
    pub sealing_scope: SealingScope,
    /// Sealed values of `password` and `postgres-password` (`stagehand seal` writes them).
    /// Safe to commit; when absent the SealedSecret holds placeholders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("maxProperties" = limits::ENCRYPTED_KEYS))]
    pub encrypted_data: Option<BTreeMap<String, String>>,
    /// Where the values in `encryptedData` were sealed for (`stagehand seal` records it):
    /// the controller unseals them only there. Render refuses when the SealedSecret has
    /// moved since.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sealed_for: Option<SealedFor>,
    /// Persistent volume of the database.
    pub storage: Storage,
    /// Give the Backstage pod an init container that waits until PostgreSQL accepts
    /// connections (Backstage does not retry a failed first connection).
    pub wait_for_ready: bool,
    /// Image of that init container; it must provide `pg_isready`.
    pub wait_image: Image,
}

/// The namespace, Secret name and scope a set of sealed values is bound to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SealedFor {
    /// The SealedSecret's namespace when it was sealed.
    pub namespace: String,
    /// The Secret's name when it was sealed.
    pub secret_name: String,
    /// The sealing scope it was sealed with.
    pub scope: SealingScope,
}

/// Where the database Secret comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum SecretSource {
    /// From the rendered SealedSecret.
    Sealed,
    /// Created outside git; no SealedSecret is rendered.
    External,
}

/// sealed-secrets' scopes: where a sealed value may be unsealed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum SealingScope {
    /// Only as this Secret, in this namespace.
    Strict,
    /// As any Secret in this namespace.
    NamespaceWide,
    /// As any Secret anywhere in the cluster.
    ClusterWide,
}

impl SealingScope {
    /// The scope as the environment file writes it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Strict => "strict",
            Self::NamespaceWide => "namespace-wide",
            Self::ClusterWide => "cluster-wide",
        }
    }

    /// The RSA-OAEP label sealed-secrets binds a value to (its `EncryptionLabel`).
    pub fn label(self, namespace: &str, name: &str) -> String {
        match self {
            Self::Strict => format!("{namespace}/{name}"),
            Self::NamespaceWide => namespace.to_string(),
            Self::ClusterWide => String::new(),
        }
    }

    /// The annotation that tells the controller a non-strict scope.
    pub fn annotation(self) -> Option<&'static str> {
        match self {
            Self::Strict => None,
            Self::NamespaceWide => Some("sealedsecrets.bitnami.com/namespace-wide"),
            Self::ClusterWide => Some("sealedsecrets.bitnami.com/cluster-wide"),
        }
    }
}

/// A persistent volume.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Storage {
    /// StorageClass name; the cluster default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
    /// Volume size, e.g. `1Gi`.
    pub size: Quantity,
}

/// The cert-manager Certificate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Tls {
    /// The issuer that signs the certificate.
    pub issuer: Issuer,
    /// Certificate lifetime, a Go duration such as `2160h`.
    pub duration: String,
    /// How long before expiry to renew, a Go duration shorter than `duration`.
    pub renew_before: String,
    /// The private key.
    pub private_key: PrivateKey,
}

/// A cert-manager issuer reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Issuer {
    /// The issuer's name.
    pub name: String,
    /// `Issuer` or `ClusterIssuer`.
    pub kind: IssuerKind,
}

/// The kind of a cert-manager issuer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum IssuerKind {
    /// A namespaced issuer.
    Issuer,
    /// A cluster-wide issuer.
    ClusterIssuer,
}

/// Private key settings of the Certificate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PrivateKey {
    /// `RSA`, `ECDSA` or `Ed25519`.
    pub algorithm: KeyAlgorithm,
    /// Key size: 2048, 3072 or 4096 for RSA; 256, 384 or 521 for ECDSA; ignored for Ed25519.
    pub size: u32,
}

impl KeyAlgorithm {
    /// The hint naming every allowed key size.
    pub const SIZES_HINT: &'static str =
        "RSA keys have 2048, 3072 or 4096 bits; ECDSA keys 256, 384 or 521; Ed25519 keys no size";

    /// The sizes cert-manager accepts for this algorithm (none for Ed25519).
    pub fn sizes(self) -> &'static [u32] {
        match self {
            Self::Rsa => &[2048, 3072, 4096],
            Self::Ecdsa => &[256, 384, 521],
            Self::Ed25519 => &[],
        }
    }
}

/// A private key algorithm cert-manager supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum KeyAlgorithm {
    /// RSA.
    #[serde(rename = "RSA")]
    Rsa,
    /// Elliptic-curve DSA.
    #[serde(rename = "ECDSA")]
    Ecdsa,
    /// Ed25519.
    Ed25519,
}

/// The Ingress in front of Backstage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Ingress {
    /// IngressClass name, e.g. `nginx`.
    pub class_name: String,
    /// Extra annotations, written sorted by key. At most 256.
    #[serde(default)]
    #[schemars(extend("maxProperties" = limits::ANNOTATIONS))]
    pub annotations: BTreeMap<String, String>,
}

/// Sign-in providers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Auth {
    /// Guest sign-in.
    pub guest: GuestAuth,
}

/// Guest sign-in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GuestAuth {
    /// Offer "Sign in as Guest".
    pub enabled: bool,
    /// Allow guest sign-in although the image runs with NODE_ENV=production (renders
    /// `dangerouslyAllowOutsideDevelopment: true`). Anyone who reaches the host is signed in.
    pub allow_outside_development: bool,
}

/// The software catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Catalog {
    /// Entity kinds the catalog accepts from the locations.
    pub allow: Vec<EntityKind>,
    /// https:// (or, with a warning, http://) URLs of `catalog-info.yaml` files. Each one's
    /// host, with `:port` off the scheme's default port, is added to
    /// `backend.reading.allow` automatically. At most 1000.
    #[schemars(length(max = limits::LOCATIONS))]
    pub locations: Vec<String>,
    /// Further hosts Backstage may read from, after the location hosts, as Backstage
    /// matches them: `github.com` (default port only), `*.example.com` (the hosts below
    /// it), `git.internal:8443`, `git.internal:8000-8999`. At most 1000.
    #[serde(default)]
    #[schemars(length(max = limits::READING_HOSTS))]
    pub reading_allow: Vec<String>,
}

/// A Backstage catalog entity kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum EntityKind {
    /// A piece of software.
    Component,
    /// A collection of components.
    System,
    /// An interface a component provides.
    #[serde(rename = "API")]
    Api,
    /// Infrastructure a component needs.
    Resource,
    /// A pointer to more catalog files.
    Location,
    /// A team.
    Group,
    /// A person.
    User,
    /// A scaffolder template.
    Template,
    /// A business area.
    Domain,
}

/// Where the Backstage Application lives in ArgoCD.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ArgoCd {
    /// Namespace ArgoCD watches for Applications.
    pub namespace: String,
    /// ArgoCD project of the Application.
    pub project: String,
    /// Cluster API server the chart is installed into.
    pub destination_server: String,
    /// Sync the chart automatically (with prune and self-heal).
    pub auto_sync: bool,
    /// Give the Application ArgoCD's resources finalizer, so that deleting it (or its
    /// overlay folder, under the ApplicationSet) deletes Backstage and PostgreSQL too.
    #[serde(default = "cascade_delete_default")]
    pub cascade_delete: bool,
    /// Name of the Application stagehand renders; `<releaseName>-<metadata.name>` when
    /// absent. It must differ from the Application that runs the plugin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_name: Option<String>,
}

fn cascade_delete_default() -> bool {
    true
}

/// JSON-patch operations for one rendered object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchSet {
    /// The object to patch.
    pub target: PatchTarget,
    /// RFC 6902 operations (`add`, `remove`, `replace`, `move`, `copy`, `test`). At most
    /// 100 per set.
    #[schemars(with = "Vec<PatchOperationShape>", length(max = limits::PATCH_OPERATIONS))]
    pub ops: Vec<serde_json::Value>,
}

/// Which rendered object a patch applies to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchTarget {
    /// `HelmValues`, `SealedSecret`, `Certificate`, `Ingress`, `Application` or `Location`.
    pub kind: TargetKind,
    /// The object's `metadata.name`; when given it must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// The kinds of rendered object a patch can target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum TargetKind {
    /// The Helm values (`values.yaml`, also the Application's `helm.valuesObject`).
    HelmValues,
    /// The Postgres SealedSecret.
    SealedSecret,
    /// The cert-manager Certificate.
    Certificate,
    /// The Ingress.
    Ingress,
    /// The ArgoCD Application.
    Application,
    /// The Backstage Location entity.
    Location,
}

/// The JSON Schema shape of one RFC 6902 operation (the values are checked when applied).
#[derive(JsonSchema)]
#[allow(dead_code)]
struct PatchOperationShape {
    op: PatchOp,
    path: String,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    value: Option<serde_json::Value>,
}

#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
enum PatchOp {
    Add,
    Remove,
    Replace,
    Move,
    Copy,
    Test,
}
