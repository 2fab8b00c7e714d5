//! The derive stage: everything the templates need, computed once from the environment.
//!
//! Templates only place values; every decision lives here, where it can be tested: the
//! hostname becomes the base URL, location hosts become `backend.reading.allow`, the
//! release name becomes the Service and Postgres host names, and so on.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use crate::environment::{ChartImage, Environment, Image, KeyAlgorithm};

/// The label stagehand puts on every object it renders.
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "stagehand");

/// The ArgoCD sync-wave annotation key.
pub const SYNC_WAVE: &str = "argocd.argoproj.io/sync-wave";

/// The value placed in the SealedSecret until the passwords are sealed.
pub const SEALED_PLACEHOLDER: &str = "REPLACE-WITH-KUBESEAL-OUTPUT";

/// The Backstage pod annotation that carries a digest of the sealed credentials.
pub const CREDENTIALS_ANNOTATION: &str = "stagehand/database-credentials";

/// What the password Job runs (`sh -c`): as the admin, set the user's password to the
/// Secret's, retrying until the database takes the login. psql quotes both values
/// (`:"role"`, `:'password'`); the session keeps the statement out of the server's log.
pub const PASSWORD_SCRIPT: &str = "\
until psql --no-password --quiet --set ON_ERROR_STOP=1 --set VERBOSITY=terse \\
  --set role=\"$DATABASE_USER\" --set password=\"$DATABASE_PASSWORD\" >/dev/null <<'SQL'
SET log_statement = 'none';
SET log_min_error_statement = 'panic';
ALTER ROLE :\"role\" WITH PASSWORD :'password';
SQL
do echo \"waiting for PostgreSQL to take the admin login\"; sleep 5; done
echo \"the password of $DATABASE_USER is the Secret's\"
";

/// The port of the chart's PostgreSQL (the chart hard-codes it), as the string env needs.
pub const POSTGRES_PORT: &str = "5432";

/// The values every template can use.
#[derive(Debug, Serialize)]
pub struct TemplateContext {
    name: String,
    namespace: String,
    hostname: String,
    base_url: String,
    release_name: String,
    service_name: String,
    labels: BTreeMap<&'static str, &'static str>,
    app: AppContext,
    image: Image,
    chart: crate::environment::Chart,
    replicas: u32,
    backend_port: u32,
    resources: crate::environment::Resources,
    database: DatabaseContext,
    tls: TlsContext,
    ingress: IngressContext,
    guest: GuestContext,
    catalog: CatalogContext,
    argocd: ArgoCdContext,
    security: SecurityContext,
}

/// The Backstage pod's security settings, as the chart's values take them.
#[derive(Debug, Serialize)]
struct SecurityContext {
    /// `backstage.podSecurityContext`, or null (none).
    pod: Value,
    /// `backstage.containerSecurityContext` (the main container only), or null.
    container: Value,
    /// Whether `/tmp` is an emptyDir (with a read-only root filesystem).
    tmp_volume: bool,
}

impl SecurityContext {
    fn of(security: &crate::environment::Security) -> Self {
        if !security.restricted {
            return Self {
                pod: Value::Null,
                container: Value::Null,
                tmp_volume: false,
            };
        }
        Self {
            pod: json!({
                "runAsNonRoot": true,
                "runAsUser": security.run_as_user,
                "runAsGroup": security.run_as_group,
                "fsGroup": security.run_as_group,
                "seccompProfile": { "type": "RuntimeDefault" },
            }),
            container: json!({
                "runAsNonRoot": true,
                "runAsUser": security.run_as_user,
                "runAsGroup": security.run_as_group,
                "allowPrivilegeEscalation": false,
                "readOnlyRootFilesystem": security.read_only_root_filesystem,
                "capabilities": { "drop": ["ALL"] },
                "seccompProfile": { "type": "RuntimeDefault" },
            }),
            tmp_volume: security.read_only_root_filesystem,
        }
    }
}

#[derive(Debug, Serialize)]
struct AppContext {
    title: String,
    organization: String,
}

