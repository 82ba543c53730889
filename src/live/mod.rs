//! Live mode: plans and catalog facts fetched from a running PostgreSQL, safely enough to point
//! at a production replica.
//!
//! - One statement at a time, checked with sqlparser and sent through the extended protocol,
//!   which the server refuses to run more than one statement through.
//! - Plain EXPLAIN by default: nothing is executed. `EXPLAIN ANALYZE` only on request, inside a
//!   transaction that is READ ONLY (unless writes were explicitly allowed) and always rolled
//!   back, and never of a statement that calls a function with effects outside the
//!   transaction's tables (unless writes were allowed): see [`side_effects`].
//! - `statement_timeout` and `lock_timeout` set locally in each transaction, so they hold behind
//!   PgBouncer in transaction pooling too; `application_name=planlint`.

mod catalog_read;
mod connect;
mod connection;
mod conninfo;
mod error;
mod recorded;
mod session;
pub mod side_effects;
mod tls;
mod verify;
mod worker;

pub use catalog_read::{CatalogRead, LockedRelation};
pub use conninfo::{
    option_settings, resolve, ConnParams, Endpoint, Environment, ProcessEnvironment, SessionAttrs,
    SslMode,
};
pub use error::{LiveError, LiveErrorKind};
pub use recorded::{Ranking, Recorded, RecordedStatement, TopFilter};
pub use session::{ExplainMode, PlanChoice, SentExplain, Session, SessionOptions};
pub use side_effects::{Effect, SideEffect};
pub use verify::{verify_fixes, VerifyNotes};
