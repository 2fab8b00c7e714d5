//! The validate stage: the rules a typed environment must meet before it is rendered.
//!
//! Shape (fields, types, enums, ranges) was checked against the schema already; these are
//! the rules a schema cannot say: name formats, quantities that parse, requests within
//! limits, catalog locations, semver, consistency between fields, and the seed's gotchas as
//! warnings. Every rule runs, so one pass reports every problem.

use std::collections::BTreeSet;

use crate::environment::{ChartImage, Environment, Image, ResourceRequirements, SecretSource};
use crate::error::Finding;
use crate::field_path::FieldPath;
use crate::names;
use crate::reading_allow;

/// The keys a Postgres SealedSecret must hold (the chart's `secretKeys`).
pub const DATABASE_SECRET_KEYS: [&str; 2] = ["password", "postgres-password"];

/// The most of a resource a quantity may name: beyond any real machine (or volume).
#[derive(Debug, Clone, Copy)]
struct QuantityBound {
    what: &'static str,
    most: f64,
    shown: &'static str,
}

/// CPU: 4096 cores.
const CPU_BOUND: QuantityBound = QuantityBound {
    what: "CPU",
    most: 4096.0,
    shown: "4096 cores",
};

/// Memory: 64 TiB.
const MEMORY_BOUND: QuantityBound = QuantityBound {
    what: "memory",
    most: 64.0 * 1_099_511_627_776.0,
    shown: "64Ti",
};

/// A volume: 1 PiB.
const STORAGE_BOUND: QuantityBound = QuantityBound {
    what: "storage",
    most: 1_125_899_906_842_624.0,
    shown: "1Pi",
};

/// What an unsealed SealedSecret means.
pub const UNSEALED: &str =
    "the SealedSecret holds placeholders, so Postgres will not start until it is sealed";

/// How to seal, for messages.
pub const SEAL_COMMAND: &str =
    "stagehand seal ENV --cert CERT, with CERT from kubeseal --fetch-cert";

/// How to seal again for where the SealedSecret now is, for messages.
pub const RESEAL_COMMAND: &str = "stagehand seal ENV --cert CERT";

/// `spec.chart.version` against the versions the base declares it was written for.
pub fn chart_version(
    environment: &Environment,
    supported: &[String],
    own_base: bool,
) -> Option<Finding> {
    let version = &environment.spec.chart.version;
    if supported.is_empty()
        || supported.contains(version)
        || semver::Version::parse(version).is_err()
    {
        return None;
    }
    let which = if own_base {
        "this base"
    } else {
        "the built-in base"
    };
    Some(
        Finding::error(
            FieldPath::root().key("spec").key("chart").key("version"),
            format!(
                "chart {} is not a version {which} was written for (it supports {})",
                crate::quote::shorten(version),
                supported.join(", ")
            ),
        )
        .with_hint(format!(
            "use {}; for another chart version, make a base of your own (`base: <folder>`) \
             whose environment.yaml lists it under chartVersions, and check what it renders \
             with `stagehand render ENV --expand-chart`",
            supported.join(" or ")
        )),
    )
}

/// Every problem with `environment`, errors and warnings, in field order.
pub fn validate(environment: &Environment) -> Vec<Finding> {
    let mut rules = Rules::default();
    let spec = &environment.spec;
    let root = FieldPath::root();
    let at = root.key("spec");

    rules.check(
        &root.key("metadata").key("name"),
        names::dns_label(&environment.metadata.name, 63),
    );
    rules.check(&at.key("namespace"), names::dns_label(&spec.namespace, 63));
    rules.check(&at.key("hostname"), names::hostname(&spec.hostname));
    rules.check(
        &at.key("releaseName"),
        names::dns_label(&spec.release_name, 53),
    );
    rules.not_blank(&at.key("app").key("title"), &spec.app.title);
    rules.not_blank(&at.key("app").key("organization"), &spec.app.organization);
    rules.image(&at.key("image"), &spec.image);
    if spec.image.tag == "latest" {
        rules.0.push(
            Finding::warning(
                at.key("image").key("tag"),
                "the image tag `latest` is not reproducible",
            )
            .with_hint("pin a released tag so every sync runs the same Backstage"),
        );
    }
    rules.chart(environment);
    for workload in ["backstage", "postgresql"] {
        let requirements = match workload {
            "backstage" => &spec.resources.backstage,
            _ => &spec.resources.postgresql,
        };
        rules.resources(&at.key("resources").key(workload), requirements);
    }
    rules.database(environment);
    rules.tls(environment);
    rules.ingress(environment);
    rules.auth(environment);
    rules.catalog(environment);
    rules.argocd(environment);
    rules.0
}