#[derive(Debug, Serialize)]
struct DatabaseContext {
    host: String,
    port: &'static str,
    image: ChartImage,
    username: String,
    name: String,
    secret_name: String,
    encrypted_data: BTreeMap<String, String>,
    sealed_secret_annotations: BTreeMap<&'static str, &'static str>,
    sealing_scope_annotation: BTreeMap<&'static str, &'static str>,
    persistence: Value,
    wait_for_ready: bool,
    wait_image: String,
    credentials_annotation: BTreeMap<&'static str, String>,
    password_job: String,
    password_script: &'static str,
    client_security_context: Value,
}

#[derive(Debug, Serialize)]
struct TlsContext {
    secret_name: String,
    issuer_name: String,
    issuer_kind: crate::environment::IssuerKind,
    duration: String,
    renew_before: String,
    private_key: Value,
}

#[derive(Debug, Serialize)]
struct IngressContext {
    class_name: String,
    annotations: BTreeMap<String, String>,
}

#[derive(Debug, Serialize)]
struct GuestContext {
    enabled: bool,
    provider: Value,
}

#[derive(Debug, Serialize)]
struct CatalogContext {
    allow: Vec<crate::environment::EntityKind>,
    locations: Vec<String>,
    location_entries: Vec<Value>,
    reading_allow: Vec<Value>,
    location_name: String,
    location_description: String,
}

#[derive(Debug, Serialize)]
struct ArgoCdContext {
    application_name: String,
    namespace: String,
    project: String,
    destination_server: String,
    auto_sync: bool,
    cascade_delete: bool,
}

/// The user the postgres image's clients run as (`postgres`, uid 70 in the alpine image).
const POSTGRES_CLIENT_UID: u32 = 70;

/// A digest of the sealed values (SHA-256 over key, value pairs): it changes with any of
/// them and reveals nothing a ciphertext does not.
fn credentials_digest(sealed: &BTreeMap<String, String>) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    for (key, value) in sealed {
        hash.update(key.as_bytes());
        hash.update([0]);
        hash.update(value.as_bytes());
        hash.update([0]);
    }
    let digest = hash.finalize();
    digest
        .iter()
        .take(16)
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The chart's Service name for a release (its `common.names.fullname`).
pub fn service_name(release_name: &str, chart_name: &str) -> String {
    if release_name.contains(chart_name) {
        release_name.to_string()
    } else {
        format!("{release_name}-{chart_name}")
    }
}

/// The PostgreSQL Service name for a release (the subchart's dependency fullname).
pub fn postgres_host(release_name: &str) -> String {
    if release_name.contains("postgresql") {
        release_name.to_string()
    } else {
        format!("{release_name}-postgresql")
    }
}

/// The name of the Application stagehand renders: `spec.argocd.applicationName`, else
/// `<releaseName>-<metadata.name>`.
pub fn application_name(environment: &Environment) -> String {
    let spec = &environment.spec;
    spec.argocd
        .application_name
        .clone()
        .unwrap_or_else(|| format!("{}-{}", spec.release_name, environment.metadata.name))
}

