//! Finds where a statement reads a table and the predicates that apply to that read.

use std::ops::ControlFlow;

use crate::sql::conjuncts::split_and;

use sqlparser::ast::{
    Expr, FromTable, JoinConstraint, JoinOperator, Query, Select, SetExpr, Statement, TableFactor,
    TableWithJoins, UpdateTableFromKind, Visit, Visitor,
};

/// One read of the table: the name the query uses for it and the conditions on that read.
pub(super) struct TableRead {
    /// The alias, or the table name when there is none.
    pub reference: String,
    /// Conjuncts of the WHERE clause and of the JOIN ... ON conditions of the same SELECT.
    pub conjuncts: Vec<Expr>,
}

/// Every SELECT of the statement (subqueries and CTEs included) that reads `table`, and the
/// UPDATE, DELETE or MERGE that reads it to change it.
pub(super) fn table_reads(statement: &Statement, table: &str) -> Vec<TableRead> {
    struct Queries<'a> {
        table: &'a str,
        reads: Vec<TableRead>,
    }
    impl Visitor for Queries<'_> {
        type Break = ();
        fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
            let mut bodies = vec![query.body.as_ref()];
            while let Some(body) = bodies.pop() {
                match body {
                    SetExpr::Select(select) => {
                        self.reads.extend(reads_in_select(select, self.table))
                    }
                    SetExpr::SetOperation { left, right, .. } => {
                        bodies.push(left);
                        bodies.push(right);
                    }
                    // Nested queries are visited on their own.
                    _ => {}
                }
            }
            ControlFlow::Continue(())
        }

        fn pre_visit_statement(&mut self, statement: &Statement) -> ControlFlow<()> {
            match statement {
                Statement::Update(update) => {
                    let mut tables = vec![&update.table];
                    if let Some(
                        UpdateTableFromKind::BeforeSet(from) | UpdateTableFromKind::AfterSet(from),
                    ) = &update.from
                    {
                        tables.extend(from);
                    }
                    self.reads.extend(reads_in_tables(
                        &tables,
                        update.selection.as_ref(),
                        self.table,
                    ));
                }
                Statement::Delete(delete) => {
                    let (FromTable::WithFromKeyword(from) | FromTable::WithoutKeyword(from)) =
                        &delete.from;
                    let mut tables: Vec<&TableWithJoins> = from.iter().collect();
                    tables.extend(delete.using.iter().flatten());
                    self.reads.extend(reads_in_tables(
                        &tables,
                        delete.selection.as_ref(),
                        self.table,
                    ));
                }
                Statement::Merge(merge) => {
                    let mut conjuncts = Vec::new();
                    split_and(&merge.on, &mut conjuncts);
                    for factor in [&merge.table, &merge.source] {
                        if let Some(reference) = reference_to(factor, self.table) {
                            self.reads.push(TableRead {
                                reference,
                                conjuncts: conjuncts.clone(),
                            });
                        }
                    }
                }
                _ => {}
            }
            ControlFlow::Continue(())
        }
    }
    let mut visitor = Queries {
        table,
        reads: Vec::new(),
    };
    let _ = statement.visit(&mut visitor);
    visitor.reads
}

fn reads_in_select(select: &Select, table: &str) -> Vec<TableRead> {
    let tables: Vec<&TableWithJoins> = select.from.iter().collect();
    reads_in_tables(&tables, select.selection.as_ref(), table)
}

/// The reads of `table` among FROM items (with their joins) under one WHERE clause.
fn reads_in_tables(
    tables: &[&TableWithJoins],
    selection: Option<&Expr>,
    table: &str,
) -> Vec<TableRead> {
    let mut conjuncts = Vec::new();
    if let Some(selection) = selection {
        split_and(selection, &mut conjuncts);
    }
    let mut references = Vec::new();
    for from in tables {
        let factors =
            std::iter::once(&from.relation).chain(from.joins.iter().map(|join| &join.relation));
        for factor in factors {
            if let Some(reference) = reference_to(factor, table) {
                references.push(reference);
            }
        }
        for join in &from.joins {
            if let Some(JoinConstraint::On(on)) = join_constraint(&join.join_operator) {
                split_and(on, &mut conjuncts);
            }
        }
    }
    references
        .into_iter()
        .map(|reference| TableRead {
            reference,
            conjuncts: conjuncts.clone(),
        })
        .collect()
}

fn join_constraint(operator: &JoinOperator) -> Option<&JoinConstraint> {
    match operator {
        JoinOperator::Join(c)
        | JoinOperator::Inner(c)
        | JoinOperator::Left(c)
        | JoinOperator::LeftOuter(c)
        | JoinOperator::Right(c)
        | JoinOperator::RightOuter(c)
        | JoinOperator::FullOuter(c)
        | JoinOperator::Semi(c)
        | JoinOperator::LeftSemi(c)
        | JoinOperator::RightSemi(c)
        | JoinOperator::Anti(c)
        | JoinOperator::LeftAnti(c)
        | JoinOperator::RightAnti(c) => Some(c),
        _ => None,
    }
}

/// The name a FROM item gives `table`, when it reads it.
fn reference_to(factor: &TableFactor, table: &str) -> Option<String> {
    let TableFactor::Table {
        name,
        alias,
        args: None,
        ..
    } = factor
    else {
        return None;
    };
    let last = name.0.last()?.as_ident()?;
    let folded = if last.quote_style.is_some() {
        last.value.clone()
    } else {
        last.value.to_lowercase()
    };
    (folded == table).then(|| match alias {
        Some(alias) => alias.name.value.clone(),
        None => folded,
    })
}
