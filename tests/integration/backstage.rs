//! The rendered deployment against the programs it configures: a real Backstage backend
//! (e2e/backstage: backend-defaults, auth with the guest provider, the catalog) and a real
//! PostgreSQL, each set up only from the objects `render --expand-chart` prints.
//!
//! Per case: the catalog files are served on 127.0.0.1; the environment is rendered with
//! its locations pointing there; Postgres is set up from the StatefulSet's env as bitnami's
//! first boot does; the backend runs with the Deployment's env and args and the mounted
//! ConfigMap. Only the Postgres host and port and the listen address are remapped to
//! loopback (the listen port to a free one, which each probe must match as rendered).

mod backend;
mod catalog;
mod deployment;
pub mod postgres;
mod process;

use crate::support::{Need, available, repo};
use backend::Backend;
use catalog::CatalogServer;
use deployment::{Pod, Rendered, Secret, env, lookup, made_up_password, probes};
use postgres::{FirstBoot, Postgres};
use process::{Server, free_port};
use serde_json::Value;
use std::time::Duration;

fn tier_available() -> bool {
    available(&[
        Need::Shared("charts/backstage-2.7.0.tgz"),
        Need::Helm,
        Need::PyCryptography,
        Need::Npm,
        Need::Postgres,
    ])
}

/// One case: the catalog server, the rendered objects, the made-up Secret and Postgres
/// after its first boot (not yet started).
struct Stack {
    dir: tempfile::TempDir,
    catalog: CatalogServer,
    rendered: Rendered,
    secret: Secret,
    postgres: Postgres,
    /// The first-boot settings read from the StatefulSet.
    boot: FirstBoot,
    /// The backend's port on 127.0.0.1 (the rendered listen port's stand-in).
    backend_port: u16,
}

impl Stack {
    /// Serves the catalog (`plain`: over http), renders `environment` (a folder of the
    /// repository) with the locations pointing at it and `sets`, and boots Postgres once.
    fn prepare(environment: &str, sets: &[&str], plain: bool) -> Self {
        let dir = process::case_folder();
        let catalog = CatalogServer::start(dir.path(), plain);
        let mut all_sets = vec![catalog.set_locations()];
        all_sets.extend(sets.iter().map(|set| set.to_string()));
        let rendered = Rendered::render(&repo().join(environment), &all_sets);
        let secret = rendered.made_up_secret();
        let boot = FirstBoot::from_env(&env(rendered.postgres_pod().main(), &secret));
        let postgres = Postgres::first_boot(dir.path(), &boot, free_port());
        Self {
            dir,
            catalog,
            rendered,
            secret,
            postgres,
            boot,
            backend_port: free_port(),
        }
    }

    /// `env` with the Postgres host and port in `host_var` and `port_var` (which must
    /// name a rendered Service and its port) pointed at the local server.
    fn to_loopback(
        &self,
        env: Vec<(String, String)>,
        host_var: &str,
        port_var: &str,
    ) -> Vec<(String, String)> {
        let host = lookup(&env, host_var).to_string();
        let port = self.rendered.service_port(&host);
        assert_eq!(
            lookup(&env, port_var),
            port.to_string(),
            "{port_var} is not the port of the Service {host}"
        );
        env.into_iter()
            .map(|(key, value)| match key.as_str() {
                k if k == host_var => (key, "127.0.0.1".to_string()),
                k if k == port_var => (key, self.postgres.port.to_string()),
                _ => (key, value),
            })
            .collect()
    }

    /// The port the backend listens on as rendered.
    fn rendered_listen_port(&self) -> u16 {
        let env = env(self.rendered.backend_pod().main(), &self.secret);
        lookup(&env, "APP_CONFIG_backend_listen_port")
            .parse()
            .expect("a numeric listen port")
    }

