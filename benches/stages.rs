//! Per-stage timings of one render of overlays/minicloud (`cargo bench --bench stages`):
//! load, merge, validate (shape and rules), render templates, parse, patch and check,
//! emit, and the whole pipeline. `bench/run.sh` reads the medians into BENCHMARKS.md.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use stagehand::base::{Base, TEMPLATE_NAMES};
use stagehand::context::TemplateContext;
use stagehand::emit::{out_dir_files, yaml_stream};
use stagehand::environment::Environment;
use stagehand::field_path::FieldPath;
use stagehand::load::SourceFile;
use stagehand::overlay::merge_environment;
use stagehand::pipeline::render_source;
use stagehand::shape::{Completeness, check_document};
use stagehand::templates::{context_value, into_document, render_template};
use stagehand::yaml::parse_document;

const MINICLOUD: &str = include_str!("../overlays/minicloud/environment.yaml");

fn stages(c: &mut Criterion) {
    let base = Base::embedded();
    let defaults = parse_document(&base.defaults.text).unwrap();
    let document = parse_document(MINICLOUD).unwrap();
    let merged = merge_environment(&defaults["spec"], &document, &[]);
    let environment: Environment = serde_json::from_value(merged.clone()).unwrap();
    let context = context_value(&TemplateContext::derive(&environment));

    let source = || SourceFile::new("minicloud.yaml".into(), MINICLOUD.to_string());
    let rendered = render_source(&source(), None, &[]).unwrap();

    c.bench_function("1 load (parse the environment file)", |b| {
        b.iter(|| parse_document(black_box(MINICLOUD)))
    });
    c.bench_function("2 merge (onto the base defaults)", |b| {
        b.iter(|| merge_environment(black_box(&defaults["spec"]), black_box(&document), &[]))
    });
    c.bench_function("3 validate (shape, types, rules)", |b| {
        b.iter(|| {
            let issues = check_document(
                black_box(&merged),
                &FieldPath::root(),
                false,
                Completeness::Complete,
            );
            let typed: Environment = serde_json::from_value(merged.clone()).unwrap();
            (issues, stagehand::validate::validate(&typed))
        })
    });
    c.bench_function("4 render templates (derive + minijinja)", |b| {
        b.iter(|| {
            let context = context_value(&TemplateContext::derive(black_box(&environment)));
            TEMPLATE_NAMES
                .iter()
                .map(|n| render_template(&base, n, &context).unwrap())
                .collect::<Vec<_>>()
        })
    });
    c.bench_function("5 parse (template output)", |b| {
        b.iter_batched(
            || {
                TEMPLATE_NAMES
                    .iter()
                    .map(|n| render_template(&base, n, &context).unwrap())
                    .collect::<Vec<_>>()
            },
            |rendered| {
                rendered
                    .into_iter()
                    .map(|t| into_document(black_box(t), "bench", None).unwrap())
                    .collect::<Vec<_>>()
            },
            criterion::BatchSize::SmallInput,
        )
    });
    c.bench_function("6 patch and check", |b| {
        b.iter(|| stagehand::check::check_rendered(black_box(&environment), black_box(&rendered)))
    });
    c.bench_function("7 emit (stream and out-dir files)", |b| {
        b.iter(|| {
            (
                yaml_stream(black_box(&rendered)),
                out_dir_files(black_box(&rendered)),
            )
        })
    });
    c.bench_function("8 whole pipeline (in process)", |b| {
        b.iter(|| render_source(&source(), None, &[]).unwrap())
    });
}

criterion_group!(benches, stages);
criterion_main!(benches);