#[derive(Default)]
struct Rules(Vec<Finding>);

impl Rules {
    fn check(&mut self, path: &FieldPath, outcome: Result<(), String>) {
        if let Err(why) = outcome {
            self.0.push(Finding::error(path.clone(), why));
        }
    }

    fn not_blank(&mut self, path: &FieldPath, text: &str) {
        if text.trim().is_empty() {
            self.0
                .push(Finding::error(path.clone(), "must not be empty"));
        }
    }

    fn image(&mut self, at: &FieldPath, image: &Image) {
        self.check(&at.key("registry"), names::image_registry(&image.registry));
        self.check(
            &at.key("repository"),
            names::image_repository(&image.repository),
        );
        self.check(&at.key("tag"), names::image_tag(&image.tag));
    }

    fn chart_image(&mut self, at: &FieldPath, image: &ChartImage) {
        self.check(&at.key("registry"), names::image_registry(&image.registry));
        self.check(
            &at.key("repository"),
            names::image_repository(&image.repository),
        );
        if let Some(tag) = &image.tag {
            self.check(&at.key("tag"), names::image_tag(tag));
        }
    }

    fn https_url(&mut self, path: &FieldPath, text: &str) -> Option<String> {
        match https_host(text) {
            Ok(host) => Some(host),
            Err(why) => {
                self.0
                    .push(Finding::error(path.clone(), why).with_hint("write https://host/path"));
                None
            }
        }
    }

    fn chart(&mut self, environment: &Environment) {
        let chart = &environment.spec.chart;
        let at = FieldPath::root().key("spec").key("chart");
        self.https_url(&at.key("repository"), &chart.repository);
        self.check(&at.key("name"), names::dns_label(&chart.name, 63));
        if semver::Version::parse(&chart.version).is_err() {
            self.0.push(
                Finding::error(
                    at.key("version"),
                    format!("`{}` is not a semantic version", chart.version),
                )
                .with_hint("write MAJOR.MINOR.PATCH, e.g. 2.7.0"),
            );
        }
    }

    fn resources(&mut self, at: &FieldPath, requirements: &ResourceRequirements) {
        for (resource, bound) in [("cpu", CPU_BOUND), ("memory", MEMORY_BOUND)] {
            let (request, limit) = match resource {
                "cpu" => (&requirements.requests.cpu, &requirements.limits.cpu),
                _ => (&requirements.requests.memory, &requirements.limits.memory),
            };
            let request_path = at.key("requests").key(resource);
            let limit_path = at.key("limits").key(resource);
            let request_value = self.bounded_quantity(&request_path, request, bound);
            let limit_value = self.bounded_quantity(&limit_path, limit, bound);
            if let (Some(request_value), Some(limit_value)) = (request_value, limit_value)
                && request_value > limit_value
            {
                self.0.push(
                    Finding::error(
                        request_path,
                        format!("the {resource} request {request} is more than the limit {limit}"),
                    )
                    .with_hint(
                        "a request must be at most its limit: lower the request or raise the limit",
                    ),
                );
            }
        }
    }

