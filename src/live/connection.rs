//! A connection to the server, called synchronously from the session's thread: tokio-postgres
//! on a runtime of that thread alone, which runs only while a call waits on it (the connection
//! is polled then, as the `postgres` crate does). Used directly rather than through the
//! `postgres` crate for one thing that crate cannot do: [`Connection::pipelined`] writes the
//! statements of EXPLAINs' transactions at once and then reads their answers, so that the
//! server goes from one to the next without waiting on the network in between.

use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::task::Poll;
use std::time::Duration;

use futures_util::future::join4;
use tokio::runtime::{Builder, Runtime};
use tokio::task::JoinHandle;
use tokio_postgres::tls::{MakeTlsConnect, TlsConnect};
use tokio_postgres::types::{ToSql, Type};
use tokio_postgres::{Client, Config, Error, Row, Socket};

/// How long closing the connection politely (the Terminate message) may take.
const CLOSE_WAIT: Duration = Duration::from_secs(1);

/// One connection and the runtime that drives it.
pub(super) struct Connection {
    /// Dropped before the runtime, so that the connection task sees it gone and ends.
    client: Option<Client>,
    /// The task that reads and writes the socket.
    task: Option<JoinHandle<()>>,
    runtime: Runtime,
}

/// The statements of one EXPLAIN's transaction, in the order the server runs them. `open` and
/// `close` go through the simple protocol and may hold several statements; `prepare` and
/// `explain` through the extended protocol, which the server refuses more than one statement
/// through.
pub(super) struct Exchange {
    /// What opens the transaction: `START TRANSACTION READ ONLY; SET LOCAL ...`.
    pub open: String,
    /// `PREPARE name AS statement`, for a statement with parameters.
    pub prepare: Option<String>,
    /// The EXPLAIN, whose rows are the answer.
    pub explain: String,
    /// What ends it: `ROLLBACK`, and the `DEALLOCATE` of what `prepare` made.
    pub close: String,
}

/// The answer to an [`Exchange`]: the EXPLAIN's rows.
pub(super) type Answer = Result<Vec<Row>, Error>;

impl Exchange {
    /// Sends the statements when first polled, then reads their answers: the EXPLAIN's rows,
    /// or the first error in the order the statements ran (when one fails, those after it in
    /// the transaction fail for it, and `close` still runs). An error in `open` leaves the
    /// transaction aborted, so nothing after it runs until `close`.
    async fn run(&self, client: &Client) -> Answer {
        let prepare = async {
            match &self.prepare {
                Some(sql) => client.query_typed(sql, &[]).await.map(drop),
                None => Ok(()),
            }
        };
        // Each call sends its messages when first polled, before it awaits anything, and
        // join4 polls them in order.
        let (opened, prepared, explained, closed) = join4(
            client.batch_execute(&self.open),
            prepare,
            client.query_typed(&self.explain, &[]),
            client.batch_execute(&self.close),
        )
        .await;
        opened?;
        prepared?;
        let rows = explained?;
        closed?;
        Ok(rows)
    }
}

impl Connection {
    /// Connects with `config` over `tls`.
    pub(super) fn connect<T>(config: &Config, tls: T) -> Result<Self, ConnectError>
    where
        T: MakeTlsConnect<Socket> + Send + 'static,
        T::TlsConnect: Send,
        T::Stream: Send + 'static,
        <T::TlsConnect as TlsConnect<Socket>>::Future: Send,
    {
        let runtime = Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(ConnectError::Runtime)?;
        let (client, connection) = runtime
            .block_on(config.connect(tls))
            .map_err(ConnectError::Postgres)?;
        // Its error shows on the next call, as the client's: nothing to do with it here.
        let task = runtime.spawn(async move {
            let _ = connection.await;
        });
        Ok(Self {
            client: Some(client),
            task: Some(task),
            runtime,
        })
    }

    /// Runs `work` on the client, driving the connection until it is done.
    fn wait<'a, T, F>(&'a self, work: impl FnOnce(&'a Client) -> F) -> Result<T, Error>
    where
        F: Future<Output = Result<T, Error>>,
    {
        let client = self
            .client
            .as_ref()
            .expect("the client lives as long as the connection");
        self.runtime.block_on(work(client))
    }

    /// Runs statements through the simple protocol, discarding their rows.
    pub(super) fn batch_execute(&mut self, sql: &str) -> Result<(), Error> {
        self.wait(|client| client.batch_execute(sql))
    }

    /// Runs one statement through the extended protocol in one round trip (no separate
    /// prepare), with parameters of the given types.
    pub(super) fn query_typed(
        &mut self,
        sql: &str,
        params: &[(&(dyn ToSql + Sync), Type)],
    ) -> Result<Vec<Row>, Error> {
        self.wait(|client| client.query_typed(sql, params))
    }

    /// [`Connection::query_typed`] of a statement that returns exactly one row.
    pub(super) fn query_one(&mut self, sql: &str) -> Result<Row, Error> {
        self.wait(|client| client.query_typed_one(sql, &[]))
    }

    /// Writes the statements of every exchange, in order, before it waits for any answer, then
    /// hands each answer to `answered` as it comes, in the same order, with whether the
    /// connection is closed after it. The server runs them as it would one by one, each
    /// transaction after the one before: only the waits on the network between them are gone.
    pub(super) fn pipelined(
        &mut self,
        exchanges: &[Exchange],
        mut answered: impl FnMut(usize, Answer, bool),
    ) {
        let client = self
            .client
            .as_ref()
            .expect("the client lives as long as the connection");
        let mut running: Vec<Pin<Box<dyn Future<Output = Answer> + '_>>> = exchanges
            .iter()
            .map(|exchange| Box::pin(exchange.run(client)) as Pin<Box<dyn Future<Output = Answer>>>)
            .collect();
        self.runtime.block_on(async {
            // Polled once each, in order: that writes every exchange's statements.
            let mut early: Vec<Option<Answer>> = Vec::with_capacity(running.len());
            poll_fn(|context| {
                early.clear();
                for future in &mut running {
                    early.push(match future.as_mut().poll(context) {
                        Poll::Ready(answer) => Some(answer),
                        Poll::Pending => None,
                    });
                }
                Poll::Ready(())
            })
            .await;
            for (index, (future, early)) in running.iter_mut().zip(early).enumerate() {
                let answer = match early {
                    Some(answer) => answer,
                    None => future.await,
                };
                answered(index, answer, client.is_closed());
            }
        });
    }

    /// Whether the connection is closed: the server ended it, or the socket failed.
    pub(super) fn is_closed(&self) -> bool {
        self.client.as_ref().is_none_or(Client::is_closed)
    }
}

impl Drop for Connection {
    /// Closes the connection politely: with the client gone, the task says Terminate to the
    /// server and ends; it is given [`CLOSE_WAIT`] for that.
    fn drop(&mut self) {
        drop(self.client.take());
        if let Some(task) = self.task.take() {
            let _ = self
                .runtime
                .block_on(async { tokio::time::timeout(CLOSE_WAIT, task).await });
        }
    }
}

/// Why [`Connection::connect`] failed.
#[derive(Debug)]
pub(super) enum ConnectError {
    /// The runtime could not start (the process is out of threads or file descriptors).
    Runtime(std::io::Error),
    /// The server could not be reached, or refused the login.
    Postgres(Error),
}
