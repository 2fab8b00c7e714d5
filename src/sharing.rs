//! Environments that share a cluster: what each one claims there, and the claims two of
//! them make alike (the same objects, the same hostname, the same Application).

use crate::artifacts::RenderedEnvironment;
use crate::environment::Environment;
use crate::error::{Origin, Problem, Severity};
use crate::field_path::FieldPath;

/// What one environment claims where it is deployed.
#[derive(Debug, Clone)]
pub struct Claims {
    /// The environment file, as messages name it.
    file: String,
    /// Destination server, namespace and release name: who owns the chart's objects.
    release: (String, String, String),
    /// The hostname its Ingress and Certificate serve.
    hostname: String,
    /// ArgoCD namespace and Application name.
    application: (String, String),
}

impl Claims {
    /// The claims of a rendered environment.
    pub fn of(rendered: &RenderedEnvironment) -> Self {
        Self::of_environment(&rendered.environment, &rendered.file)
    }

    /// The claims of `environment`, read from `file`.
    pub fn of_environment(environment: &Environment, file: &str) -> Self {
        let spec = &environment.spec;
        Self {
            file: file.to_string(),
            release: (
                spec.argocd.destination_server.clone(),
                spec.namespace.clone(),
                spec.release_name.clone(),
            ),
            hostname: spec.hostname.clone(),
            application: (
                spec.argocd.namespace.clone(),
                crate::context::application_name(environment),
            ),
        }
    }

    /// The same claims, the file named without `prefix` (a temporary or top folder).
    pub fn without_prefix(mut self, prefix: &str) -> Self {
        if let Some(rest) = self.file.strip_prefix(prefix) {
            self.file = rest.to_string();
        }
        self
    }

    /// The environment file, as messages name it.
    pub fn file(&self) -> &str {
        &self.file
    }
}

/// One problem (of `severity`) for each later environment that claims what an earlier
/// one does, naming both files and the field.
pub fn conflicts(claims: &[Claims], severity: Severity) -> Vec<Problem> {
    let mut problems = Vec::new();
    for (index, later) in claims.iter().enumerate() {
        for earlier in claims[..index].iter().filter(|e| e.file != later.file) {
            let mut clash = |field: FieldPath, message: String, hint: &str| {
                problems.push(Problem {
                    severity,
                    origin: Origin::new(later.file.clone(), None),
                    field: Some(field),
                    message,
                    hint: Some(hint.to_string()),
                });
            };
            let spec = FieldPath::root().key("spec");
            if later.release == earlier.release {
                let (server, namespace, release) = &later.release;
                clash(
                    spec.key("namespace"),
                    format!(
                        "{} installs release `{release}` into namespace `{namespace}` on {server} too: both would own the same objects",
                        earlier.file
                    ),
                    "give each environment its own spec.namespace, spec.releaseName or spec.argocd.destinationServer",
                );
            }
            if later.hostname == earlier.hostname {
                clash(
                    spec.key("hostname"),
                    format!(
                        "{} serves `{}` too: two Ingresses and Certificates for one host",
                        earlier.file, later.hostname
                    ),
                    "give each environment its own spec.hostname",
                );
            }
            if later.application == earlier.application {
                let (namespace, name) = &later.application;
                clash(
                    spec.key("argocd").key("applicationName"),
                    format!(
                        "{} makes the Application `{name}` in namespace `{namespace}` too: each sync would overwrite the other's",
                        earlier.file
                    ),
                    "give each environment its own metadata.name or spec.argocd.applicationName",
                );
            }
        }
    }
    problems
}
