//! `stagehand seal`: the ciphertext is sealed-secrets' own format, checked by decrypting it
//! with an implementation that is not ours (Python's `cryptography`) and a throwaway key
//! pair each test makes; the environment file changes only where the values go; the
//! plaintext is never shown; certificates are checked; `external` Secrets render no
//! SealedSecret; and `generate` never hands ArgoCD a placeholder.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::support::{
    Need, Stagehand, assert_contains, available, environment_with, parse_stream, read_yaml, repo,
};

/// A certificate and its private key, made by Python's `cryptography` in `dir`.
struct KeyPair {
    cert: PathBuf,
    key: PathBuf,
}

/// Makes a self-signed certificate: `kind` is `rsa` or `ec`, valid from `from_days` to
/// `to_days` around now.
fn key_pair(dir: &Path, kind: &str, bits: u32, from_days: i64, to_days: i64) -> KeyPair {
    let script = r#"
import datetime, sys
from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
out, kind, bits, start, end = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
key = rsa.generate_private_key(public_exponent=65537, key_size=bits) if kind == "rsa" else ec.generate_private_key(ec.SECP256R1())
name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sealed-secret")])
now = datetime.datetime.now(datetime.timezone.utc)
cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + datetime.timedelta(days=start))
        .not_valid_after(now + datetime.timedelta(days=end)).sign(key, hashes.SHA256()))