    /// A quantity that parses and is within `bound`.
    fn bounded_quantity(
        &mut self,
        path: &FieldPath,
        quantity: &crate::quantity::Quantity,
        bound: QuantityBound,
    ) -> Option<f64> {
        let value = self.quantity(path, quantity.value())?;
        if value > bound.most {
            self.0.push(
                Finding::error(
                    path.clone(),
                    format!(
                        "`{}` is more {} than any real machine has",
                        crate::quote::shorten(&quantity.0),
                        bound.what
                    ),
                )
                .with_hint(format!("{} here is at most {}", bound.what, bound.shown)),
            );
            return None;
        }
        Some(value)
    }

    fn quantity(&mut self, path: &FieldPath, value: Result<f64, String>) -> Option<f64> {
        match value {
            Ok(amount) => Some(amount),
            Err(why) => {
                self.0.push(Finding::error(path.clone(), why));
                None
            }
        }
    }

    fn database(&mut self, environment: &Environment) {
        let database = &environment.spec.database;
        let at = FieldPath::root().key("spec").key("database");
        self.chart_image(&at.key("image"), &database.image);
        self.check(
            &at.key("username"),
            names::postgres_identifier(&database.username),
        );
        self.check(&at.key("name"), names::postgres_identifier(&database.name));
        self.check(
            &at.key("secretName"),
            names::dns_subdomain(&database.secret_name),
        );
        if let Some(class) = &database.storage.storage_class {
            self.check(
                &at.key("storage").key("storageClass"),
                names::dns_subdomain(class),
            );
        }
        let size_path = at.key("storage").key("size");
        if self.bounded_quantity(&size_path, &database.storage.size, STORAGE_BOUND) == Some(0.0) {
            self.0.push(Finding::error(
                size_path,
                "the volume size must be more than zero",
            ));
        }
        if database.wait_for_ready {
            self.image(&at.key("waitImage"), &database.wait_image);
        }
        match (&database.encrypted_data, database.secret) {
            (None, SecretSource::Sealed) => self.0.push(
                Finding::warning(at.key("encryptedData"), UNSEALED)
                    .with_hint(format!("seal them: {SEAL_COMMAND}")),
            ),
            (Some(sealed), SecretSource::Sealed) => {
                let errors_before = self.0.len();
                self.sealed_data(&at.key("encryptedData"), sealed);
                if self.0.len() == errors_before {
                    self.sealed_for(environment);
                }
            }
            (Some(_), SecretSource::External) => self.0.push(
                Finding::error(
                    at.key("encryptedData"),
                    "is set, but spec.database.secret is external, so no SealedSecret is rendered",
                )
                .with_hint("remove encryptedData, or set spec.database.secret: sealed"),
            ),
            (None, SecretSource::External) => {}
        }
    }

    fn sealed_data(&mut self, at: &FieldPath, sealed: &std::collections::BTreeMap<String, String>) {
        for key in sealed.keys() {
            if !DATABASE_SECRET_KEYS.contains(&key.as_str()) {
                self.0.push(
                    Finding::error(
                        at.key(key),
                        format!(
                            "`{}` is not a key the chart reads",
                            crate::quote::shorten(key)
                        ),
                    )
                    .with_hint("the keys are `password` and `postgres-password`"),
                );
            }
        }
        for key in DATABASE_SECRET_KEYS {
            match sealed.get(key) {
                None => self.0.push(
                    Finding::error(at.key(key), format!("the sealed `{key}` is missing"))
                        .with_hint("seal both `password` and `postgres-password`"),
                ),
                Some(value) => {
                    if let Err(why) = crate::sealing::hybrid::check_ciphertext(value) {
                        self.0.push(Finding::error(at.key(key), why).with_hint(
                            "seal it with `stagehand seal`; a plain password never belongs here",
                        ));
                    }
                }
            }
        }
    }

