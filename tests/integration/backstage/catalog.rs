//! The test catalog (e2e/catalog: one System and five Components) served on 127.0.0.1
//! as a Git host would serve the raw files, over https with a CA made for the run, or
//! over plain http.

use super::process::Server;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The catalog repositories, in the order the environment lists their locations.
pub const REPOSITORIES: [&str; 5] = [
    "minicloud-platform-docs",
    "minicloud-ansible",
    "minicloud-opentofu",
    "minicloud-gitops",
    "platform-demo",
];

/// A running catalog server.
pub struct CatalogServer {
    server: Server,
    scheme: &'static str,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// The CA that signed its certificate (https only), for `NODE_EXTRA_CA_CERTS`.
    pub ca: Option<PathBuf>,
}

impl CatalogServer {
    /// Starts e2e/catalog_server.py with its state in `dir`; `plain` serves http.
    pub fn start(dir: &Path, plain: bool) -> Self {
        let state = dir.join(if plain {
            "catalog-http"
        } else {
            "catalog-https"
        });
        std::fs::create_dir(&state).unwrap();
        let e2e = crate::support::repo().join("e2e");
        let mut command = Command::new("python3");
        command
            .arg(e2e.join("catalog_server.py"))
            .arg(e2e.join("catalog"))
            .arg(&state);
        if plain {
            command.arg("--plain");
        }
        let mut server = Server::start("the catalog server", command, &state.join("log"));
        let port = server.wait_for("`listening PORT`", Duration::from_secs(20), |server| {
            server
                .log()
                .lines()
                .find_map(|line| line.strip_prefix("listening ")?.parse::<u16>().ok())
        });
        Self {
            server,
            scheme: if plain { "http" } else { "https" },
            port,
            ca: (!plain).then(|| state.join("ca.pem")),
        }
    }

    /// The location URL of each repository's catalog-info.yaml.
    pub fn locations(&self) -> Vec<String> {
        REPOSITORIES
            .iter()
            .map(|repo| {
                format!(
                    "{}://127.0.0.1:{}/{repo}/catalog-info.yaml",
                    self.scheme, self.port
                )
            })
            .collect()
    }

    /// The `--set` that points the environment's locations here.
    pub fn set_locations(&self) -> String {
        format!("spec.catalog.locations=[{}]", self.locations().join(","))
    }

    /// The requests served so far, as `GET PATH STATUS` lines.
    pub fn requests(&self) -> Vec<String> {
        self.server
            .log()
            .lines()
            .filter(|line| line.starts_with("GET "))
            .map(str::to_string)
            .collect()
    }

    /// Stops the server by its PID.
    pub fn stop(self) {
        self.server.stop(rustix::process::Signal::TERM);
    }
}
