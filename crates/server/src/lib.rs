//! The Argos server: configuration, store, scheduler, agent API, JSON API and pages.
//!
//! Map of the crate (the data path of ARCHITECTURE.md, one module per arrow):
//! - [`config`]: YAML files → validated, immutable [`config::Config`] (every problem with
//!   file, line and path);
//! - [`plan`]: config → desired tasks; [`store`]: sync, lease, ingest and the page queries on
//!   PostgreSQL or SQLite; [`schedule`]: when a task runs next;
//! - [`web`]: the agent API, the JSON API and the server-rendered pages;
//! - [`app`]: wires it all together (store, embedded agent, maintenance, config reload);
//! - [`cli`]: the `argos` command line.
#![warn(missing_docs)]

pub mod alerting;
pub mod app;
pub mod cli;
pub mod config;
pub mod notify;
pub mod plan;
pub mod schedule;
pub mod state;
pub mod store;
pub mod web;
