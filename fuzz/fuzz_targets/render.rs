//! Arbitrary bytes through load, merge, validate, render, patch, check and emit.
//!
//! Asserts: no panic; an input that renders renders again byte-identically; every emitted
//! document reads back (YAML) as the object it was written from; errors format.

#![no_main]

use libfuzzer_sys::fuzz_target;
use stagehand::emit::{json_list, out_dir_files, yaml_stream};
use stagehand::load::SourceFile;
use stagehand::pipeline::render_source;

fn render(text: &str) -> stagehand::error::Result<stagehand::artifacts::RenderedEnvironment> {
    render_source(&SourceFile::new("fuzz.yaml".into(), text.to_string()), None, &[])
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let first = match render(text) {
        Ok(rendered) => rendered,
        Err(error) => {
            assert!(!error.report_lines().is_empty());
            return;
        }
    };
    let again = render(text).expect("the same input renders again");
    let stream = yaml_stream(&first);
    assert_eq!(stream, yaml_stream(&again), "render is not deterministic");
    assert_eq!(json_list(&first), json_list(&again));
    assert_eq!(out_dir_files(&first), out_dir_files(&again));
    let documents: Vec<&str> = stream.split("---\n").filter(|d| !d.is_empty()).collect();
    let objects: Vec<&serde_json::Value> = first.kubernetes_objects().collect();
    assert_eq!(documents.len(), objects.len(), "a value added or removed a document");
    for (document, object) in documents.iter().zip(objects) {
        let parsed: serde_json::Value = serde_yaml::from_str(document).expect("emitted YAML parses");
        assert_eq!(&parsed, object, "emitted YAML does not read back as the object");
    }
});