impl TemplateContext {
    /// Derives the context of a validated environment.
    pub fn derive(environment: &Environment) -> Self {
        let spec = &environment.spec;
        let name = environment.metadata.name.clone();
        let base_url = format!("https://{}", spec.hostname);
        let service_name = service_name(&spec.release_name, &spec.chart.name);
        let database = &spec.database;
        let encrypted_data = match &database.encrypted_data {
            Some(sealed) => sealed.clone(),
            None => crate::validate::DATABASE_SECRET_KEYS
                .iter()
                .map(|key| (key.to_string(), SEALED_PLACEHOLDER.to_string()))
                .collect(),
        };
        // kubeseal puts a non-strict scope's annotation on the SealedSecret and its template.
        let scope_annotation: BTreeMap<&'static str, &'static str> = database
            .sealing_scope
            .annotation()
            .map(|name| (name, "true"))
            .into_iter()
            .collect();
        let mut persistence = json!({ "enabled": true });
        if let Some(class) = &database.storage.storage_class {
            persistence["storageClass"] = json!(class);
        }
        persistence["size"] = json!(database.storage.size);
        let private_key = match spec.tls.private_key.algorithm {
            KeyAlgorithm::Ed25519 => json!({ "algorithm": spec.tls.private_key.algorithm }),
            _ => {
                json!({ "algorithm": spec.tls.private_key.algorithm, "size": spec.tls.private_key.size })
            }
        };
        let mut annotations = BTreeMap::from([(SYNC_WAVE.to_string(), "0".to_string())]);
        annotations.extend(spec.ingress.annotations.clone());
        let provider = if spec.auth.guest.allow_outside_development {
            json!({ "dangerouslyAllowOutsideDevelopment": true })
        } else {
            json!({})
        };
        let catalog = &spec.catalog;
        let credentials_annotation = database
            .encrypted_data
            .as_ref()
            .map(|sealed| (CREDENTIALS_ANNOTATION, credentials_digest(sealed)))
            .into_iter()
            .collect();
        Self {
            namespace: spec.namespace.clone(),
            hostname: spec.hostname.clone(),
            base_url,
            release_name: spec.release_name.clone(),
            labels: BTreeMap::from([MANAGED_BY]),
            app: AppContext {
                title: spec.app.title.clone(),
                organization: spec.app.organization.clone(),
            },
            image: spec.image.clone(),
            chart: spec.chart.clone(),
            replicas: spec.replicas,
            backend_port: spec.backend_port,
            resources: spec.resources.clone(),
            database: DatabaseContext {
                host: postgres_host(&spec.release_name),
                port: POSTGRES_PORT,
                image: database.image.clone(),
                username: database.username.clone(),
                name: database.name.clone(),
                secret_name: database.secret_name.clone(),
                encrypted_data,
                sealed_secret_annotations: scope_annotation
                    .clone()
                    .into_iter()
                    .chain([(SYNC_WAVE, "-1")])
                    .collect(),
                sealing_scope_annotation: scope_annotation,
                persistence,
                wait_for_ready: database.wait_for_ready,
                wait_image: format!(
                    "{}/{}:{}",
                    database.wait_image.registry,
                    database.wait_image.repository,
                    database.wait_image.tag
                ),
                credentials_annotation,
                password_job: format!("{}-database-password", spec.release_name),
                password_script: PASSWORD_SCRIPT,
                client_security_context: json!({
                    "runAsNonRoot": true,
                    "runAsUser": POSTGRES_CLIENT_UID,
                    "runAsGroup": POSTGRES_CLIENT_UID,
                    "allowPrivilegeEscalation": false,
                    "readOnlyRootFilesystem": true,
                    "capabilities": { "drop": ["ALL"] },
                    "seccompProfile": { "type": "RuntimeDefault" },
                }),
            },
            tls: TlsContext {
                secret_name: format!("{service_name}-tls"),
                issuer_name: spec.tls.issuer.name.clone(),
                issuer_kind: spec.tls.issuer.kind,
                duration: spec.tls.duration.clone(),
                renew_before: spec.tls.renew_before.clone(),
                private_key,
            },
            ingress: IngressContext {
                class_name: spec.ingress.class_name.clone(),
                annotations,
            },
            guest: GuestContext {
                enabled: spec.auth.guest.enabled,
                provider,
            },
            catalog: CatalogContext {
                allow: catalog.allow.clone(),
                locations: catalog.locations.clone(),
                location_entries: catalog
                    .locations
                    .iter()
                    .map(|target| json!({ "type": "url", "target": target }))
                    .collect(),
                reading_allow: crate::reading_allow::allow_list(
                    &catalog.locations,
                    &catalog.reading_allow,
                )
                .into_iter()
                .map(|host| json!({ "host": host }))
                .collect(),
                location_name: format!("{name}-catalog"),
                location_description: format!(
                    "Catalog locations of the {name} environment, rendered by stagehand"
                ),
            },
            argocd: ArgoCdContext {
                application_name: application_name(environment),
                namespace: spec.argocd.namespace.clone(),
                project: spec.argocd.project.clone(),
                destination_server: spec.argocd.destination_server.clone(),
                auto_sync: spec.argocd.auto_sync,
                cascade_delete: spec.argocd.cascade_delete,
            },
            security: SecurityContext::of(&spec.security),
            service_name,
            name,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_chart() {
        assert_eq!(service_name("backstage", "backstage"), "backstage");
        assert_eq!(service_name("portal", "backstage"), "portal-backstage");
        assert_eq!(postgres_host("backstage"), "backstage-postgresql");
    }
}