    /// The backend container's env, remapped to loopback, as node gets it.
    fn backend_env(&self) -> Vec<(String, String)> {
        let container = self.rendered.backend_pod().main();
        let mut env = self.to_loopback(
            env(container, &self.secret),
            "POSTGRES_HOST",
            "POSTGRES_PORT",
        );
        for (key, value) in &mut env {
            if key == "APP_CONFIG_backend_listen_port" {
                *value = self.backend_port.to_string();
            }
        }
        env.push(("APP_CONFIG_backend_listen_host".into(), "127.0.0.1".into()));
        env.push(("NODE_ENV".into(), "production".into()));
        if let Some(ca) = &self.catalog.ca {
            env.push(("NODE_EXTRA_CA_CERTS".into(), ca.display().to_string()));
        }
        env
    }

    /// The container's args, with the ConfigMap mounted below the case's folder and each
    /// absolute path pointed there.
    fn backend_args(&self) -> Vec<String> {
        let root = self.dir.path().join("container");
        let mounted = self.rendered.mount_config(&root);
        assert!(!mounted.is_empty(), "the Deployment mounts no ConfigMap");
        let container = self.rendered.backend_pod().main();
        assert_eq!(
            container["command"],
            serde_json::json!(["node", "packages/backend"]),
            "the image's entry point (what index.js stands in for)"
        );
        container["args"]
            .as_array()
            .expect("args")
            .iter()
            .map(|arg| {
                let arg = arg.as_str().unwrap();
                match arg.strip_prefix('/') {
                    Some(path) => root.join(path).display().to_string(),
                    None => arg.to_string(),
                }
            })
            .collect()
    }

    /// Starts the rendered wait-for-postgres init container's command, its env remapped.
    fn start_init_container(&self) -> Server {
        let init = self.rendered.backend_pod().init("wait-for-postgres");
        let init_env = self.to_loopback(env(init, &self.secret), "PGHOST", "PGPORT");
        Server::start(
            "wait-for-postgres",
            Pod::command(init, init_env),
            &self.dir.path().join("init.log"),
        )
    }

    /// Starts the backend and waits until it is ready.
    fn start_backend(&self) -> Backend {
        let context = &self.rendered.backend_pod().main()["securityContext"];
        let id = |field: &str| {
            context[field]
                .as_u64()
                .and_then(|id| u32::try_from(id).ok())
                .unwrap_or_else(|| panic!("the backend container sets no {field}: {context}"))
        };
        let user = (id("runAsUser"), id("runAsGroup"));
        assert_ne!(user.0, 0, "the backend container runs as root");
        let mut backend = Backend::start(
            &self.backend_args(),
            &self.backend_env(),
            self.dir.path(),
            self.backend_port,
            user,
        );
        backend.wait_ready();
        let running_as = backend.uid().expect("the backend's user id");
        assert_ne!(running_as, 0, "the backend runs as root");
        if rustix::process::geteuid().is_root() {
            assert_eq!(
                running_as, user.0,
                "the backend runs as the rendered runAsUser"
            );
        }
        backend
    }
}

/// Guest sign-in: the token from `/api/auth/guest/refresh`, which must answer 200.
fn guest_token(backend: &Backend) -> String {
    let answer = backend
        .get("/api/auth/guest/refresh", None)
        .expect("the backend answers");
    assert_eq!(answer.status, 200, "guest refresh: {}", answer.body);
    let token = answer.json()["backstageIdentity"]["token"]
        .as_str()
        .expect("a backstageIdentity token")
        .to_string();
    assert_eq!(token.split('.').count(), 3, "not a JWT: {token}");
    token
}

/// The catalog's System and Component entities, once there are `systems` and
/// `components` of them (at most 90 s: the first processing loop reads the locations).
fn catalog_entities(
    backend: &mut Backend,
    token: &str,
    systems: usize,
    components: usize,
) -> Vec<Value> {
    backend.wait_for(
        "catalog entities",
        Duration::from_secs(90),
        |backend, log| {
            let refused = log.lines().find(|line| line.contains("is not allowed"));
            assert!(
                refused.is_none(),
                "Backstage refused a location: {refused:?}"
            );
            let answer = backend.get("/api/catalog/entities", Some(token))?;
            assert_eq!(answer.status, 200, "entities: {}", answer.body);
            let entities: Vec<Value> = answer.json().as_array()?.clone();
            let count = |kind: &str| entities.iter().filter(|e| e["kind"] == kind).count();
            (count("System") == systems && count("Component") == components).then(|| {
                entities
                    .into_iter()
                    .filter(|e| e["kind"] == "System" || e["kind"] == "Component")
                    .collect()
            })
        },
    )
}

