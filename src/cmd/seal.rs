//! `stagehand seal`: seal the database Secret's keys for the SealedSecret an environment
//! renders, and write the ciphertexts into its `spec.database.encryptedData`, changing no
//! other byte of the file. The plaintext is never printed, written or quoted.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use serde_json::Value;
use zeroize::Zeroizing;

use crate::environment::{SealingScope, SecretSource, TargetKind};
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
  # once per cluster
  kubeseal --fetch-cert > cert.pem
  # fresh random passwords
  stagehand seal overlays/minicloud --cert cert.pem
  stagehand seal overlays/minicloud --cert cert.pem --from-env-file db.env
  # rotate Backstage's password: a fresh one, applied to the running
  # database at the next sync
  stagehand seal overlays/minicloud --cert cert.pem --rotate password
  printf 'password=%s\\n' \"$NEW\" |
      stagehand seal overlays/minicloud --cert cert.pem \\
      --rotate password --from-env-file -

The file gets spec.database.encryptedData.{password,postgres-password} and
spec.database.sealedFor (where they can be unsealed); nothing else in it
changes. Commit it: only the cluster's sealed-secrets controller can decrypt
the values. A file that is sealed already is sealed again only key by key,
with --rotate.";

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
    /// Seal only this key, which is not sealed yet; the other keeps its sealed value.
    #[arg(long, value_name = "NAME", value_parser = DATABASE_SECRET_KEYS, conflicts_with = "rotate")]
    pub key: Option<String>,
    /// Replace this sealed key with a fresh value, or the one from --from-env-file; the
    /// other ciphertexts stay as they are (repeatable). Only `password`: see the README
    /// for the admin password.
    #[arg(long, value_name = "NAME", value_parser = DATABASE_SECRET_KEYS)]
    pub rotate: Vec<String>,
    /// Seal with a certificate whose validity has ended (the controller keeps old keys).
    #[arg(long)]
    pub allow_expired: bool,
}

/// The field the ciphertexts go into.
const ENCRYPTED_DATA: [&str; 3] = ["spec", "database", "encryptedData"];

