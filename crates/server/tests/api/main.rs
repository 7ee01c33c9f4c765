//! End-to-end tests: a real server (port 0, SQLite file or a fresh PostgreSQL database), real
//! agents (ours in-process over HTTP, and the Python reference agent as a subprocess), and
//! real HTTP/HTTPS targets on loopback with generated certificates.

mod helpers;

mod agent_api;
mod alerts;
mod auth;
mod browser;
mod checks;
mod e2e;
mod ldap;
mod openapi;
mod outbox_outage;
mod pages;
mod python_agent;
mod reload;