/// Asserts the catalog holds the System `minicloud-platform` and its five Components.
fn assert_catalog_read(backend: &mut Backend, token: &str) {
    let entities = catalog_entities(backend, token, 1, 5);
    let system = entities.iter().find(|e| e["kind"] == "System").unwrap();
    assert_eq!(system["metadata"]["name"], "minicloud-platform");
    for component in entities.iter().filter(|e| e["kind"] == "Component") {
        assert_eq!(
            component["spec"]["system"], "minicloud-platform",
            "{}",
            component["metadata"]["name"]
        );
    }
}

/// Each probe of the rendered backend container answers 200 on its path, on the port
/// the backend listens on as rendered.
fn assert_probes_answer(stack: &Stack, backend: &Backend) {
    let probes = probes(stack.rendered.backend_pod().main());
    assert!(
        probes.len() >= 2,
        "the backend has no readiness and liveness probes"
    );
    for (probe, path, port) in probes {
        assert_eq!(
            port,
            stack.rendered_listen_port(),
            "the {probe} asks port {port}, where the backend does not listen"
        );
        let answer = backend.get(&path, None).expect("the backend answers");
        assert_eq!(answer.status, 200, "{probe} {path}: {}", answer.body);
    }
}

/// Prints what Backstage logged at warn or error level (for the tier's report).
fn report_warnings(case: &str, backend: &Backend) {
    for line in backend.warnings() {
        eprintln!("{case}: backstage logged: {line}");
    }
}

#[test]
fn the_seed_environment_runs_in_backstage() {
    if !tier_available() {
        return;
    }
    let mut stack = Stack::prepare("overlays/minicloud", &[], false);
    stack.postgres.start();
    assert!(
        stack
            .postgres
            .logs_in("postgres", &stack.boot.admin_password, "postgres"),
        "the postgres-password key is not the admin password"
    );
    let mut backend = stack.start_backend();
    assert_probes_answer(&stack, &backend);

    let token = guest_token(&backend);
    eprintln!("guest token: {} characters", token.len());
    let anonymous = backend.get("/api/catalog/entities", None).unwrap();
    assert_eq!(
        anonymous.status, 401,
        "entities without a token: {}",
        anonymous.body
    );
    assert_catalog_read(&mut backend, &token);
    let served = stack.catalog.requests();
    for repository in catalog::REPOSITORIES {
        let request = format!("GET /{repository}/catalog-info.yaml 200");
        assert!(served.contains(&request), "{request} not in {served:?}");
    }

    // The app-config against the installed plugins' schemas, as config:check does.
    let args = stack.backend_args();
    let (code, report) = backend::check_config(&args, &stack.backend_env(), stack.dir.path());
    assert_eq!(code, 0, "config check: {report}");
    let mut planted: Value = serde_yaml::from_str(stack.rendered.app_config()).unwrap();
    planted["backend"]["reading"]["allow"] = Value::String("127.0.0.1".into());
    let planted_file = stack.dir.path().join("planted.yaml");
    std::fs::write(&planted_file, serde_yaml::to_string(&planted).unwrap()).unwrap();
    let planted_args = vec!["--config".to_string(), planted_file.display().to_string()];
    let (code, report) =
        backend::check_config(&planted_args, &stack.backend_env(), stack.dir.path());
    assert_eq!(
        code, 1,
        "a planted wrong type passed the config check: {report}"
    );
    crate::support::assert_contains(&report["errors"].to_string(), "/backend/reading/allow");

    report_warnings("seed", &backend);
    backend.stop();
    stack.catalog.stop();
}

#[test]
fn guest_sign_in_is_refused_in_production_unless_allowed() {
    if !tier_available() {
        return;
    }
    let mut stack = Stack::prepare(
        "overlays/minicloud",
        &["spec.auth.guest.allowOutsideDevelopment=false"],
        false,
    );
    stack.postgres.start();
    let backend = stack.start_backend();
    let answer = backend.get("/api/auth/guest/refresh", None).unwrap();
    assert_eq!(
        answer.status,
        403,
        "guest refresh: {}",
        answer.json()["error"]
    );
    assert_eq!(
        answer.json()["error"]["name"],
        "NotAllowedError",
        "{}",
        answer.body
    );
    report_warnings("guest not allowed", &backend);
    backend.stop();
}