open(out + "/cert.pem", "wb").write(cert.public_bytes(serialization.Encoding.PEM))
open(out + "/key.pem", "wb").write(key.private_bytes(serialization.Encoding.PEM,
    serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
"#;
    let status = Command::new("python3")
        .args(["-c", script])
        .arg(dir)
        .args([
            kind,
            &bits.to_string(),
            &from_days.to_string(),
            &to_days.to_string(),
        ])
        .status()
        .expect("python3 runs");
    assert!(status.success(), "making a test certificate failed");
    KeyPair {
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    }
}

/// Decrypts a sealed value with Python's `cryptography`, as the controller would:
/// RSA-OAEP (SHA-256) with `label`, then AES-256-GCM with a zero nonce.
fn unseal(key: &Path, sealed: &str, label: &str) -> Result<String, String> {
    let script = r#"
import base64, sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
key = serialization.load_pem_private_key(open(sys.argv[1], "rb").read(), None)
data = base64.b64decode(sys.argv[2], validate=True)
size = int.from_bytes(data[:2], "big")
session = key.decrypt(data[2:2 + size], padding.OAEP(mgf=padding.MGF1(hashes.SHA256()),
    algorithm=hashes.SHA256(), label=sys.argv[3].encode()))
sys.stdout.write(AESGCM(session).decrypt(b"\0" * 12, data[2 + size:], None).decode())
"#;
    let output = Command::new("python3")
        .args(["-c", script])
        .arg(key)
        .args([sealed, label])
        .output()
        .expect("python3 runs");
    if output.status.success() {
        Ok(String::from_utf8(output.stdout).unwrap())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// A folder with a copy of the minicloud overlay as `environment.yaml`, and a key pair.
fn sealing_setup() -> (tempfile::TempDir, PathBuf, KeyPair) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("environment.yaml");
    crate::support::unsealed_overlay("minicloud", &file);
    let keys = key_pair(dir.path(), "rsa", 2048, -1, 365);
    (dir, file, keys)
}

fn seal(file: &Path, cert: &Path, extra: &[&str]) -> crate::support::Run {
    let mut args = vec![
        "seal".into(),
        file.as_os_str().to_owned(),
        "--cert".into(),
        cert.as_os_str().to_owned(),
    ];
    args.extend(extra.iter().map(Into::into));
    Stagehand::new(args).run()
}

/// `stagehand seal FILE --cert CERT EXTRA..` as a child to start by hand (for races and
/// signals), its stdout discarded.
fn seal_command(file: &Path, cert: &Path, extra: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_stagehand"));
    command
        .arg("seal")
        .arg(file)
        .arg("--cert")
        .arg(cert)
        .args(extra)
        .env("XDG_CACHE_HOME", crate::support::cache_home())
        .stdout(std::process::Stdio::null());
    command
}

fn encrypted_data(file: &Path) -> Value {
    read_yaml(file)["spec"]["database"]["encryptedData"].clone()
}

const STRICT_LABEL: &str = "backstage/backstage-postgres-secret";

#[test]
fn sealing_writes_two_fresh_passwords_the_controller_can_decrypt_and_nothing_else() {
    if !available(&[Need::PyCryptography]) {
        return;
    }
    let (_dir, file, keys) = sealing_setup();
    let before = std::fs::read_to_string(&file).unwrap();
    let run = seal(&file, &keys.cert, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "");
    let after = std::fs::read_to_string(&file).unwrap();
    // Every other byte stays: the change is seven inserted lines, the values and where
    // they were sealed for.
    let inserted: Vec<&str> = after
        .lines()
        .filter(|line| !before.lines().any(|old| old == *line))
        .collect();
    assert_eq!(inserted.len(), 7, "{after}");
    assert_eq!(inserted[0], "    encryptedData:");
    assert_eq!(
        inserted[3..],
        [
            "    sealedFor:",
            "      namespace: backstage",
            "      secretName: backstage-postgres-secret",
            "      scope: strict"
        ]
    );
    let without: String = after
        .split_inclusive('\n')
        .filter(|line| !inserted.contains(&line.trim_end_matches('\n')))
        .collect();
    assert_eq!(without, before);

    let sealed = encrypted_data(&file);
    let mut plaintexts = Vec::new();
    for key in ["password", "postgres-password"] {
        let value = sealed[key].as_str().unwrap();
        let plaintext = unseal(&keys.key, value, STRICT_LABEL).unwrap();
        assert_eq!(
            plaintext.len(),
            40,
            "{key} is {} characters",
            plaintext.len()
        );
        assert!(!run.stderr.contains(&plaintext) && !after.contains(&plaintext));
        // The label binds the value to this namespace and name.
        assert!(unseal(&keys.key, value, "backstage/another-secret").is_err());
        assert!(unseal(&keys.key, value, "backstage").is_err());
        plaintexts.push(plaintext);
    }
    assert_ne!(
        plaintexts[0], plaintexts[1],
        "the two passwords must differ"
    );
    assert_contains(
        &run.stderr,
        "sealed password and postgres-password for SealedSecret backstage/backstage-postgres-secret (strict scope, 2048-bit key, fresh random passwords)",
    );

    // The sealed file renders with the values and without the placeholder warning.
    let render = Stagehand::new(["render".as_ref(), file.as_os_str()]).run();
    assert_eq!(render.code, 0, "{}", render.stderr);
    assert!(!render.stderr.contains("placeholders"), "{}", render.stderr);
    assert_eq!(
        parse_stream(&render.stdout)[0]["spec"]["encryptedData"],
        sealed
    );
}

#[test]
fn credentials_from_an_env_file_or_stdin_and_one_key_rotated() {
    if !available(&[Need::PyCryptography]) {
        return;
    }
    let (dir, file, keys) = sealing_setup();
    let env_file = dir.path().join("db.env");
    std::fs::write(
        &env_file,
        "# as for kubectl create secret --from-env-file\npassword=first-Pass=word-made-up\npostgres-password=admin pass made up\n",
    )
    .unwrap();
    let run = seal(
        &file,
        &keys.cert,
        &["--from-env-file", env_file.to_str().unwrap()],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let sealed = encrypted_data(&file);
    let read =
        |key: &str, data: &Value| unseal(&keys.key, data[key].as_str().unwrap(), STRICT_LABEL);
    assert_eq!(
        read("password", &sealed).unwrap(),
        "first-Pass=word-made-up"
    );
    assert_eq!(
        read("postgres-password", &sealed).unwrap(),
        "admin pass made up"
    );
    assert!(!run.stderr.contains("first-Pass"), "{}", run.stderr);

    // Rotation: only `password` changes, from stdin.
    let rotate = |args: &[&str], input: &str| {
        Stagehand::new(["seal".as_ref(), file.as_os_str(), "--cert".as_ref()])
            .arg(&keys.cert)
            .args(args)
            .run_with_stdin(input)
    };
    let rotation = rotate(
        &["--rotate", "password", "--from-env-file", "-"],
        "password=rotated-Value-made-up\n",
    );
    assert_eq!(rotation.code, 0, "{}", rotation.stderr);
    let rotated = encrypted_data(&file);
    assert_eq!(read("password", &rotated).unwrap(), "rotated-Value-made-up");
    assert_eq!(rotated["postgres-password"], sealed["postgres-password"]);
    // A generated rotation: 40 characters, the admin's ciphertext untouched.
    let generated = rotate(&["--rotate", "password"], "");
    assert_eq!(generated.code, 0, "{}", generated.stderr);
    let regenerated = encrypted_data(&file);
    assert_eq!(read("password", &regenerated).unwrap().len(), 40);
    assert_eq!(
        regenerated["postgres-password"],
        sealed["postgres-password"]
    );

    // A sealed file is not sealed again without --rotate; --key on a sealed key, the
    // admin password and a short value are refused too; none of them changes a byte.
    let sealed_text = std::fs::read_to_string(&file).unwrap();
    let shown = file.display();
    for (args, input, expected) in [
        (
            &[][..],
            "",
            format!(
                "error: {shown}: spec.database.encryptedData holds sealed values already, and \
                 sealing again would give the Secret passwords the running database does not have \
                 (PostgreSQL applies them only at its first boot); nothing was written. To change \
                 Backstage's password, rotate it: stagehand seal {shown} --cert CERT --rotate password\n"
            ),
        ),
        (
            &["--key", "password"][..],
            "",
            format!(
                "error: {shown}: `password` is sealed already; to replace it, rotate it: stagehand \
                 seal {shown} --cert CERT --rotate password (nothing was written)\n"
            ),
        ),
        (
            &["--rotate", "postgres-password"][..],
            "",
            format!("error: {shown}: --rotate postgres-password is refused: PostgreSQL keeps"),
        ),
        (
            &["--rotate", "password", "--from-env-file", "-"][..],
            "password=hunter2-15-char\n",
            "error: stdin:1: `password` is shorter than 16 characters; give a longer password, or \
             leave out --from-env-file for a generated one of 40\n"
                .to_string(),
        ),
    ] {
        let run = rotate(args, input);
        assert_eq!((run.code, run.stdout.as_str()), (2, ""), "{args:?}");
        assert!(
            run.stderr.starts_with(&expected),
            "{args:?}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("hunter2"), "{}", run.stderr);
        assert_eq!(std::fs::read_to_string(&file).unwrap(), sealed_text);
    }
    let admin = rotate(&["--rotate", "postgres-password"], "");
    for step in [
        "kubectl -n backstage exec -it backstage-postgresql-0 -- sh -c 'PGPASSWORD=\"$POSTGRES_POSTGRES_PASSWORD\" psql -U postgres -c \"\\password postgres\"'",
        "delete the `postgres-password:` entry of spec.database.encryptedData",
        "--key postgres-password --from-env-file -",
    ] {
        assert_contains(&admin.stderr, step);
    }
    let rotated = regenerated;

    // Errors name the key and line, never a value; the key not rotated may be there.
    std::fs::write(&env_file, "postgres-password=hunter2-secret-made-up\n").unwrap();
    let run = seal(
        &file,
        &keys.cert,
        &[
            "--rotate",
            "password",
            "--from-env-file",
            env_file.to_str().unwrap(),
        ],
    );
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert_eq!(
        run.stderr,
        format!(
            "error: {}: `password` is missing (a line `password=...`)\n",
            env_file.display()
        )
    );
    assert_eq!(
        encrypted_data(&file),
        rotated,
        "a failed seal changes nothing"
    );
}

#[test]
fn a_wider_sealing_scope_changes_the_label_and_annotates_the_sealed_secret() {
    if !available(&[Need::PyCryptography]) {
        return;
    }
    for (scope, label, annotation) in [
        (
            "namespace-wide",
            "backstage",
            "sealedsecrets.bitnami.com/namespace-wide",
        ),
        ("cluster-wide", "", "sealedsecrets.bitnami.com/cluster-wide"),
    ] {
        let (_dir, file, keys) = sealing_setup();
        crate::support::replace_in_file(
            &file,
            "    secretName: backstage-postgres-secret\n",
            &format!("    secretName: backstage-postgres-secret\n    sealingScope: {scope}\n"),
        );
        let run = seal(&file, &keys.cert, &[]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let sealed = encrypted_data(&file);
        let value = sealed["password"].as_str().unwrap();
        assert!(unseal(&keys.key, value, label).is_ok(), "{scope}");
        assert!(unseal(&keys.key, value, STRICT_LABEL).is_err(), "{scope}");
        let objects =
            parse_stream(&Stagehand::new(["render".as_ref(), file.as_os_str()]).succeeds());
        let sealed_secret = &objects[0];
        assert_eq!(
            sealed_secret["metadata"]["annotations"][annotation], "true",
            "{scope}"
        );
        assert_eq!(
            sealed_secret["spec"]["template"]["metadata"]["annotations"][annotation], "true",
            "{scope}"
        );
    }
}

#[test]
fn certificates_are_checked_and_say_what_was_found() {
    if !available(&[Need::PyCryptography]) {
        return;
    }
    let (dir, file, _) = sealing_setup();
    let before = std::fs::read_to_string(&file).unwrap();
    let case = |name: &str, kind: &str, bits: u32, from: i64, to: i64| {
        let folder = dir.path().join(name);
        std::fs::create_dir_all(&folder).unwrap();
        key_pair(&folder, kind, bits, from, to)
    };
    let ec = case("ec", "ec", 0, -1, 365);
    let small = case("small", "rsa", 1024, -1, 365);
    let expired = case("expired", "rsa", 2048, -400, -35);
    let future = case("future", "rsa", 2048, 10, 400);
    let big = case("big", "rsa", 4096, -1, 365);
    let not_pem = dir.path().join("notes.txt");
    std::fs::write(&not_pem, "just text\n").unwrap();
    for (cert, expected) in [
        (
            &ec.cert,
            "the certificate's key is an elliptic-curve (EC) key, not RSA",
        ),
        (
            &small.cert,
            "the certificate's RSA key has 1024 bits; sealed-secrets keys have 2048 to 4096 bits",
        ),
        (&expired.cert, "the certificate expired on "),
        (&future.cert, "the certificate is not valid before "),
        (
            &not_pem,
            "holds no PEM data; give the certificate `kubeseal --fetch-cert` prints",
        ),
        (&ec.key, "holds PEM data that is not a certificate"),
    ] {
        let run = seal(&file, cert, &[]);
        assert_eq!((run.code, run.stdout.as_str()), (2, ""), "{expected}");
        assert!(
            run.stderr
                .starts_with(&format!("error: {}: ", cert.display())),
            "{}",
            run.stderr
        );
        assert_contains(&run.stderr, expected);
        assert!(!run.stderr.contains("PRIVATE KEY"), "{}", run.stderr);
    }
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before);
    let run = seal(&file, &expired.cert, &["--allow-expired"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_contains(&run.stderr, "warning: ");
    assert_contains(&run.stderr, "the certificate expired on ");
    std::fs::write(&file, &before).unwrap();
    let run = seal(&file, &big.cert, &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let value = encrypted_data(&file)["password"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(unseal(&big.key, &value, STRICT_LABEL).is_ok());
}

#[test]
fn an_external_secret_renders_no_sealed_secret_and_cannot_be_sealed() {
    let dir =
        crate::support::temp_environment(&environment_with("  database: { secret: external }\n"));
    let run = Stagehand::new(["render", "."])
        .current_dir(dir.path())
        .run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    let kinds: Vec<String> = parse_stream(&run.stdout)
        .iter()
        .map(|o| o["kind"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(kinds, ["Certificate", "Ingress", "Application"]);
    assert!(!run.stderr.contains("placeholders"), "{}", run.stderr);
    // The chart still reads the Secret by name.
    let values = &parse_stream(&run.stdout)[2]["spec"]["source"]["helm"]["valuesObject"];
    assert_eq!(
        values["postgresql"]["auth"]["existingSecret"],
        "backstage-postgres-secret"
    );
    let out = dir.path().join("out");
    Stagehand::new([
        "render".as_ref(),
        ".".as_ref(),
        "--out-dir".as_ref(),
        out.as_os_str(),
    ])
    .current_dir(dir.path())
    .succeeds();
    assert!(!out.join("sealed-secret.yaml").exists());
    let kustomization = read_yaml(&out.join("kustomization.yaml"));
    assert_eq!(
        kustomization["resources"],
        serde_json::json!(["certificate.yaml", "ingress.yaml", "application.yaml"])
    );
    let run = Stagehand::new(["seal", "environment.yaml", "--cert"])
        .arg(repo().join("tests/fixtures/sealing/cert.pem"))
        .current_dir(dir.path())
        .run();
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert_contains(
        &run.stderr,
        "spec.database.secret is external, so no SealedSecret is rendered",
    );
}

#[test]
fn generate_refuses_placeholders_naming_both_ways_out() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("overlays/minicloud");
    std::fs::create_dir_all(&app).unwrap();
    crate::support::unsealed_overlay("minicloud", &app.join("environment.yaml"));
    let generate = || {
        Stagehand::new(["generate"])
            .current_dir(&app)
            .only_env(&[
                ("ARGOCD_APP_NAME", "backstage-minicloud-stagehand"),
                ("ARGOCD_APP_SOURCE_PATH", "overlays/minicloud"),
                ("ARGOCD_APP_PARAMETERS", "null"),
                ("KUBE_API_VERSIONS", crate::argocd::ALL_APIS),
            ])
            .run()
    };
    let run = generate();
    assert_eq!((run.code, run.stdout.as_str()), (2, ""));
    assert_eq!(
        run.stderr,
        "error: overlays/minicloud/environment.yaml: spec.database.encryptedData: the SealedSecret \
         holds placeholders, which the sealed-secrets controller cannot unseal: ArgoCD would mark it \
         Degraded and stop the sync at its wave (-1), so nothing else would be applied; seal the \
         passwords (`stagehand seal overlays/minicloud --cert cert.pem`, the certificate from \
         `kubeseal --fetch-cert`) or declare a Secret that exists already (spec.database.secret: \
         external)\n"
    );
    // Local work keeps placeholders, with the warning.
    let render = Stagehand::new(["render", "."]).current_dir(&app).run();
    assert_eq!(render.code, 0);
    assert_contains(&render.stderr, "the SealedSecret holds placeholders");
    // Either way out works.
    crate::support::replace_in_file(
        &app.join("environment.yaml"),
        "    secretName: backstage-postgres-secret\n",
        "    secretName: backstage-postgres-secret\n    secret: external\n",
    );
    assert_eq!(generate().code, 0, "{}", generate().stderr);
}

#[test]
fn certificates_are_read_as_openssl_reads_them_and_the_first_of_several_is_used() {
    if !available(&[Need::PyCryptography]) {
        return;
    }
    let (dir, file, keys) = sealing_setup();
    let unsealed = std::fs::read_to_string(&file).unwrap();
    let pem = std::fs::read_to_string(&keys.cert).unwrap();
    let other_folder = dir.path().join("other");
    std::fs::create_dir_all(&other_folder).unwrap();
    let other = key_pair(&other_folder, "rsa", 2048, -1, 365);
    let other_pem = std::fs::read_to_string(&other.cert).unwrap();
    for (name, text, note) in [
        ("blank line after", format!("{pem}\n"), false),
        (
            "comment after",
            format!("{pem}# fetched with kubeseal --fetch-cert\n"),
            false,
        ),
        (
            "text before",
            format!("subject=CN = sealed-secret\n{pem}"),
            false,
        ),
        ("CRLF", pem.replace('\n', "\r\n"), false),
        ("two certificates", format!("{pem}{other_pem}"), true),
    ] {
        let cert = dir.path().join("variant.pem");
        std::fs::write(&cert, &text).unwrap();
        std::fs::write(&file, &unsealed).unwrap();
        let run = seal(&file, &cert, &[]);
        assert_eq!(run.code, 0, "{name}: {}", run.stderr);
        assert_eq!(
            run.stderr
                .contains("holds 2 certificates; sealing with the first, as kubeseal does"),
            note,
            "{name}: {}",
            run.stderr
        );
        let value = encrypted_data(&file)["password"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(unseal(&keys.key, &value, STRICT_LABEL).is_ok(), "{name}");
        assert!(unseal(&other.key, &value, STRICT_LABEL).is_err(), "{name}");
    }
}

#[test]
fn a_fifo_as_certificate_or_environment_file_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("fifo");
    let status = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
    let file = dir.path().join("environment.yaml");
    crate::support::unsealed_overlay("minicloud", &file);
    let limit = std::time::Duration::from_secs(20);
    let run = Stagehand::new([
        "seal".as_ref(),
        file.as_os_str(),
        "--cert".as_ref(),
        fifo.as_os_str(),
    ])
    .run_within(limit);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_contains(
        &run.stderr,
        &format!("error: {}: not a regular file", fifo.display()),
    );
    for command in ["render", "validate", "seal"] {
        let run = Stagehand::new([command.as_ref(), fifo.as_os_str()])
            .args(
                ["--cert", "tests/fixtures/sealing/cert.pem"]
                    .iter()
                    .filter(|_| command == "seal"),
            )
            .run_within(limit);
        assert_eq!((command, run.code), (command, 2), "{}", run.stderr);
        assert_contains(
            &run.stderr,
            &format!("{}: not a regular file", fifo.display()),
        );
    }
    let folder = dir.path().join("env");
    std::fs::create_dir(&folder).unwrap();
    let status = Command::new("mkfifo")
        .arg(folder.join("environment.yaml"))
        .status()
        .unwrap();
    assert!(status.success());
    let run = Stagehand::new(["render".as_ref(), folder.as_os_str()]).run_within(limit);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_contains(&run.stderr, "environment.yaml: not a regular file");
}

/// The file's `postgres-password` line (and its value) left out: a key not sealed yet.
fn without_admin_ciphertext(text: &str) -> String {
    text.lines()
        .filter(|line| !line.trim_start().starts_with("postgres-password:"))
        .map(|line| format!("{line}\n"))
        .collect()
}

/// Files a seal leaves beside the environment file (none, after any run).
fn leftovers(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.starts_with(".stagehand"))
        .collect()
}

#[test]
fn two_seals_of_one_file_at_once_never_lose_an_update() {
    if !available(&[Need::PyCryptography]) {
        return;
    }
    let (dir, file, keys) = sealing_setup();
    assert_eq!(seal(&file, &keys.cert, &[]).code, 0);
    let sealed_once = std::fs::read_to_string(&file).unwrap();
    let start = without_admin_ciphertext(&sealed_once);
    let old_password = encrypted_data(&file)["password"].clone();
    let rounds = 20;
    let mut held = 0;
    for round in 0..rounds {
        std::fs::write(&file, &start).unwrap();
        let spawn = |extra: &[&str]| {
            seal_command(&file, &keys.cert, extra)
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        };
        // One adds the admin key, the other rotates Backstage's: both must land.
        let add = spawn(&["--key", "postgres-password"]);
        let rotate = spawn(&["--rotate", "password"]);
        let (add, rotate) = (
            add.wait_with_output().unwrap(),
            rotate.wait_with_output().unwrap(),
        );
        assert!(
            add.status.success(),
            "round {round}: {}",
            String::from_utf8_lossy(&add.stderr)
        );
        assert!(
            rotate.status.success(),
            "round {round}: {}",
            String::from_utf8_lossy(&rotate.stderr)
        );
        let data = encrypted_data(&file);
        assert!(
            data["postgres-password"].is_string(),
            "round {round}: the added key was lost"
        );
        assert_ne!(
            data["password"], old_password,
            "round {round}: the rotation was lost"
        );
        for key in ["password", "postgres-password"] {
            assert!(unseal(&keys.key, data[key].as_str().unwrap(), STRICT_LABEL).is_ok());
        }
        assert_eq!(leftovers(dir.path()), Vec::<String>::new());
        held += 1;
    }
    assert_eq!(held, rounds);
}

#[test]
fn a_seal_stopped_by_a_signal_leaves_the_old_or_the_new_file_and_no_temporary_file() {
    if !available(&[Need::PyCryptography]) {
        return;
    }
    let (dir, file, keys) = sealing_setup();
    // A file near the input limit, so that writing the temporary file takes a while.
    let mut padded = std::fs::read_to_string(&file).unwrap();
    for line in 0..12_000 {
        padded.push_str(&format!(
            "# padding line {line:05} so that writing takes a moment\n"
        ));
    }
    std::fs::write(&file, padded).unwrap();
    assert_eq!(seal(&file, &keys.cert, &[]).code, 0);
    let before = std::fs::read_to_string(&file).unwrap();
    // How long one rotation takes here: the kills land across all of it.
    let started = std::time::Instant::now();
    assert_eq!(seal(&file, &keys.cert, &["--rotate", "password"]).code, 0);
    let span = started.elapsed().as_micros() as u64;
    let mut outcomes = [0usize; 2];
    let mut caught_writing = 0;
    for round in 0..20u64 {
        std::fs::write(&file, &before).unwrap();
        let mut child = seal_command(&file, &keys.cert, &["--rotate", "password"])
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        if round % 4 < 2 {
            std::thread::sleep(std::time::Duration::from_micros(span * round / 20));
        } else {
            // The moment the temporary file exists (or the run ends).
            while leftovers(dir.path()).is_empty() && child.try_wait().unwrap().is_none() {}
            caught_writing += usize::from(!leftovers(dir.path()).is_empty());
        }
        let signal = if round % 2 == 0 {
            rustix::process::Signal::TERM
        } else {
            rustix::process::Signal::INT
        };
        crate::support::send_signal(&child, signal);
        let _ = child.wait();
        let now = std::fs::read_to_string(&file).unwrap();
        let unchanged = now == before;
        if !unchanged {
            let data = encrypted_data(&file);
            assert!(unseal(&keys.key, data["password"].as_str().unwrap(), STRICT_LABEL).is_ok());
        }
        outcomes[usize::from(!unchanged)] += 1;
        assert_eq!(leftovers(dir.path()), Vec::<String>::new(), "round {round}");
    }
    eprintln!(
        "seal stopped 20 times ({caught_writing} while its temporary file existed): {} left the \
         file as it was, {} rotated, none left a temporary file",
        outcomes[0], outcomes[1]
    );
    assert_eq!(outcomes.iter().sum::<usize>(), 20);
}

#[test]
fn values_that_would_overflow_the_file_are_refused_and_never_echoed() {
    if !available(&[Need::PyCryptography]) {
        return;
    }
    let (dir, file, keys) = sealing_setup();
    let before = std::fs::read_to_string(&file).unwrap();
    let long = "x".repeat(5000);
    let env_file = dir.path().join("db.env");
    std::fs::write(
        &env_file,
        format!("password={long}\npostgres-password=made-up-admin-password\n"),
    )
    .unwrap();
    let run = seal(
        &file,
        &keys.cert,
        &["--from-env-file", env_file.to_str().unwrap()],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_contains(
        &run.stderr,
        "db.env:1: `password` is longer than 4096 bytes",
    );
    assert!(
        !run.stderr.contains("xxxx") && !run.stderr.contains("made-up-admin"),
        "{}",
        run.stderr
    );
    std::fs::write(
        &env_file,
        format!(
            "password=made-up-password-for-test\n#{}\n",
            "y".repeat(70_000)
        ),
    )
    .unwrap();
    let run = seal(
        &file,
        &keys.cert,
        &["--from-env-file", env_file.to_str().unwrap()],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_contains(&run.stderr, "holds more than 65536 bytes");
    assert!(!run.stderr.contains("made-up-password"), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), before);
    assert_eq!(leftovers(dir.path()), Vec::<String>::new());
}
