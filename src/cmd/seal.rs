//! `stagehand seal`: seal the database Secret's keys for the SealedSecret an environment
//! renders, and write the ciphertexts into its `spec.database.encryptedData`, changing no
//! other byte of the file. The plaintext is never printed, written or quoted.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use serde_json::Value;
use zeroize::Zeroizing;

use crate::environment::{SecretSource, TargetKind};
use crate::error::{Error, Result, eprint_lines};
use crate::field_path::FieldPath;
use crate::load::{environment_file_path, read_text_file};
use crate::overlay::{Override, OverrideSource};
use crate::pipeline::{RenderRequest, render};
use crate::sealing::certificate::SealingCertificate;
use crate::sealing::credentials::{Credentials, generate, parse_env_file};
use crate::sealing::hybrid::seal;
use crate::validate::DATABASE_SECRET_KEYS;
use crate::yaml::edit::set_in_mapping;
use crate::yaml::parse_document;

/// Examples shown by `stagehand seal --help`.
pub const EXAMPLES: &str = "\
Examples:
  kubeseal --fetch-cert > cert.pem                           once per cluster
  stagehand seal overlays/minicloud --cert cert.pem          fresh random passwords
  stagehand seal overlays/minicloud --cert cert.pem --from-env-file db.env
  printf 'password=%s\\n' \"$NEW\" | stagehand seal overlays/minicloud --cert cert.pem \\
      --key password --from-env-file -                       rotate one key

The file gets spec.database.encryptedData.{password,postgres-password}; nothing else in it
changes. Commit it: only the cluster's sealed-secrets controller can decrypt the values.";

/// Arguments of `seal`.
#[derive(Debug, clap::Args)]
pub struct SealArgs {
    /// The environment file, or a folder holding environment.yaml.
    #[arg(value_name = "ENV")]
    pub environment: PathBuf,
    /// The controller's certificate (PEM), as `kubeseal --fetch-cert` prints it.
    #[arg(long, value_name = "CERT")]
    pub cert: PathBuf,
    /// Read `password=...` and `postgres-password=...` lines from FILE (`-`: stdin) instead
    /// of generating fresh passwords.
    #[arg(long, value_name = "FILE")]
    pub from_env_file: Option<PathBuf>,
    /// Seal only this key (rotation); the other keeps its sealed value.
    #[arg(long, value_name = "NAME", value_parser = DATABASE_SECRET_KEYS)]
    pub key: Option<String>,
    /// Seal with a certificate whose validity has ended (the controller keeps old keys).
    #[arg(long)]
    pub allow_expired: bool,
}

/// The field the ciphertexts go into.
const ENCRYPTED_DATA: [&str; 3] = ["spec", "database", "encryptedData"];

/// Runs `seal`.
pub fn run(args: &SealArgs) -> Result<ExitCode> {
    let file = environment_file_path(&args.environment)?;
    if std::fs::symlink_metadata(&file).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(Error::Usage(format!(
            "{}: is a symbolic link; seal the file it points to",
            file.display()
        )));
    }
    let certificate = read_certificate(args)?;
    let target = sealed_secret_of(&file)?;
    let keys: Vec<&str> = match &args.key {
        Some(key) => vec![key.as_str()],
        None => DATABASE_SECRET_KEYS.to_vec(),
    };
    let original = read_text_file(&file, &file.display().to_string())?;
    let document = original.parse_mapping()?;
    if let Some(key) = &args.key {
        require_other_keys_sealed(&document, key, &file)?;
    }
    let credentials = read_credentials(args, &keys)?;
    let label = target.scope.label(&target.namespace, &target.name);
    let mut sealed = Vec::new();
    for key in &keys {
        let value = seal(
            &certificate.key,
            credentials[*key].as_bytes(),
            label.as_bytes(),
        )
        .map_err(|error| Error::Usage(format!("cannot seal `{key}`: {error}")))?;
        sealed.push((key.to_string(), value));
    }
    drop(credentials);
    let edited = set_in_mapping(&original.text, &ENCRYPTED_DATA, &sealed).map_err(|why| {
        Error::Usage(format!(
            "{}: cannot write spec.database.encryptedData in place: {why}",
            file.display()
        ))
    })?;
    check_only_encrypted_data_changed(&document, &edited, &sealed, &file)?;
    write_in_place(&file, &edited)?;
    eprint_lines([format!(
        "sealed {} for SealedSecret {}/{} ({} scope, {}-bit key{}) into {}",
        keys.join(" and "),
        target.namespace,
        target.name,
        target.scope_name,
        certificate.bits,
        match &args.from_env_file {
            Some(_) => "",
            None => ", fresh random passwords",
        },
        file.display()
    )]);
    if let Some(date) = &certificate.expired_on {
        crate::error::eprint_warning(&format!(
            "warning: {}: the certificate expired on {date}; the controller can unseal only while it keeps this key",
            args.cert.display()
        ));
    }
    Ok(ExitCode::SUCCESS)
}