#[test]
fn a_location_host_missing_from_reading_allow_reads_nothing() {
    if !tier_available() {
        return;
    }
    let mut stack = Stack::prepare("overlays/minicloud", &[], false);
    // By hand, after rendering: the catalog server's entry leaves the allow-list.
    let entry = format!("127.0.0.1:{}", stack.catalog.port);
    let mut config: Value = serde_yaml::from_str(stack.rendered.app_config()).unwrap();
    let allow = config["backend"]["reading"]["allow"]
        .as_array_mut()
        .unwrap();
    let before = allow.len();
    allow.retain(|item| item["host"] != entry.as_str());
    assert_eq!(
        allow.len(),
        before - 1,
        "the rendered allow-list lacks {entry}"
    );
    stack
        .rendered
        .set_app_config(serde_yaml::to_string(&config).unwrap());
    stack.postgres.start();
    let mut backend = stack.start_backend();
    let token = guest_token(&backend);
    let locations = stack.catalog.locations();
    backend.wait_for(
        "a refusal of each location",
        Duration::from_secs(90),
        |_, log| {
            locations
                .iter()
                .all(|location| log.contains(&format!("Reading from '{location}' is not allowed")))
                .then_some(())
        },
    );
    let answer = backend.get("/api/catalog/entities", Some(&token)).unwrap();
    let read: Vec<Value> = answer.json().as_array().unwrap().clone();
    assert!(
        read.iter()
            .all(|e| e["kind"] != "System" && e["kind"] != "Component"),
        "entities were read: {read:?}"
    );
    assert_eq!(stack.catalog.requests(), Vec::<String>::new());
    backend.stop();
}

#[test]
fn a_renamed_release_on_port_8080_with_its_own_database_reads_over_http() {
    if !tier_available() {
        return;
    }
    let mut stack = Stack::prepare(
        "overlays/minicloud",
        &[
            "spec.releaseName=portal",
            "spec.backendPort=8080",
            "spec.database.username=catalog_owner",
            "spec.database.name=portal_catalog",
        ],
        true,
    );
    crate::support::assert_contains(
        &stack.rendered.warnings,
        "the catalog is read over plain http",
    );
    assert_eq!(stack.rendered_listen_port(), 8080);
    assert_eq!(stack.boot.user, "catalog_owner");
    assert_eq!(stack.boot.database, "portal_catalog");
    stack.postgres.start();
    assert!(
        stack
            .postgres
            .logs_in("catalog_owner", &stack.boot.password, "portal_catalog")
    );
    let mut backend = stack.start_backend();
    assert_probes_answer(&stack, &backend);
    let token = guest_token(&backend);
    assert_catalog_read(&mut backend, &token);
    report_warnings("renamed release", &backend);
    backend.stop();
}

#[test]
fn the_wait_for_postgres_init_container_holds_the_backend_until_postgres_is_up() {
    if !tier_available() {
        return;
    }
    let mut stack = Stack::prepare("overlays/minicloud", &[], false);
    let mut init = stack.start_init_container();
    // Postgres comes up 4 s later (in the cluster: its first boot); the command must wait.
    std::thread::sleep(Duration::from_secs(4));
    assert!(
        init.exited().is_none(),
        "the init container's command returned before Postgres was up:\n{}",
        init.log()
    );
    crate::support::assert_contains(&init.log(), "waiting for PostgreSQL");
    stack.postgres.start();
    let status = init.wait_exit(Duration::from_secs(30));
    assert!(
        status.success(),
        "wait-for-postgres: {status}:\n{}",
        init.log()
    );
    let mut backend = stack.start_backend();
    let token = guest_token(&backend);
    assert_catalog_read(&mut backend, &token);
    let log = backend.log();
    for failure in ["Backend startup failed", "ECONNREFUSED"] {
        assert!(
            !log.contains(failure),
            "the backend did not connect the first time:\n{log}"
        );
    }
    backend.stop();
}

