//! What SQL text says: expressions from plans (filters) and, later, the query itself.

mod create_index;
mod ident;
mod predicates;

pub use create_index::{create_index, create_partitioned_index, index_name, TableRef};
pub use ident::{qualify, quote_ident};
pub use predicates::{index_columns, IndexColumns, IndexKey};