/// The field that records where they were sealed for.
const SEALED_FOR: [&str; 3] = ["spec", "database", "sealedFor"];

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
    // Two seals of one file must not both read it and each write back only their own key:
    // every seal in a folder holds its lock from the read to the rename.
    let folder = parent_folder(&file);
    let _lock = crate::lock::lock_folder(folder)?;
    remove_leftovers(folder);
    let target = sealed_secret_of(&file)?;
    let original = read_text_file(&file, &file.display().to_string())?;
    let document = original.parse_mapping()?;
    let keys = keys_to_seal(args, &document, &target, &file)?;
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
    let record = target.record();
    let edited = set_in_mapping(&original.text, &ENCRYPTED_DATA, &sealed)
        .and_then(|text| set_in_mapping(&text, &SEALED_FOR, &record))
        .map_err(|why| {
            Error::Usage(format!(
                "{}: cannot write spec.database.encryptedData in place: {why}",
                file.display()
            ))
        })?;
    check_only_sealed_fields_changed(
        &document,
        &edited,
        &[(&ENCRYPTED_DATA, &sealed), (&SEALED_FOR, &record)],
        &file,
    )?;
    write_in_place(&file, &edited)?;
    eprint_lines([format!(
        "sealed {} for SealedSecret {}/{} ({} scope, {}-bit key{}) into {}",
        keys.join(" and "),
        target.namespace,
        target.name,
        target.scope.name(),
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
    scope: SealingScope,
    /// The PostgreSQL pod, for the admin password's manual procedure.
    postgres_pod: String,
}

impl SealTarget {
    /// The `sealedFor` entries that record this target.
    fn record(&self) -> Vec<(String, String)> {
        vec![
            ("namespace".into(), self.namespace.clone()),
            ("secretName".into(), self.name.clone()),
            ("scope".into(), self.scope.name().into()),
        ]
    }

    /// Whether `document`'s sealed values were sealed for somewhere else (by its record).
    fn moved_from(&self, document: &Value) -> Option<String> {
        let recorded = document.pointer("/spec/database/sealedFor")?;
        let field = |name: &str| recorded.get(name).and_then(Value::as_str).unwrap_or("");
        let then = (field("namespace"), field("secretName"), field("scope"));
        (then
            != (
                self.namespace.as_str(),
                self.name.as_str(),
                self.scope.name(),
            ))
            .then(|| format!("{}/{} ({} scope)", then.0, then.1, then.2))
    }
}

/// Renders the environment (its current sealed values left out, so that re-sealing works
/// whatever they hold) and reads the SealedSecret it would apply.
fn sealed_secret_of(file: &Path) -> Result<SealTarget> {
    let without = |field: &[&str]| Override {
        path: FieldPath::parse_dotted(&field.join(".")),
        value: Value::Null,
        source: OverrideSource::CommandLine,
    };
    let rendered = render(&RenderRequest {
        environment: file.to_path_buf(),
        overrides: vec![without(&ENCRYPTED_DATA), without(&SEALED_FOR)],
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
        postgres_pod: format!(
            "{}-0",
            crate::context::postgres_host(&rendered.environment.spec.release_name)
        ),
    })
}

fn read_certificate(args: &SealArgs) -> Result<SealingCertificate> {
    let display = args.cert.display().to_string();
    let metadata =
        std::fs::metadata(&args.cert).map_err(|e| Error::io(&args.cert, "cannot read", &e))?;
    if !metadata.is_file() {
        return Err(Error::Usage(format!(
            "{display}: not a regular file (a FIFO or device would block); give the certificate \
             file `kubeseal --fetch-cert > cert.pem` writes"
        )));
    }
    if metadata.len() > MAX_CERTIFICATE_BYTES {
        return Err(Error::Usage(format!(
            "{display}: is {} bytes, too big for a certificate (at most {MAX_CERTIFICATE_BYTES}); \
             give the certificate `kubeseal --fetch-cert` prints",
            metadata.len()
        )));
    }
    let bytes = std::fs::read(&args.cert).map_err(|e| Error::io(&args.cert, "cannot read", &e))?;
    let text = String::from_utf8(bytes).map_err(|_| {
        Error::Usage(format!(
            "{display}: is not a PEM certificate (binary data); give the certificate `kubeseal \
             --fetch-cert` prints"
        ))
    })?;
    let certificate =
        SealingCertificate::from_pem(&text, &display, args.allow_expired, SystemTime::now())
            .map_err(Error::Usage)?;
    if certificate.certificates_in_file > 1 {
        crate::error::eprint_warning(&format!(
            "note: {display} holds {} certificates; sealing with the first, as kubeseal does",
            certificate.certificates_in_file
        ));
    }
    Ok(certificate)
}

/// The most read from `--from-env-file`.
const MAX_ENV_FILE_BYTES: u64 = 64 * 1024;

/// The largest certificate file read (a controller's certificate is about 2 KB).
const MAX_CERTIFICATE_BYTES: u64 = 1024 * 1024;

fn read_credentials(args: &SealArgs, keys: &[&str]) -> Result<Credentials> {
    let Some(source) = &args.from_env_file else {
        return generate(keys).map_err(Error::Usage);
    };
    let display = if source == Path::new("-") {
        "stdin".to_string()
    } else {
        source.display().to_string()
    };
    // A FIFO is fine here (`--from-env-file <(pass show db)`); the read is bounded.
    let reader: Box<dyn Read> = if source == Path::new("-") {
        Box::new(std::io::stdin())
    } else {
        Box::new(std::fs::File::open(source).map_err(|e| Error::io(source, "cannot read", &e))?)
    };
    let mut text = Zeroizing::new(String::new());
    reader
        .take(MAX_ENV_FILE_BYTES + 1)
        .read_to_string(&mut text)
        .map_err(|e| Error::io(Path::new(&display), "cannot read", &e))?;
    if text.len() as u64 > MAX_ENV_FILE_BYTES {
        return Err(Error::Usage(format!(
            "{display}: holds more than {MAX_ENV_FILE_BYTES} bytes; an env file of two passwords \
             is a few hundred"
        )));
    }
    parse_env_file(&text, &display, keys, &DATABASE_SECRET_KEYS).map_err(Error::Usage)
}

/// The keys this run seals. A sealed key is replaced only when `--rotate` names it: the
/// database applies its passwords only at its first boot, so a silent re-seal would leave
/// the Secret and the running database disagreeing. Values sealed for another place (by
/// their `sealedFor` record) cannot be unsealed anyway and count as not sealed.
fn keys_to_seal<'a>(
    args: &'a SealArgs,
    document: &Value,
    target: &SealTarget,
    file: &Path,
) -> Result<Vec<&'a str>> {
    let shown = file.display();
    let moved_from = target.moved_from(document);
    let sealed: Vec<&str> = match (
        &moved_from,
        document.pointer("/spec/database/encryptedData"),
    ) {
        (None, Some(Value::Object(data))) => DATABASE_SECRET_KEYS
            .iter()
            .copied()
            .filter(|key| data.contains_key(*key))
            .collect(),
        _ => Vec::new(),
    };
    if let Some(place) = &moved_from {
        eprint_lines([format!(
            "{shown}: the sealed values were sealed for {place}, where this environment no longer \
             puts its SealedSecret; sealing afresh for {}/{}",
            target.namespace, target.name
        )]);
    }
    if !args.rotate.is_empty() {
        if args.rotate.iter().any(|key| key == "postgres-password") {
            return Err(Error::Usage(admin_rotation_procedure(
                target,
                &shown.to_string(),
            )));
        }
        if let Some(key) = args
            .rotate
            .iter()
            .find(|key| !sealed.contains(&key.as_str()))
        {
            return Err(Error::Usage(format!(
                "{shown}: `{key}` is not sealed yet, so there is nothing to rotate; seal it \
                 without --rotate"
            )));
        }
        let mut keys: Vec<&str> = args.rotate.iter().map(String::as_str).collect();
        keys.sort_unstable();
        keys.dedup();
        return Ok(keys);
    }
    if let Some(key) = &args.key {
        if sealed.contains(&key.as_str()) {
            return Err(Error::Usage(format!(
                "{shown}: `{key}` is sealed already; to replace it, rotate it: stagehand seal \
                 {shown} --cert CERT --rotate {key} (nothing was written)"
            )));
        }
        if let Some(other) = DATABASE_SECRET_KEYS
            .iter()
            .find(|other| **other != key && !sealed.contains(other))
        {
            return Err(Error::Usage(format!(
                "{shown}: `{other}` is not sealed yet; seal both keys first (without --key)"
            )));
        }
        return Ok(vec![key.as_str()]);
    }
    if !sealed.is_empty() {
        return Err(Error::Usage(format!(
            "{shown}: spec.database.encryptedData holds sealed values already, and sealing again \
             would give the Secret passwords the running database does not have (PostgreSQL \
             applies them only at its first boot); nothing was written. To change Backstage's \
             password, rotate it: stagehand seal {shown} --cert CERT --rotate password"
        )));
    }
    Ok(DATABASE_SECRET_KEYS.to_vec())
}

