//! The probe and the checks against real local servers (see `argos-testkit`): one test binary,
//! one module per concern.

mod checks;
mod dns_cache;
mod encoding;
mod family;
mod hostile;
mod network;
mod redirects;
mod slow_names;
mod speed;
mod support;
mod tls;