    /// The sealed values must be bound to where the SealedSecret is now.
    fn sealed_for(&mut self, environment: &Environment) {
        let spec = &environment.spec;
        let database = &spec.database;
        let at = FieldPath::root()
            .key("spec")
            .key("database")
            .key("sealedFor");
        let Some(sealed_for) = &database.sealed_for else {
            self.0.push(
                Finding::warning(
                    at,
                    "encryptedData does not record where it was sealed for (sealed by kubeseal or an older stagehand), so a moved SealedSecret cannot be caught",
                )
                .with_hint(format!(
                    "if it was sealed for this place, add sealedFor: {{namespace: {}, secretName: {}, scope: {}}}",
                    spec.namespace,
                    database.secret_name,
                    database.sealing_scope.name()
                )),
            );
            return;
        };
        let moved = [
            (
                "namespace",
                &sealed_for.namespace,
                &spec.namespace,
                "spec.namespace",
            ),
            (
                "secretName",
                &sealed_for.secret_name,
                &database.secret_name,
                "spec.database.secretName",
            ),
        ]
        .into_iter()
        .filter(|(_, then, now, _)| then != now)
        .map(|(field, then, now, source)| (field, then.as_str(), now.as_str(), source))
        .chain((sealed_for.scope != database.sealing_scope).then(|| {
            (
                "scope",
                sealed_for.scope.name(),
                database.sealing_scope.name(),
                "spec.database.sealingScope",
            )
        }));
        for (field, then, now, source) in moved {
            self.0.push(
                Finding::error(
                    at.key(field),
                    format!(
                        "the values were sealed for {field} `{}`, but {source} is `{}`: the controller cannot unseal them",
                        crate::quote::shorten(then),
                        crate::quote::shorten(now)
                    ),
                )
                .with_hint(format!(
                    "seal them again for where they go: {RESEAL_COMMAND} (fresh passwords, for a new database; --from-env-file with the current ones keeps a running database's)"
                )),
            );
        }
    }

    fn tls(&mut self, environment: &Environment) {
        let tls = &environment.spec.tls;
        let at = FieldPath::root().key("spec").key("tls");
        self.check(
            &at.key("issuer").key("name"),
            names::dns_subdomain(&tls.issuer.name),
        );
        let duration = self.duration(&at.key("duration"), &tls.duration);
        let renew_before = self.duration(&at.key("renewBefore"), &tls.renew_before);
        if let Some(duration) = duration
            && duration < 3600.0
        {
            self.0.push(Finding::error(
                at.key("duration"),
                format!(
                    "`{}` is shorter than cert-manager's minimum of 1h",
                    tls.duration
                ),
            ));
        }
        if let (Some(duration), Some(renew_before)) = (duration, renew_before)
            && renew_before >= duration
        {
            self.0.push(
                Finding::error(
                    at.key("renewBefore"),
                    format!(
                        "renewBefore `{}` is not shorter than the duration `{}`",
                        tls.renew_before, tls.duration
                    ),
                )
                .decided_by(at.key("duration"))
                .with_hint("renewBefore must be less than duration, e.g. 720h for 2160h"),
            );
        }
        let size = tls.private_key.size;
        let sizes = tls.private_key.algorithm.sizes();
        if !sizes.is_empty() && !sizes.contains(&size) {
            let allowed: Vec<String> = sizes.iter().map(ToString::to_string).collect();
            self.0.push(
                Finding::error(
                    at.key("privateKey").key("size"),
                    format!("{size} is not a valid key size for this algorithm"),
                )
                .with_hint(format!("use one of {}", allowed.join(", "))),
            );
        }
    }

    fn duration(&mut self, path: &FieldPath, text: &str) -> Option<f64> {
        match names::go_duration(text) {
            Ok(seconds) => Some(seconds),
            Err(why) => {
                self.0.push(Finding::error(path.clone(), why));
                None
            }
        }
    }

    fn ingress(&mut self, environment: &Environment) {
        let ingress = &environment.spec.ingress;
        let at = FieldPath::root().key("spec").key("ingress");
        self.check(
            &at.key("className"),
            names::dns_subdomain(&ingress.class_name),
        );
        for key in ingress.annotations.keys() {
            self.check(&at.key("annotations").key(key), names::qualified_name(key));
        }
    }

