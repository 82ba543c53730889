//! What SQL text says: expressions from plans (filters), and the statements planlint sends.

mod calls;
pub(crate) mod conjuncts;
mod create_index;
mod explained;
mod ident;
mod predicates;
pub mod pruning;
mod split;
mod statement;
pub mod suppress;

pub use calls::{Call, Calls};
pub use create_index::{create_index, create_partitioned_index, index_name, TableRef};
pub use explained::{explained_statement, without_prompt};
pub use ident::{qualify, quote_ident};
pub use predicates::{index_columns, index_columns_per_arm, IndexColumns, IndexKey};
pub use split::{split_statements, ScriptStatement};
pub use statement::{check_statement, referenced_tables, CheckedStatement, TableName};
