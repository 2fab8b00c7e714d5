//! What the rendered objects tell each program: the backend's env, args, probes and
//! mounted app-config from the Deployment, Postgres' first-boot settings from the
//! StatefulSet, and the Service names and ports the env points at.

use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// `stagehand render --expand-chart` of one environment, as JSON objects.
pub struct Rendered {
    objects: Vec<Value>,
    /// What stagehand printed on stderr (its warnings).
    pub warnings: String,
}

impl Rendered {
    /// Renders `env` with the chart beside the repository and the `--set` overrides.
    pub fn render(env: &Path, sets: &[String]) -> Self {
        let chart = crate::support::shared().join("charts/backstage-2.7.0.tgz");
        let mut command =
            crate::support::Stagehand::new(["render", "-o", "json", "--expand-chart"])
                .arg("--chart")
                .arg(chart)
                .arg(env);
        for set in sets {
            command = command.arg("--set").arg(set);
        }
        let run = command.run();
        assert_eq!(run.code, 0, "render failed:\n{}", run.stderr);
        let list: Value = serde_json::from_str(&run.stdout).expect("render -o json prints JSON");
        Self {
            objects: list["items"].as_array().expect("a List").clone(),
            warnings: run.stderr,
        }
    }

    fn one(&self, kind: &str) -> &Value {
        let found: Vec<&Value> = self.objects.iter().filter(|o| o["kind"] == kind).collect();
        assert_eq!(found.len(), 1, "expected one {kind}");
        found[0]
    }

    fn named(&self, kind: &str, name: &str) -> &Value {
        self.objects
            .iter()
            .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
            .unwrap_or_else(|| panic!("no {kind} {name} in the rendered objects"))
    }

    /// The backend's Pod template (the one Deployment).
    pub fn backend_pod(&self) -> Pod<'_> {
        Pod {
            spec: &self.one("Deployment")["spec"]["template"]["spec"],
        }
    }

    /// The backend's Deployment: its Pod template with the metadata.
    pub fn backend_template(&self) -> &Value {
        &self.one("Deployment")["spec"]["template"]
    }

    /// The Pod template of the Job `name` (an ArgoCD hook the chart renders).
    pub fn job_pod(&self, name: &str) -> Pod<'_> {
        Pod {
            spec: &self.named("Job", name)["spec"]["template"]["spec"],
        }
    }

    /// The Postgres Pod template (the one StatefulSet).
    pub fn postgres_pod(&self) -> Pod<'_> {
        Pod {
            spec: &self.one("StatefulSet")["spec"]["template"]["spec"],
        }
    }

    /// The `port` of the Service `name` (the one a host in the env names).
    pub fn service_port(&self, name: &str) -> u16 {
        let port = &self.named("Service", name)["spec"]["ports"][0]["port"];
        port.as_u64().expect("a numeric Service port") as u16
    }

    /// The values the sealed-secrets controller would unseal: each key of the
    /// SealedSecret gets a password made up for this run.
    pub fn made_up_secret(&self) -> Secret {
        let sealed = self.one("SealedSecret");
        let name = sealed["spec"]["template"]["metadata"]["name"]
            .as_str()
            .or(sealed["metadata"]["name"].as_str())
            .expect("a SealedSecret name")
            .to_string();
        let values = sealed["spec"]["encryptedData"]
            .as_object()
            .expect("encryptedData")
            .keys()
            .map(|key| (key.clone(), made_up_password()))
            .collect();
        Secret { name, values }
    }

    /// Writes every ConfigMap key the backend container mounts to `root` + its mount
    /// path (as the kubelet would), returning the files written.
    pub fn mount_config(&self, root: &Path) -> Vec<std::path::PathBuf> {
        let pod = self.backend_pod();
        let container = pod.main();
        let mut written = Vec::new();
        for mount in container["volumeMounts"].as_array().into_iter().flatten() {
            let volume = pod.spec["volumes"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|v| v["name"] == mount["name"])
                .expect("a volume for each mount");
            let Some(config_map) = volume["configMap"]["name"].as_str() else {
                continue;
            };
            let data = &self.named("ConfigMap", config_map)["data"];
            let key = mount["subPath"].as_str().expect("a subPath mount");
            let target = root.join(mount["mountPath"].as_str().unwrap().trim_start_matches('/'));
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::write(&target, data[key].as_str().expect("the ConfigMap key")).unwrap();
            written.push(target);
        }
        written
    }

    /// The app-config in the ConfigMap, as YAML text.
    pub fn app_config(&self) -> &str {
        self.one("ConfigMap")["data"]["app-config.yaml"]
            .as_str()
            .expect("app-config.yaml in the ConfigMap")
    }

    /// Replaces the ConfigMap's app-config (a change made by hand after rendering).
    pub fn set_app_config(&mut self, text: String) {
        let config_map = self
            .objects
            .iter_mut()
            .find(|o| o["kind"] == "ConfigMap")
            .expect("a ConfigMap");
        config_map["data"]["app-config.yaml"] = Value::String(text);
    }
}

