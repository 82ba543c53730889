//! The thread that owns a session's connection. Every round trip runs there, so that planlint
//! can wait for its answer against a deadline of its own (only the server enforces
//! `statement_timeout`); one thread for the whole session, rather than one per round trip,
//! whose start and end cost more than a loopback round trip.

use std::panic::resume_unwind;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use postgres::Client;

/// A piece of work for the connection.
type Job = Box<dyn FnOnce(&mut Client) + Send>;

/// Why a job gave no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NoAnswer {
    /// The deadline passed: the connection is given up to the thread, still waiting on it.
    TimedOut,
    /// It was given up before.
    GivenUp,
}

/// The connection's thread.
pub(super) struct Worker {
    /// `None` once the connection was given up.
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
    /// Whether the connection is closed, as of the last job.
    closed: Arc<AtomicBool>,
}

impl Worker {
    /// Starts the thread that owns `client`.
    pub(super) fn start(client: Client) -> Self {
        let (jobs, queue) = mpsc::channel::<Job>();
        let closed = Arc::new(AtomicBool::new(client.is_closed()));
        let thread = std::thread::spawn(move || {
            let mut client = client;
            for job in queue {
                job(&mut client);
            }
        });
        Self {
            jobs: Some(jobs),
            thread: Some(thread),
            closed,
        }
    }

    /// Runs `work` on the connection and waits for its answer at most `deadline` (forever
    /// without one). Past it, the connection is given up. A panic of `work` goes on here, as if
    /// it had run on this thread.
    pub(super) fn run<T, F>(&mut self, deadline: Option<Duration>, work: F) -> Result<T, NoAnswer>
    where
        T: Send + 'static,
        F: FnOnce(&mut Client) -> T + Send + 'static,
    {
        let jobs = self.jobs.as_ref().ok_or(NoAnswer::GivenUp)?;
        let (sender, receiver) = mpsc::channel();
        let closed = Arc::clone(&self.closed);
        // The connection's state is recorded before the answer goes out, so that whoever reads
        // the answer also sees whether the connection survived it.
        let job: Job = Box::new(move |client| {
            let value = work(client);
            closed.store(client.is_closed(), Ordering::Release);
            let _ = sender.send(value);
        });
        if jobs.send(job).is_err() {
            return Err(self.died());
        }
        let answer = match deadline {
            Some(deadline) => receiver.recv_timeout(deadline),
            None => receiver.recv().map_err(RecvTimeoutError::from),
        };
        match answer {
            Ok(value) => Ok(value),
            Err(RecvTimeoutError::Timeout) => {
                self.jobs = None;
                Err(NoAnswer::TimedOut)
            }
            Err(RecvTimeoutError::Disconnected) => Err(self.died()),
        }
    }

    /// Whether nothing more can be sent: the connection was given up, or is closed.
    pub(super) fn is_closed(&self) -> bool {
        self.jobs.is_none() || self.closed.load(Ordering::Acquire)
    }

    /// The thread ended without an answer: it panicked, and the panic goes on here.
    fn died(&mut self) -> NoAnswer {
        self.jobs = None;
        match self.thread.take().map(JoinHandle::join) {
            Some(Err(panic)) => resume_unwind(panic),
            _ => NoAnswer::GivenUp,
        }
    }
}

impl Drop for Worker {
    /// Ends the thread, which closes the connection politely, unless it was given up: then it
    /// is left to its thread, still waiting on the server.
    fn drop(&mut self) {
        if self.jobs.take().is_some() {
            if let Some(thread) = self.thread.take() {
                let _ = thread.join();
            }
        }
    }
}