/// Why `--rotate postgres-password` is refused, and the procedure to follow instead.
fn admin_rotation_procedure(target: &SealTarget, file: &str) -> String {
    format!(
        "{file}: --rotate postgres-password is refused: PostgreSQL keeps its admin password in \
         its volume, and only the running database can change it. Nothing was written. Rotate \
         it by hand, in this order:
  1. set the new password in the running database (it asks for it twice):
     kubectl -n {namespace} exec -it {pod} -- sh -c 'PGPASSWORD=\"$POSTGRES_POSTGRES_PASSWORD\" psql -U postgres -c \"\\password postgres\"'
  2. delete the `postgres-password:` entry of spec.database.encryptedData in {file}
  3. seal the same password:
     printf 'postgres-password=%s\\n' \"$NEW\" | stagehand seal {file} --cert CERT --key postgres-password --from-env-file -
  4. commit, and sync",
        namespace = target.namespace,
        pod = target.postgres_pod,
    )
}

/// One mapping the in-place edit sets: its path from the root, and the entries it holds.
type SealedField<'a> = (&'a [&'a str; 3], &'a [(String, String)]);

/// Reads the edited text back: it must be the original document with only the sealed
/// fields set (each path, with its entries), or nothing is written.
fn check_only_sealed_fields_changed(
    original: &Value,
    edited: &str,
    fields: &[SealedField<'_>],
    file: &Path,
) -> Result<()> {
    let mut expected = original.clone();
    for (path, entries) in fields {
        let mut node = &mut expected;
        for key in path.iter() {
            if !node.get(*key).is_some_and(Value::is_object) {
                node[*key] = Value::Object(serde_json::Map::new());
            }
            node = &mut node[*key];
        }
        for (key, value) in entries.iter() {
            node[key.as_str()] = Value::from(value.as_str());
        }
    }
    match parse_document(edited) {
        Ok(actual) if actual == expected => Ok(()),
        _ => Err(Error::Usage(format!(
            "{}: the in-place edit would change more than spec.database.encryptedData and \
             sealedFor; nothing was written (set the values by hand, or report this file's layout)",
            file.display()
        ))),
    }
}

/// The prefix of the temporary file a seal writes beside the environment file.
const TEMPORARY_PREFIX: &str = ".stagehand-seal-";

/// The folder holding `file`.
fn parent_folder(file: &Path) -> &Path {
    file.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Removes temporary files of seals that were killed (under the lock, none is in use).
fn remove_leftovers(folder: &Path) {
    for entry in std::fs::read_dir(folder).into_iter().flatten().flatten() {
        let name = entry.file_name();
        if name.to_string_lossy().starts_with(TEMPORARY_PREFIX)
            && entry.file_type().is_ok_and(|t| t.is_file())
        {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

/// Replaces the file through a temporary file beside it and a rename, keeping its mode.
/// The temporary file goes on failure and on SIGINT or SIGTERM.
fn write_in_place(file: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    if text.len() as u64 > crate::load::MAX_FILE_BYTES {
        return Err(Error::Usage(format!(
            "{}: sealed, the file would be {} bytes, more than the 1 MiB an environment file may \
             hold; nothing was written",
            file.display(),
            text.len()
        )));
    }
    let folder = parent_folder(file);
    let creating = crate::interrupt::critical();
    let mut temporary = tempfile::Builder::new()
        .prefix(TEMPORARY_PREFIX)
        .tempfile_in(folder)
        .map_err(|e| Error::io(folder, "cannot create a temporary file in", &e))?;
    let _registered = crate::interrupt::remove_on_interrupt(temporary.path());
    drop(creating);
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