/// A password made up by the test: 32 hex digits from the standard library's random keys.
pub fn made_up_password() -> String {
    use std::hash::{BuildHasher, Hasher};
    let half = || {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u8(0);
        hasher.finish()
    };
    format!("{:016x}{:016x}", half(), half())
}

/// A Secret's values, as the cluster would hold them.
#[derive(Clone)]
pub struct Secret {
    /// The Secret's name.
    pub name: String,
    /// Its keys and values.
    pub values: BTreeMap<String, String>,
}

/// A Pod template's spec.
pub struct Pod<'a> {
    spec: &'a Value,
}

impl<'a> Pod<'a> {
    /// The first (main) container.
    pub fn main(&self) -> &'a Value {
        &self.spec["containers"][0]
    }

    /// The container's command (`command`), as a process to run with the local
    /// PostgreSQL client programs and only `env`.
    pub fn command(container: &Value, env: Vec<(String, String)>) -> std::process::Command {
        let command: Vec<&str> = container["command"]
            .as_array()
            .expect("the container's command")
            .iter()
            .map(|part| part.as_str().unwrap())
            .collect();
        let mut process = std::process::Command::new(command[0]);
        process
            .args(&command[1..])
            .env_clear()
            .env("PATH", super::Postgres::path_with_bin_dir())
            .envs(env);
        process
    }

    /// The init container called `name`.
    pub fn init(&self, name: &str) -> &'a Value {
        self.spec["initContainers"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("no init container {name}"))
    }
}

/// A container's env as the kubelet would set it: values, and Secret keys from `secret`.
pub fn env(container: &Value, secret: &Secret) -> Vec<(String, String)> {
    container["env"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|variable| {
            let name = variable["name"].as_str().unwrap().to_string();
            if let Some(value) = variable["value"].as_str() {
                return (name, value.to_string());
            }
            let reference = &variable["valueFrom"]["secretKeyRef"];
            assert_eq!(
                reference["name"],
                secret.name.as_str(),
                "{name} reads another Secret"
            );
            let key = reference["key"].as_str().unwrap();
            let value = secret.values.get(key).unwrap_or_else(|| {
                panic!("{name} reads key {key}, which the SealedSecret does not have")
            });
            (name, value.clone())
        })
        .collect()
}

/// The value of `name` in `env`.
pub fn lookup<'e>(env: &'e [(String, String)], name: &str) -> &'e str {
    env.iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
        .unwrap_or_else(|| panic!("{name} is not in the container's env"))
}

/// Each HTTP probe of a container: (probe, path, port), named ports resolved.
pub fn probes(container: &Value) -> Vec<(String, String, u16)> {
    ["readinessProbe", "livenessProbe", "startupProbe"]
        .iter()
        .filter_map(|probe| {
            let get = &container[*probe]["httpGet"];
            let path = get["path"].as_str()?.to_string();
            let port = match &get["port"] {
                Value::Number(number) => number.as_u64().unwrap() as u16,
                Value::String(name) => container["ports"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|p| p["name"] == name.as_str())
                    .and_then(|p| p["containerPort"].as_u64())
                    .unwrap_or_else(|| panic!("{probe}: no container port named {name}"))
                    as u16,
                other => panic!("{probe}: port {other}"),
            };
            Some((probe.to_string(), path, port))
        })
        .collect()
}