    fn auth(&mut self, environment: &Environment) {
        let guest = &environment.spec.auth.guest;
        let at = FieldPath::root().key("spec").key("auth").key("guest");
        match (guest.enabled, guest.allow_outside_development) {
            (false, true) => self.0.push(
                Finding::error(at.key("allowOutsideDevelopment"), "is true while guest sign-in is disabled")
                    .with_hint("set enabled: true as well, or remove allowOutsideDevelopment"),
            ),
            (true, true) => self.0.push(
                Finding::warning(
                    at.key("allowOutsideDevelopment"),
                    "guest sign-in is allowed outside development: anyone who reaches the host is signed in",
                )
                .with_hint("acceptable only on a private network; configure a real sign-in provider otherwise"),
            ),
            (true, false) => self.0.push(
                Finding::warning(
                    at.key("enabled"),
                    "the off-the-shelf image runs with NODE_ENV=production, where guest sign-in is refused (NotAllowedError)",
                )
                .with_hint("set allowOutsideDevelopment: true if guest sign-in is really wanted"),
            ),
            (false, false) => {}
        }
    }

    fn catalog(&mut self, environment: &Environment) {
        let catalog = &environment.spec.catalog;
        let at = FieldPath::root().key("spec").key("catalog");
        let mut seen = BTreeSet::new();
        for (index, location) in catalog.locations.iter().enumerate() {
            let path = at.key("locations").index(index);
            let url = match reading_allow::location(location) {
                Ok(url) => url,
                Err(why) => {
                    self.0
                        .push(Finding::error(path, why).with_hint("write https://host/path"));
                    continue;
                }
            };
            if !seen.insert(location.as_str()) {
                self.0.push(
                    Finding::error(path, "this location is listed twice")
                        .with_hint("remove the duplicate"),
                );
            } else if url.scheme() == "http" {
                self.0.push(
                    Finding::warning(
                        path,
                        "the catalog is read over plain http: anyone on the way can read or change it",
                    )
                    .with_hint("serve it over https where the Git server can"),
                );
            }
        }
        for (index, entry) in catalog.reading_allow.iter().enumerate() {
            let path = at.key("readingAllow").index(index);
            if let Err(why) = reading_allow::Entry::parse(entry) {
                self.0.push(Finding::error(path, why));
            }
        }
        if catalog.allow.is_empty() {
            self.0.push(
                Finding::error(
                    at.key("allow"),
                    "no entity kind is allowed, so the catalog stays empty",
                )
                .with_hint("list kinds such as Component, System, API"),
            );
        }
        let mut kinds = BTreeSet::new();
        for (index, kind) in catalog.allow.iter().enumerate() {
            if !kinds.insert(format!("{kind:?}")) {
                self.0.push(Finding::warning(
                    at.key("allow").index(index),
                    "this kind is listed twice",
                ));
            }
        }
    }

    fn argocd(&mut self, environment: &Environment) {
        let argocd = &environment.spec.argocd;
        let at = FieldPath::root().key("spec").key("argocd");
        self.check(
            &at.key("namespace"),
            names::dns_label(&argocd.namespace, 63),
        );
        self.check(&at.key("project"), names::dns_subdomain(&argocd.project));
        self.https_url(&at.key("destinationServer"), &argocd.destination_server);
        if let Some(name) = &argocd.application_name {
            self.check(&at.key("applicationName"), names::dns_subdomain(name));
        }
    }
}

/// The host of an https URL without credentials, or why `text` is not one.
pub fn https_host(text: &str) -> Result<String, String> {
    let url = url::Url::parse(text).map_err(|error| format!("is not a URL ({error})"))?;
    if url.scheme() != "https" {
        return Err(format!(
            "uses `{}`: only https URLs are allowed",
            url.scheme()
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("holds credentials: a URL must not carry a user name or password".into());
    }
    let host = url
        .host_str()
        .ok_or_else(|| "has no host".to_string())?
        .to_string();
    if text.contains("{{") {
        return Err("holds `{{`: template syntax is not allowed in a URL".into());
    }
    Ok(host)
}