/// Where the values will be unsealed: the rendered SealedSecret's namespace and name.
struct SealTarget {
    namespace: String,
    name: String,
    scope: crate::environment::SealingScope,
    scope_name: &'static str,
}

/// Renders the environment (its current sealed values left out, so that re-sealing works
/// whatever they hold) and reads the SealedSecret it would apply.
fn sealed_secret_of(file: &Path) -> Result<SealTarget> {
    let without_sealed_values = Override {
        path: FieldPath::parse_dotted(&ENCRYPTED_DATA.join(".")),
        value: Value::Null,
        source: OverrideSource::CommandLine,
    };
    let rendered = render(&RenderRequest {
        environment: file.to_path_buf(),
        overrides: vec![without_sealed_values],
        ..RenderRequest::default()
    })?;
    let database = &rendered.environment.spec.database;
    if database.secret == SecretSource::External {
        return Err(Error::Usage(format!(
            "{}: spec.database.secret is external, so no SealedSecret is rendered and there is \
             nothing to seal (set it to sealed to manage the Secret in git)",
            file.display()
        )));
    }
    let text = |pointer: &str| rendered.text(TargetKind::SealedSecret, pointer);
    Ok(SealTarget {
        namespace: text("/metadata/namespace"),
        name: text("/metadata/name"),
        scope: database.sealing_scope,
        scope_name: match database.sealing_scope {
            crate::environment::SealingScope::Strict => "strict",
            crate::environment::SealingScope::NamespaceWide => "namespace-wide",
            crate::environment::SealingScope::ClusterWide => "cluster-wide",
        },
    })
}

fn read_certificate(args: &SealArgs) -> Result<SealingCertificate> {
    let display = args.cert.display().to_string();
    let bytes = std::fs::read(&args.cert).map_err(|e| Error::io(&args.cert, "cannot read", &e))?;
    let text = String::from_utf8(bytes).map_err(|_| {
        Error::Usage(format!(
            "{display}: is not a PEM certificate (binary data); give the certificate `kubeseal \
             --fetch-cert` prints"
        ))
    })?;
    SealingCertificate::from_pem(&text, &display, args.allow_expired, SystemTime::now())
        .map_err(Error::Usage)
}

fn read_credentials(args: &SealArgs, keys: &[&str]) -> Result<Credentials> {
    let Some(source) = &args.from_env_file else {
        return generate(keys).map_err(Error::Usage);
    };
    let text = Zeroizing::new(if source == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| Error::io(Path::new("stdin"), "cannot read", &e))?;
        text
    } else {
        std::fs::read_to_string(source).map_err(|e| Error::io(source, "cannot read", &e))?
    });
    let display = if source == Path::new("-") {
        "stdin".to_string()
    } else {
        source.display().to_string()
    };
    parse_env_file(&text, &display, keys).map_err(Error::Usage)
}

/// `--key` re-seals one key; the other must already be sealed, or the Secret would lack it.
fn require_other_keys_sealed(document: &Value, key: &str, file: &Path) -> Result<()> {
    let sealed = document.pointer("/spec/database/encryptedData");
    for other in DATABASE_SECRET_KEYS.iter().filter(|other| **other != key) {
        if sealed.and_then(|data| data.get(*other)).is_none() {
            return Err(Error::Usage(format!(
                "{}: `{other}` is not sealed yet; seal both keys first (without --key)",
                file.display()
            )));
        }
    }
    Ok(())
}

/// Reads the edited text back: it must be the original document with only the sealed
/// values set, or nothing is written.
fn check_only_encrypted_data_changed(
    original: &Value,
    edited: &str,
    sealed: &[(String, String)],
    file: &Path,
) -> Result<()> {
    let mut expected = original.clone();
    let mut node = &mut expected;
    for key in ENCRYPTED_DATA {
        if !node.get(key).is_some_and(Value::is_object) {
            node[key] = Value::Object(serde_json::Map::new());
        }
        node = &mut node[key];
    }
    for (key, value) in sealed {
        node[key.as_str()] = Value::from(value.as_str());
    }
    match parse_document(edited) {
        Ok(actual) if actual == expected => Ok(()),
        _ => Err(Error::Usage(format!(
            "{}: the in-place edit would change more than spec.database.encryptedData; nothing \
             was written (set the values by hand, or report this file's layout)",
            file.display()
        ))),
    }
}

/// Replaces the file through a temporary file beside it and a rename, keeping its mode.
fn write_in_place(file: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let folder = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut temporary = tempfile::Builder::new()
        .prefix(".stagehand-seal-")
        .tempfile_in(folder)
        .map_err(|e| Error::io(folder, "cannot create a temporary file in", &e))?;
    temporary
        .write_all(text.as_bytes())
        .map_err(|e| Error::io(temporary.path(), "cannot write", &e))?;
    if let Ok(metadata) = std::fs::metadata(file) {
        let _ = std::fs::set_permissions(temporary.path(), metadata.permissions());
    }
    temporary
        .persist(file)
        .map_err(|e| Error::io(file, "cannot replace", &e.error))?;
    Ok(())
}
