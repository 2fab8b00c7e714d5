//! stagehand renders a Backstage deployment for GitOps from one environment file.
//!
//! The library holds all the work; `main.rs` only calls [`cli::run`]. Data flows one way
//! through the modules named after each stage (see [`pipeline`]).

#[cfg(target_env = "musl")]
mod allocator;
pub mod argocd;
pub mod artifacts;
pub mod base;
pub mod chart;
pub mod check;
pub mod cli;
pub mod cmd;
pub mod context;
pub mod cross_check;
pub mod diff;
pub mod emit;
pub mod environment;
pub mod error;
pub mod expand;
pub mod field_path;
pub mod helm;
pub mod helm_values;
pub mod interrupt;
pub mod load;
pub mod locate;
pub mod lock;
pub mod names;
pub mod out_dir;
pub mod overlay;
pub mod patch;
pub mod pipeline;
pub mod quantity;
pub mod quote;
pub mod reading_allow;
pub mod sealing;
pub mod secrets;
pub mod shape;
pub mod sharing;
pub mod templates;
pub mod validate;
pub mod yaml;