/// The database password Job, as ArgoCD runs it at each sync: a rotated `password`
/// reaches the running PostgreSQL, the init container holds the restarted Backstage
/// until it has, and the pod template changes so that Backstage restarts at all.
#[test]
fn a_rotated_password_reaches_the_running_database_before_backstage_restarts() {
    if !tier_available() {
        return;
    }
    // A copy of the example environment, sealed (with the example certificate) already.
    let copy = tempfile::tempdir().unwrap();
    let environment = copy.path().join("environment.yaml");
    std::fs::copy(
        repo().join("overlays/minicloud/environment.yaml"),
        &environment,
    )
    .unwrap();
    let mut stack = Stack::prepare(environment.to_str().unwrap(), &[], false);
    stack.postgres.start();
    let before = stack.rendered.backend_template().clone();
    let old = stack.secret.values["password"].clone();

    // 1. Rotate with stagehand seal: only `password` changes in the file.
    let sealed_before: Value = crate::support::read_yaml(&environment);
    let new = made_up_password();
    let run = crate::support::Stagehand::new(["seal"])
        .arg(&environment)
        .arg("--cert")
        .arg(repo().join("tests/fixtures/sealing/cert.pem"))
        .args(["--rotate", "password", "--from-env-file", "-"])
        .run_with_stdin(&format!("password={new}\n"));
    assert_eq!(run.code, 0, "seal --rotate: {}", run.stderr);
    let sealed_after: Value = crate::support::read_yaml(&environment);
    let data = |file: &Value, key: &str| file["spec"]["database"]["encryptedData"][key].clone();
    assert_eq!(
        data(&sealed_before, "postgres-password"),
        data(&sealed_after, "postgres-password")
    );
    assert_ne!(
        data(&sealed_before, "password"),
        data(&sealed_after, "password")
    );

    // 2. The pod template changes (only in stagehand's annotation), so Backstage restarts.
    stack.rendered = Rendered::render(&environment, &[stack.catalog.set_locations()]);
    let after = stack.rendered.backend_template();
    assert_ne!(
        &before, after,
        "the rotation leaves the pod template as it was"
    );
    let annotation = |template: &Value| {
        template["metadata"]["annotations"]["stagehand/database-credentials"].clone()
    };
    assert_ne!(annotation(&before), annotation(after));
    assert_eq!(
        before["metadata"]["annotations"]["checksum/app-config"],
        after["metadata"]["annotations"]["checksum/app-config"]
    );
    stack.secret.values.insert("password".into(), new.clone());

    // 3. The restarted pod's init container waits: the database still has the old one.
    let mut init = stack.start_init_container();
    std::thread::sleep(Duration::from_secs(4));
    assert!(
        init.exited().is_none(),
        "the init container let Backstage start before the new password was applied:\n{}",
        init.log()
    );

    // 4. The Job, as rendered, applies it with the admin login from the same Secret.
    let job = stack.rendered.job_pod("backstage-database-password");
    let job_env = stack.to_loopback(env(job.main(), &stack.secret), "PGHOST", "PGPORT");
    let mut applying = Server::start(
        "database-password job",
        Pod::command(job.main(), job_env),
        &stack.dir.path().join("job.log"),
    );
    let status = applying.wait_exit(Duration::from_secs(60));
    assert!(status.success(), "the Job: {status}:\n{}", applying.log());
    assert!(
        !applying.log().contains(&new),
        "the Job printed the password"
    );
    let status = init.wait_exit(Duration::from_secs(30));
    assert!(
        status.success(),
        "wait-for-postgres: {status}:\n{}",
        init.log()
    );
    let user = &stack.boot.user;
    let database = &stack.boot.database;
    assert!(stack.postgres.logs_in(user, &new, database));
    assert!(!stack.postgres.logs_in(user, &old, database));

    // 5. Backstage, restarted with the Secret's new value, connects and reads the catalog.
    let mut backend = stack.start_backend();
    let token = guest_token(&backend);
    assert_catalog_read(&mut backend, &token);
    assert!(
        !stack.postgres.log().contains(&new),
        "the server logged the new password"
    );
    backend.stop();
}
