//! PostgreSQL 15 from the machine's packages, set up as the bitnami image's first boot
//! does from the StatefulSet's env, run as a non-root user with its data in the case's
//! folder. The only place the tier runs PostgreSQL's programs.

use super::process::{Server, hand_over, run_unprivileged};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The folder with `initdb`, `postgres`, `psql` and `pg_isready`: Debian keeps them in
/// /usr/lib/postgresql/VERSION/bin (the newest is taken); elsewhere, where `initdb` is on PATH.
pub fn bin_dir() -> Option<PathBuf> {
    let debian = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .filter_map(|entry| {
            let version: u32 = entry.ok()?.file_name().to_str()?.parse().ok()?;
            let bin = PathBuf::from(format!("/usr/lib/postgresql/{version}/bin"));
            bin.join("initdb").exists().then_some((version, bin))
        })
        .max();
    debian.map(|(_, bin)| bin).or_else(|| {
        std::env::var_os("PATH")
            .and_then(|path| std::env::split_paths(&path).find(|dir| dir.join("initdb").is_file()))
    })
}

fn program(name: &str) -> Command {
    let bin = bin_dir().expect("PostgreSQL's programs");
    let mut command = Command::new(bin.join(name));
    run_unprivileged(&mut command);
    command
}

/// What bitnami's first boot reads from the StatefulSet's env.
pub struct FirstBoot {
    pub user: String,
    pub password: String,
    pub database: String,
    pub admin_password: String,
}

impl FirstBoot {
    /// From the postgresql container's env (values and Secret keys resolved).
    pub fn from_env(env: &[(String, String)]) -> Self {
        use super::deployment::lookup;
        Self {
            user: lookup(env, "POSTGRES_USER").to_string(),
            password: lookup(env, "POSTGRES_PASSWORD").to_string(),
            database: lookup(env, "POSTGRES_DATABASE").to_string(),
            admin_password: lookup(env, "POSTGRES_POSTGRES_PASSWORD").to_string(),
        }
    }
}

/// A data folder set up by a first boot, and the server once started.
pub struct Postgres {
    data: PathBuf,
    sockets: PathBuf,
    log: PathBuf,
    server: Option<Server>,
    /// The port on 127.0.0.1 it listens on once started.
    pub port: u16,
}

fn sql_literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn sql_name(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

impl Postgres {
    /// `initdb` and the first boot's SQL (over the Unix socket only, as bitnami's is
    /// before the Service routes to the Pod), in `dir`; the server is stopped again.
    pub fn first_boot(dir: &Path, boot: &FirstBoot, port: u16) -> Self {
        let data = dir.join("pgdata");
        let sockets = dir.join("pgsockets");
        for folder in [&data, &sockets] {
            std::fs::create_dir(folder).unwrap();
            hand_over(folder);
        }
        let password_file = dir.join("pgadmin");
        std::fs::write(&password_file, &boot.admin_password).unwrap();
        hand_over(&password_file);
        let mut postgres = Self {
            data,
            sockets,
            log: dir.join("postgres.log"),
            server: None,
            port,
        };
        let initdb = program("initdb")
            .arg("-D")
            .arg(&postgres.data)
            .args(["-U", "postgres", "--auth-local=trust", "--auth-host=md5"])
            .arg(format!("--pwfile={}", password_file.display()))
            .output()
            .expect("initdb runs");
        assert!(
            initdb.status.success(),
            "initdb: {}",
            String::from_utf8_lossy(&initdb.stderr)
        );
        std::fs::remove_file(&password_file).unwrap();
        postgres.start_with(&["-c", "listen_addresses="]);
        let (user, database) = (sql_name(&boot.user), sql_name(&boot.database));
        postgres.psql_socket(
            "postgres",
            &[
                format!("CREATE DATABASE {database}"),
                format!(
                    "CREATE ROLE {user} WITH LOGIN CREATEDB PASSWORD {}",
                    sql_literal(&boot.password)
                ),
                format!("GRANT ALL PRIVILEGES ON DATABASE {database} TO {user}"),
                format!("ALTER DATABASE {database} OWNER TO {user}"),
            ],
        );
        postgres.psql_socket(
            &boot.database,
            &[format!("ALTER SCHEMA public OWNER TO {user}")],
        );
        // After the first boot, bitnami asks every client for its password.
        std::fs::write(
            postgres.data.join("pg_hba.conf"),
            "local all all md5\nhost all all 127.0.0.1/32 md5\n",
        )
        .unwrap();
        postgres.stop();
        postgres
    }

    /// Runs each statement on its own (CREATE DATABASE cannot share a transaction).
    fn psql_socket(&self, database: &str, statements: &[String]) {
        let mut command = program("psql");
        command
            .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-U", "postgres", "-h"])
            .arg(&self.sockets)
            .args(["-p", &self.port.to_string(), "-d", database]);
        for statement in statements {
            command.args(["-c", statement]);
        }
        let run = command.output().expect("psql runs");
        assert!(
            run.status.success(),
            "first boot SQL failed: {}",
            String::from_utf8_lossy(&run.stderr)
        );
    }

    fn start_with(&mut self, settings: &[&str]) {
        let mut command = program("postgres");
        command
            .arg("-D")
            .arg(&self.data)
            .arg("-c")
            .arg(format!(
                "unix_socket_directories={}",
                self.sockets.display()
            ))
            .args(["-c", &format!("port={}", self.port)])
            .args(settings);
        let mut server = Server::start("postgres", command, &self.log);
        let socket = self.sockets.join(format!(".s.PGSQL.{}", self.port));
        server.wait_for("its socket", Duration::from_secs(30), |_| {
            socket.exists().then_some(())
        });
        self.server = Some(server);
        self.wait_ready();
    }

    /// Starts the server on 127.0.0.1 (the Service's way in) and waits until it accepts
    /// connections.
    pub fn start(&mut self) {
        self.start_with(&["-c", "listen_addresses=127.0.0.1"]);
    }

    /// Waits (at most 30 s) until `pg_isready` says the server accepts connections.
    fn wait_ready(&mut self) {
        let sockets = self.sockets.clone();
        let port = self.port.to_string();
        let server = self.server.as_mut().expect("a started server");
        server.wait_for("readiness", Duration::from_secs(30), |_| {
            program("pg_isready")
                .arg("-q")
                .arg("-h")
                .arg(&sockets)
                .args(["-p", &port])
                .status()
                .is_ok_and(|status| status.success())
                .then_some(())
        });
    }

    /// Stops the server by its PID (SIGINT: PostgreSQL's fast shutdown).
    pub fn stop(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop(rustix::process::Signal::INT);
        }
    }

    /// Whether `user` logs in to `database` with `password` over TCP, as a Pod would.
    pub fn logs_in(&self, user: &str, password: &str, database: &str) -> bool {
        program("psql")
            .args([
                "-X",
                "-q",
                "-w",
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
            ])
            .args(["-U", user, "-d", database, "-c", "SELECT 1"])
            .env("PGPASSWORD", password)
            .output()
            .expect("psql runs")
            .status
            .success()
    }

    /// What the server has logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The folder whose `pg_isready` the init container's command should find first.
    pub fn path_with_bin_dir() -> String {
        let bin = bin_dir().expect("PostgreSQL's programs");
        format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        )
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // While a test panics, the server's own drop kills it instead.
        if let Some(server) = self.server.take()
            && !std::thread::panicking()
        {
            server.stop(rustix::process::Signal::INT);
        }
    }
}
